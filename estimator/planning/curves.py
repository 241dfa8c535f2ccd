"""The series behind the report's decision charts, as DataFrames: predicted loss against model size at a fixed
compute, cumulative cost of owning against renting GPUs, and monthly serving cost against traffic.

Every value is a rule's output through the engine (rules/scaling.py, rules/owned.py, rules/serving.py,
rules/api_billing.py), evaluated once over an array of chart points (model sizes, months, requests per day),
with the same givens the planner, `compare --provider owned` and `compare`'s serving table use. Nothing here
restates a formula.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from estimator.catalog.loader import Catalog
from estimator.choices import TIERS
from estimator.errors import EstimatorError
from estimator.planning.engine import Given, evaluate
from estimator.rules import REGISTRY

LOSS_TARGETS = ["plan_params", "plan_train_tokens", "plan_tokens_per_param", "predicted_loss"]
OWN_TARGETS = ["owned_usd_per_gpu_hour", "rental_usd_per_gpu_hour", "breakeven_months",
               "owned_cumulative_usd_per_gpu", "rented_cumulative_usd_per_gpu"]
SERVE_TARGETS = ["required_output_tokens_per_second", "serve_gpus", "monthly_serving_usd"]
LOSS_POINTS = 81
LOSS_DECADES = 1.5  # each side of the optimum
MONTH_POINTS = 121
MIN_MONTHS, MAX_MONTHS = 24.0, 72.0
TRAFFIC_POINTS = 61


@dataclass
class Curves:
    """A chart's series (`frame`, long format: one row per point and line) and its marked points (`marks`)."""

    frame: pd.DataFrame
    marks: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)


def _flat(x: Any) -> np.ndarray:
    return np.atleast_1d(np.asarray(x, dtype=float)).reshape(-1)


# ---- plan: loss vs model size at a fixed compute ----------------------------------------------------------------
def loss_curve(compute_flops: float, *, scaling: Any = "epoch", catalog: Catalog | None = None,
               marks: dict[str, float] | None = None, points: int = LOSS_POINTS,
               decades: float = LOSS_DECADES) -> Curves:
    """Predicted loss of N parameters trained on D = C/(6N) tokens, for N around the compute-optimal size at C.

    The optimum is the planner's own `plan_params` rule at C (what `estimator plan` reports for that compute);
    the curve gives `plan_params` as the chart's sizes and lets `plan_train_tokens` and `predicted_loss` follow.
    marks: other sizes to place on the curve (label -> N), e.g. the compared model.
    """
    from estimator.planning.budget import _law_givens, load_law
    from estimator.planning.inputs import resolve_catalog

    cat = resolve_catalog(catalog)
    law = load_law(scaling, cat)
    base = _law_givens(law, cat) | {
        "compute_budget_flops": Given(float(compute_flops), "FLOP", "the chart's compute", "input", "C"),
        "inference_tokens": Given(0.0, "tokens", "none (training compute only)", "input", "D_inf")}
    opt = evaluate(REGISTRY, LOSS_TARGETS, base, {}, {}).values
    n_opt = float(_flat(opt["plan_params"])[0])
    extra = dict(marks or {})
    sizes = np.concatenate([n_opt * np.logspace(-decades, decades, points), list(extra.values())])
    ev = evaluate(REGISTRY, LOSS_TARGETS, base | {
        "plan_params": Given(sizes, "params", "model sizes on the chart", "input", "N")}, {}, {}).values
    cols = {"params": sizes, "train_tokens": _flat(ev["plan_train_tokens"]),
            "tokens_per_param": _flat(ev["plan_tokens_per_param"]), "predicted_loss": _flat(ev["predicted_loss"])}
    frame = pd.DataFrame({k: v[:points] for k, v in cols.items()})
    rows = [{"label": "compute-optimal", "params": n_opt, "train_tokens": float(_flat(opt["plan_train_tokens"])[0]),
             "tokens_per_param": float(_flat(opt["plan_tokens_per_param"])[0]),
             "predicted_loss": float(_flat(opt["predicted_loss"])[0])}]
    rows += [{"label": label, **{k: float(v[points + i]) for k, v in cols.items()}} for i, label in enumerate(extra)]
    return Curves(frame, pd.DataFrame(rows), values={"compute_flops": float(compute_flops), "scaling": law.id,
                                                     "scaling_source": law.source})


# ---- rent vs buy: cumulative cost over months ---------------------------------------------------------------------
def ownership_curves(gpu: str, catalog: Catalog, *, provider: str | None = None, tier: str = "on_demand",
                     region: str | None = None, overrides: dict[str, Any] | None = None) -> Curves:
    """Cumulative cost per GPU of buying (cluster up front, then energy) and of renting the same busy hours at
    the median price of each tier (and at `provider`'s `tier` price when one is named), month by month.

    The break-even months are the `breakeven_months` rule `estimator compare --provider owned` prints, evaluated
    on the same givens (planning.ownership.owned_inputs); each line's rental price is the `rental_usd_per_gpu_hour`
    rule over the listed prices (their median, as an estimate takes it)."""
    from estimator.planning.ownership import owned_inputs

    overrides = dict(overrides or {})
    given, providers, hw = owned_inputs(catalog, gpu, region, overrides)
    lines = []  # (label, provider, tier, how the price was chosen, listed prices)
    for t in TIERS:
        how, rows = catalog.price_rows(hw.id, None, t)
        if rows:
            lines.append((f"rent: {t.replace('_', '-')} median" if len(rows) > 1 else f"rent: {rows[0].provider} "
                          f"{t.replace('_', '-')}", None, t, how, [r.usd_per_gpu_hour for r in rows]))
    if provider and provider.lower() != "owned":
        how, rows = catalog.price_rows(hw.id, provider, tier)
        if rows:
            lines.insert(0, (f"rent: {provider} {tier.replace('_', '-')}", provider, tier, how,
                             [r.usd_per_gpu_hour for r in rows]))
    if not lines:
        raise EstimatorError(f"no rental price listed for {hw.id}: nothing to compare owning against")
    width = max(len(p) for *_, p in lines)
    listed = np.full((len(lines), width), np.nan)
    for i, (*_, prices) in enumerate(lines):
        listed[i, :len(prices)] = prices
    given["listed_usd_per_gpu_hour"] = Given(listed, "USD/GPU-hour", "price table (one line per tier)", "catalog",
                                             "listed rental prices")
    rest = {k: v for k, v in overrides.items() if k != "dtype"}

    def run(months: np.ndarray) -> dict[str, Any]:
        g = given | {"ownership_months": Given(months, "months", "months of use on the chart", "input", "months")}
        return evaluate(REGISTRY, OWN_TARGETS, g, rest, providers).values

    first = run(np.zeros((1, 1)))
    breakeven = _flat(first["breakeven_months"])
    finite = breakeven[np.isfinite(breakeven)]
    horizon = float(np.clip(np.ceil((finite.max() if finite.size else MIN_MONTHS) * 1.25), MIN_MONTHS, MAX_MONTHS))
    months = np.linspace(0.0, horizon, MONTH_POINTS)
    ev = run(months[:, None])
    owned = np.broadcast_to(np.asarray(ev["owned_cumulative_usd_per_gpu"], dtype=float), (len(months), 1))[:, 0]
    rented = np.broadcast_to(np.asarray(ev["rented_cumulative_usd_per_gpu"], dtype=float), (len(months), len(lines)))
    parts = [pd.DataFrame({"month": months, "line": "own (bought)", "provider": "owned", "tier": "",
                           "usd_per_gpu": owned})]
    parts += [pd.DataFrame({"month": months, "line": label, "provider": prov or "", "tier": t,
                            "usd_per_gpu": rented[:, i]}) for i, (label, prov, t, _, _) in enumerate(lines)]
    at = run(np.where(np.isfinite(breakeven), breakeven, 0.0))  # owning's cumulative cost at each break-even
    cost_at = np.broadcast_to(np.asarray(at["owned_cumulative_usd_per_gpu"], dtype=float), breakeven.shape)
    rental = _flat(first["rental_usd_per_gpu_hour"])
    marks = pd.DataFrame({"line": [x[0] for x in lines], "provider": [x[1] or "" for x in lines],
                          "tier": [x[2] for x in lines], "price_basis": [x[3] for x in lines],
                          "rental_usd_per_gpu_hour": rental, "breakeven_months": breakeven,
                          "usd_per_gpu": np.where(np.isfinite(breakeven), cost_at, np.nan)})
    return Curves(pd.concat(parts, ignore_index=True), marks, values={
        "gpu": hw.id, "owned_usd_per_gpu_hour": float(_flat(first["owned_usd_per_gpu_hour"])[0]),
        "cluster_usd_per_gpu": float(owned[0]), "horizon_months": horizon})


# ---- serving: monthly cost vs traffic ------------------------------------------------------------------------------
def serving_curves(scenarios, estimates, traffic, catalog: Catalog, *, overrides: dict[str, Any] | None = None,
                   points: int = TRAFFIC_POINTS) -> Curves:
    """Monthly serving cost at each traffic level (requests/day, the points are the evaluation's rows) for each
    route `compare`'s serving table prices: each hosted service (its serving rules, planning/hosted.py givens) and
    each own-GPU serving setup (estimator.serve's replica, then the serve_gpus and monthly_serving_usd rules over the
    traffic). Marks: the break-even traffic compare reports (planning.tco.serving_breakevens)."""
    from estimator.planning.tco import serving_breakevens

    breakevens = serving_breakevens(scenarios, estimates, traffic, catalog)
    hosted, own, notes = _serving_routes(scenarios, estimates, traffic, catalog, overrides)
    known = [b["requests_per_day"] for b in breakevens if np.isfinite(b["requests_per_day"])]
    top = max([1e5, traffic.requests_per_day * 3, *(3 * r for r in known)])
    grid = np.logspace(1.0, np.ceil(np.log10(top)), points)
    rpd = np.unique(np.concatenate([grid, [r for r in (traffic.requests_per_day, *known) if r > 0]]))
    parts, lookup = [], {}
    unpriced = []
    for label, kind, routes, monthly in [*(_hosted_series(h, rpd, traffic, catalog, overrides) for h in hosted),
                                         *(_own_series(o, rpd, traffic) for o in own)]:
        if monthly is None:
            unpriced.append(label.removeprefix("hosted: "))
            continue
        lookup[label] = monthly
        parts.append(pd.DataFrame({"requests_per_day": rpd, "line": label, "kind": kind, "routes": routes,
                                   "usd_per_month": monthly}))
    if unpriced:
        notes.append(f"not drawn, no serving price in the catalog: {', '.join(unpriced)}")
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["requests_per_day", "line", "kind", "routes", "usd_per_month"])
    rows = []
    for b in breakevens:
        label = f"hosted: {b['service']}"
        r = b["requests_per_day"]
        y = float(lookup[label][np.searchsorted(rpd, r)]) if label in lookup and np.isfinite(r) else float("nan")
        rows.append({"service": b["service"], "line": label, "versus": _own_label(b["model"], b["gpu"], b["provider"],
                     b["tier"]), "requests_per_day": r, "usd_per_month": y, "where": b["where"]})
    marks = pd.DataFrame(rows, columns=["service", "line", "versus", "requests_per_day", "usd_per_month", "where"])
    return Curves(frame, marks, notes, {"traffic_requests_per_day": traffic.requests_per_day,
                                        "input_tokens": traffic.input_tokens, "output_tokens": traffic.output_tokens})


def _own_label(model: str, gpu: str, provider: str | None, tier: str) -> str:
    if (provider or "").lower() == "owned":
        return f"own GPUs: {model} on {gpu} (bought)"
    return f"own GPUs: {model} on {gpu} ({provider or 'median'} {tier.replace('_', '-')})"


def _serving_routes(scenarios, estimates, traffic, cat, overrides):
    """Hosted services and distinct own-GPU serving setups among the routes, as serving_for() serves them."""
    from estimator.planning.serving import serve

    hosted: dict[str, list[str]] = {}
    own: dict[tuple, list] = {}
    notes: list[str] = []
    for s, e in zip(scenarios, estimates):
        name = s.name or f"{e.method} {e.model_id}"
        if e.method == "api":
            hosted.setdefault(s.model if isinstance(s.model, str) else e.model_id, []).append(name)
        elif not isinstance(s.model, dict):
            own.setdefault((e.model_id, e.gpu_id, s.provider, s.tier), []).append(name)
    setups = []
    for (model, gpu, provider, tier), names in own.items():
        try:
            one = serve(model, gpu=gpu, provider=provider, tier=tier, input_tokens=traffic.input_tokens,
                        output_tokens=traffic.output_tokens,
                        overrides={k: v for k, v in (overrides or {}).items() if k == "dtype"}, catalog=cat)
        except EstimatorError as exc:
            notes.append(f"{', '.join(names)}: not servable: {str(exc).splitlines()[0]}")
            continue
        setups.append((_own_label(model, gpu, provider, tier), names, one))
    return list(hosted.items()), setups, notes


def _hosted_series(item, rpd: np.ndarray, traffic, cat, overrides):
    from estimator.planning.hosted import missing_serving_prices, resolve_service, service_givens
    from estimator.planning.tco import API_TARGETS

    model, names = item
    _, api = resolve_service(model, cat)
    label = f"hosted: {api.id}"
    if [m for m in missing_serving_prices(api) if m not in (overrides or {})]:
        return label, "hosted", ", ".join(names), None
    given, _ = service_givens(api, cat)
    given |= {"requests_per_day": Given(rpd, "requests/day", "traffic on the chart", "input", "requests_per_day"),
              "input_tokens": Given(traffic.input_tokens, "tokens", "input", "input", "input_tokens"),
              "output_tokens": Given(traffic.output_tokens, "tokens", "input", "input", "output_tokens")}
    ev = evaluate(REGISTRY, API_TARGETS, given, {k: v for k, v in (overrides or {}).items()
                                                 if k in given or k in REGISTRY.rules}, {})
    monthly = np.broadcast_to(np.asarray(ev.values["api_serving_usd_per_month"], dtype=float), rpd.shape)
    return label, "hosted", ", ".join(names), monthly.copy()


def _own_series(setup, rpd: np.ndarray, traffic):
    label, names, one = setup
    given = {"requests_per_day": Given(rpd, "requests/day", "traffic on the chart", "input", "requests_per_day"),
             "output_tokens": Given(traffic.output_tokens, "tokens", "input", "input", "output_tokens"),
             "replica_output_tokens_per_second": Given(one.replica_output_tokens_per_second, "tokens/s",
                                                       "estimator serve", "rule", "one replica"),
             "serve_gpus_per_replica": Given(float(one.gpus_per_replica), "GPUs", "estimator serve", "rule", "g"),
             "price_usd_per_gpu_hour": Given(one.price_usd_per_gpu_hour, "USD/GPU-hour", "estimator serve", "rule",
                                             "price")}
    ev = evaluate(REGISTRY, SERVE_TARGETS, given, {}, {})
    monthly = np.broadcast_to(np.asarray(ev.values["monthly_serving_usd"], dtype=float), rpd.shape)
    return label, "own", ", ".join(names), monthly.copy()
