"""The report's decision sections: the plan (loss vs model size at a compute budget), rent vs buy (cumulative cost
of owning vs renting) and serving (training + serving per route, and monthly cost vs traffic).

Plain data for the templates, with each section's plotly figure. The series come from estimator.planning.curves, the
tables from the same functions the CLI prints (planning.ownership.rent_vs_buy, present.tables.serving_rows); nothing
here computes an estimate.
"""

from __future__ import annotations

import math
from typing import Any

from estimator.errors import EstimatorError
from estimator.present.report.facts import count_text, is_viable, names
from estimator.units import usd


def _optimal_route(comparison) -> tuple[str, Any] | None:
    """The comparison's compute-optimal pretraining route (viable, tokens nearest the compute-optimal count)."""
    found = [(n, e) for n, e in zip(names(comparison), comparison.estimates) if e.method == "pretrain"
             and is_viable(e) and "compute_optimal_tokens" in e.values and e.values.get("train_flops")]
    return min(found, key=lambda x: abs(math.log(x[1].values.get("tokens_vs_optimal", 1.0)))) if found else None


def plan_section(comparison, cat) -> dict[str, Any] | None:
    """Loss vs model size at the plan's compute budget (`comparison.plan`, an estimator.plan() result, when the
    comparison carries one), else at the training compute of its compute-optimal pretraining route."""
    from estimator.planning.curves import loss_curve
    from estimator.present.report.plan_chart import flop_text, loss_vs_size, mark_text

    plan = getattr(comparison, "plan", None)
    if plan is not None:
        compute = float(plan.values["compute_budget_flops"])
        budget = f"the budget of {usd(plan.budget_usd)}" if plan.budget_usd else "the plan's compute"
        marks = {f"plan with {count_text(plan.inference_tokens)} inference tokens": plan.params} \
            if plan.inference_tokens else {}
        basis = (f"At {budget} ({plan.gpus} × {plan.gpu}, {plan.provider or 'median provider'}), `estimator plan` "
                 f"buys {flop_text(compute)} of training compute.")
        note, scaling = f"at {budget}", plan.scaling
    else:
        route = _optimal_route(comparison)
        if route is None:
            return None
        name, e = route
        compute = float(e.values["train_flops"])
        marks = {name: float(e.values["n_params"])}
        basis = (f"No budget was given, so the curve is at the training compute of the route “{name}”: "
                 f"{flop_text(compute)} ({count_text(e.values['n_params'])} parameters on "
                 f"{count_text(e.values['train_tokens'])} tokens).")
        note, scaling = f"at the compute of “{name}” (no budget given)", "epoch"
    try:
        curves = loss_curve(compute, scaling=scaling, catalog=cat, marks=marks)
    except EstimatorError:
        return None
    opt = curves.marks.iloc[0]
    return {"basis": basis, "figure": loss_vs_size(curves, note), "optimum": mark_text(opt),
            "marks": [{"label": r["label"], "text": mark_text(r)} for r in curves.marks.to_dict("records")],
            "scaling": curves.values["scaling"], "source": curves.values["scaling_source"], "budget": plan is not None,
            "curves": curves}


def _owned_setup(comparison, cat):
    """The first own-GPU route whose GPU has a purchase price: (gpu, provider, tier, region, overrides)."""
    for s, e in zip(comparison.scenarios, comparison.estimates):
        if e.method != "api" and e.gpu_id and (cat.capex_for(e.gpu_id) is not None
                                               or "purchase_usd_per_gpu" in (s.overrides or {})):
            return e.gpu_id, s.provider, s.tier, s.region, dict(s.overrides or {})
    return None


def ownership_section(comparison, cat) -> dict[str, Any] | None:
    """Rent vs buy for the GPU the comparison's own-GPU routes use: the cumulative-cost chart and the break-even
    table `estimator compare --provider owned` prints."""
    from estimator.planning.curves import ownership_curves
    from estimator.planning.ownership import rent_vs_buy
    from estimator.present.report.ownership_chart import cumulative_cost, months_text

    setup = _owned_setup(comparison, cat)
    if setup is None:
        return None
    gpu, provider, tier, region, overrides = setup
    try:
        curves = ownership_curves(gpu, cat, provider=provider, tier=tier, region=region, overrides=overrides)
        table = rent_vs_buy(gpu, cat, region=region, overrides=overrides)
    except EstimatorError:
        return None
    rows = [{"provider": r["provider"], "tier": r["tier"].replace("_", "-"),
             "price": f"{usd(r['rental_usd_per_gpu_hour'])}/GPU-h", "breakeven": months_text(r["breakeven_months"]),
             "as_of": r["as_of"]} for r in table.rows]
    return {"gpu": table.gpu, "owned": usd(table.owned_usd_per_gpu_hour), "cluster": usd(table.cluster_usd_per_gpu),
            "figure": cumulative_cost(curves), "rows": rows, "curves": curves,
            "lines": [{"line": m["line"], "basis": m["price_basis"], "breakeven": months_text(m["breakeven_months"])}
                      for m in curves.marks.to_dict("records")]}


def serving_section(comparison, cat) -> dict[str, Any] | None:
    """Training + serving per route over the horizon (the rows `estimator compare` prints, plan/tco.py figures),
    and the monthly serving cost of each route against traffic with the break-even traffic marked."""
    traffic = getattr(comparison, "traffic", None)
    if not getattr(comparison, "serving", None) or traffic is None:
        return None
    from estimator.planning.curves import serving_curves
    from estimator.present.report.serving_chart import monthly_vs_traffic
    from estimator.present.tables import serving_rows

    rows = serving_rows(comparison.to_frame(), traffic.months)
    notes = [n for n in comparison.notes if n.startswith(("serving over", "self-hosting"))]
    overrides = dict(comparison.scenarios[0].overrides or {}) if comparison.scenarios else {}
    try:
        curves = serving_curves(comparison.scenarios, comparison.estimates, traffic, cat, overrides=overrides)
    except EstimatorError:
        curves = None
    return {"months": f"{traffic.months:g}", "rows": rows, "columns": list(rows[0]) if rows else [], "notes": notes,
            "traffic": f"{traffic.requests_per_day:,.0f} requests/day of {traffic.input_tokens:,.0f} input + "
                       f"{traffic.output_tokens:,.0f} output tokens",
            "figure": monthly_vs_traffic(curves) if curves is not None else None,
            "chart_notes": curves.notes if curves is not None else [], "curves": curves}
