"""compare(): several routes to the same model side by side (scratch vs fine-tuning vs hosted API)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from estimator.catalog.bounds import check_value
from estimator.catalog.loader import Catalog, normalize
from estimator.errors import ConfigurationError, DatasetError, EstimatorError
from estimator.planning.estimation import Estimate, estimate_scenarios
from estimator.planning.givens import DEFAULT_GPU
from estimator.planning.grid import evaluate_grid, scenario_from
from estimator.planning.inputs import checked_overrides, resolve_catalog
from estimator.planning.limits import DEFAULT_MAX_ROWS
from estimator.planning.routes import DEFAULT_MODEL, default_scenarios, load_scenario_file
from estimator.planning.scenario import Scenario
from estimator.units import usd

DEFAULT_REQUESTS_PER_DAY = "10k"  # illustrative traffic for the serving cost when none is given (said in the notes)
FRAME_COLUMNS = ["name", "method", "model", "gpu", "provider", "tier", "gpus", "fits", "train_tokens", "train_flops",
                 "memory_per_gpu_gb", "mfu", "wall_clock_hours", "wall_clock_days", "gpu_hours",
                 "price_usd_per_gpu_hour", "cost_usd", "energy_kwh", "co2_kg", "billed_tokens",
                 "wall_clock_hours_p10", "wall_clock_hours_p90", "gpu_hours_p10", "gpu_hours_p90", "cost_usd_p10",
                 "cost_usd_p90", "epochs", "serving_usd", "tco_usd", "serving_basis", "service", "service_source", "source", "warnings"]


@dataclass
class Comparison:
    """Estimates for several scenarios (and an optional grid), with the headline facts."""

    scenarios: list[Scenario]
    estimates: list[Estimate]
    grid: Any = None  # pandas DataFrame from evaluate_grid, or None
    notes: list[str] = field(default_factory=list)
    source: str | None = None
    profile: Any = None  # DatasetProfile of the dataset, when the tokens came from one
    catalog: Any = None  # the Catalog the estimates were computed with (the report takes prices and sources from it)
    serving: list[dict[str, Any]] | None = None  # per scenario: serving_usd over the horizon, basis, tco_usd (plan/tco.py)
    traffic: Any = None  # plan.tco.Traffic the serving figures assume
    plan: Any = None  # the budget.Plan behind a planned pretraining route (compare(budget=...)); the report charts it

    def __post_init__(self) -> None:
        if self.profile is None:
            profiles = [e.profile for e in self.estimates if e.profile is not None]
            api = [e.profile for e in self.estimates if e.profile is not None and e.method == "api"]
            self.profile = (api or profiles or [None])[0]

    def to_frame(self):
        """One row per scenario, one column per quantity (units in the column names)."""
        import pandas as pd

        rows = []
        for s, e in zip(self.scenarios, self.estimates):
            d = e.to_dict()
            d["name"] = s.name or f"{e.method} {e.model_id}"
            d["warnings"] = "; ".join(d.get("warnings") or [])
            d["fits"] = True
            d["wall_clock_hours"] = e.values.get("wall_clock_hours")
            d["epochs"] = None if e.method == "pretrain" else e.values.get("epochs")
            rows.append({c: d.get(c) for c in FRAME_COLUMNS})
        for row, serving in zip(rows, self.serving or []):
            row |= {k: v for k, v in serving.items() if k in FRAME_COLUMNS}
        frame = pd.DataFrame(rows, columns=FRAME_COLUMNS)
        if self.grid is not None and len(self.grid):
            g = self.grid
            g = g[[c for c in g.columns if c in FRAME_COLUMNS or c not in frame.columns]]
            frame = pd.concat([frame, g], ignore_index=True) if rows else g  # a grid alone is not copied
        return frame

    def headline(self) -> dict[str, Any]:
        """Cheapest and fastest routes to train, the lowest total (training + serving over the horizon), and
        scratch-vs-fine-tuning ratios (dollars and days)."""
        named = [(s.name or e.method, e) for s, e in zip(self.scenarios, self.estimates)]
        # a scratch run far below compute-optimal tokens would not give a usable model: not a "route"
        viable = [(n, e) for n, e in named if not (e.method == "pretrain" and e.values.get("tokens_vs_optimal", 1) < 0.5)]
        options = [{"name": n, "cost_usd": e.cost_usd, "wall_clock_days": e.values.get("wall_clock_days")}
                   for n, e in viable]
        if self.grid is not None and len(self.grid):
            g = self.grid[self.grid["fits"].astype(bool)]
            if "tokens_vs_optimal" in g.columns:
                g = g[~((g["method"] == "pretrain") & (g["tokens_vs_optimal"] < 0.5))]
            g = g[np.isfinite(g["cost_usd"].astype(float))]
            if len(g):  # only the grid's own cheapest and fastest rows can win (no per-row Python)
                cost, days = g["cost_usd"].astype(float).to_numpy(), g["wall_clock_days"].astype(float).to_numpy()
                picks = {int(np.lexsort((days, cost))[0])}
                if np.isfinite(days).any():
                    near = np.flatnonzero(days <= np.nanmin(days) * (1 + 1e-3))
                    picks.add(int(near[np.lexsort((days[near], cost[near]))[0]]))
                options += [{"name": g["name"].iloc[k], "cost_usd": float(cost[k]), "wall_clock_days": float(days[k])}
                            for k in sorted(picks)]
        out: dict[str, Any] = {}
        priced = [o for o in options if _finite(o["cost_usd"])]
        if priced:
            out["cheapest"] = min(priced, key=lambda o: (o["cost_usd"], o["wall_clock_days"] or 0.0))  # ties: faster
            timed = [o for o in priced if _finite(o["wall_clock_days"])]
            if timed:
                # equal times (to 0.1%) go to the cheaper route: a faster-by-rounding $47 row never beats a $12 one
                quickest = min(o["wall_clock_days"] for o in timed)
                tied = [o for o in timed if o["wall_clock_days"] <= quickest * (1 + 1e-3)]
                out["fastest_on_gpus"] = min(tied, key=lambda o: (o["cost_usd"], o["wall_clock_days"]))
        scratch = [(n, e) for n, e in named if e.method == "pretrain"]
        tuned = [(n, e) for n, e in named if e.method != "pretrain"]
        ratios = []
        for sn, se in scratch:
            for tn, te in tuned:
                ratio = {"scratch": sn, "fine_tuning": tn,
                         "cost_ratio": se.cost_usd / te.cost_usd if _finite(se.cost_usd) and _finite(te.cost_usd)
                         and te.cost_usd else None}
                if _finite(te.values.get("wall_clock_days")):
                    ratio["days_ratio"] = se.values["wall_clock_days"] / te.values["wall_clock_days"]
                ratios.append(ratio)
        out["ratios"] = ratios
        if self.serving and self.traffic is not None:  # what a route costs once it also serves the traffic
            own = {e.model_id for _, e in named if e.method != "api"}  # the model the GPU routes tune
            totals = [{"name": n, "tco_usd": row["tco_usd"], "cost_usd": e.cost_usd, "serving_usd": row["serving_usd"],
                       "months": self.traffic.months, "model": e.model_id,
                       "other_model": bool(own) and e.model_id not in own}
                      for (n, e), row in zip(named, self.serving) if (n, e) in viable and _finite(row.get("tco_usd"))]
            if totals:
                out["lowest_tco"] = min(totals, key=lambda o: o["tco_usd"])
        return out


def _route(scenario: dict[str, Any], overrides: dict[str, Any] | None) -> dict[str, Any]:
    """A default route with the user's --set overrides. One epoch count serves the fine-tuning and hosted routes;
    pretraining routes never take it (one pass over their compute-optimal, published or planned tokens)."""
    pretrain = scenario.get("method") == "pretrain"
    return scenario | {k: v for k, v in (overrides or {}).items() if not (k == "epochs" and pretrain)}


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)


def compare(scenarios: str | Path | None = None, *, dataset: Any = None, model: str | None = None,
            gpu: str | None = None, provider: str | None = None, tokens: Any = None,
            catalog: Catalog | Sequence[str] | None = None, overrides: dict[str, Any] | None = None,
            uncertainty: bool = True, samples: int = 2000, seed: int = 0, epochs: Any = None,
            tier: str = "on_demand", gpus: int | None = None, requests_per_day: Any = DEFAULT_REQUESTS_PER_DAY, input_tokens: Any = 1000,
            output_tokens: Any = 1000, months: Any = 12, examples: Any = None,
            max_rows: int | None = DEFAULT_MAX_ROWS, budget: Any = None) -> Comparison:
    """Compare routes. With a scenarios file: its scenarios and grid. Without: the default set for the model.

    overrides (--set) apply to every scenario and beat the file's values. In the default set, a route that
    cannot run (e.g. does not fit the GPU) is left out with a note; in a scenario file it is an error.
    uncertainty: P10/P90 of time, GPU-hours and cost per scenario (seeded Monte Carlo; see estimate()).
    max_rows: a grid with more points is refused before any work (None: no limit).
    requests_per_day: traffic the tuned model serves for the serving cost and TCO (default 10,000 a day, stated in
    the notes; 0: serving not costed).
    budget: dollars for pretraining ('50k'): adds the compute-optimal plan at that budget (estimator.plan on the
    same gpu, provider and tier) as a route, and the report charts loss vs model size at it.
    """
    cat = resolve_catalog(catalog)
    if gpus is not None:  # a bad --gpus is the user's input, not one route that cannot run
        check_value("gpus", gpus, cat, "")
    if gpu is not None:  # likewise a misspelt --gpu: one error with close matches, not every GPU route left out
        cat.gpu(gpu)
    if provider is not None and str(provider).lower() != "owned" and normalize(provider) not in cat.providers():
        cat.price_rows(cat.gpu(gpu).id if gpu else DEFAULT_GPU, provider)  # raises: unknown provider, close matches
    if tokens is not None and dataset:
        raise ConfigurationError("give either tokens or a dataset, not both")
    notes: list[str] = []
    if examples is not None:  # the dataset stands for a job of this many examples (plan/scaled_dataset.py)
        if not dataset:
            raise ConfigurationError("--examples scales a dataset: give --dataset too")
        from estimator.planning.scaled_dataset import scaled_dataset
        from estimator.units import parse_number

        n = parse_number(examples)
        dataset = scaled_dataset(dataset, model or DEFAULT_MODEL, n, cat)
        scale_note = (f"dataset scaled to {n:,.0f} examples with the same length distribution ({dataset.label}); "
                      "each route counts it with its own model's tokenizer")
    else:
        scale_note = None
    grid_frame = None
    strict = scenarios is not None
    if scenarios is not None:
        defaults, items, grid = load_scenario_file(scenarios, cat)
        given = {k: v for k, v in dict(dataset=dataset, model=model, gpu=gpu, provider=provider,
                                        tokens=tokens).items() if v}
        if "tokens" in given:
            defaults.pop("dataset", None)
        if "dataset" in given:
            defaults.pop("tokens", None)
        defaults = defaults | given | dict(overrides or {})
        built = [(defaults | s | dict(overrides or {}), where) for s, where in items]
        if grid:
            try:
                grid_frame = evaluate_grid(defaults, grid, cat, max_rows)
            except EstimatorError as exc:
                raise exc.with_prefix(f"{scenarios}: grid") from None
    else:
        if tokens is None and not dataset:
            raise ConfigurationError("give a dataset or --tokens (or run with no arguments for the bundled example)")
        items_, notes = default_scenarios(model, tokens, dataset, gpu, provider, cat, overrides, epochs=epochs,
                                          tier=tier, gpus=gpus)
        built = [(_route(s, overrides), "default scenarios") for s in items_]
    planned = None
    if budget is not None:  # the plan's scenario is one more route, resolved like the others
        from estimator.planning.budget import plan as make_plan

        planned = make_plan(budget, gpu=gpu, provider=provider, tier=tier, overrides=overrides, catalog=cat)
        route = planned.scenario()
        built.append((_route(route, overrides), "--budget"))
        notes.append(f"{route['name']}: the plan for {usd(planned.budget_usd)} on {planned.gpus} × "
                     f"{planned.gpu} ({planned.wall_clock_days:,.0f} days; `estimator plan` with the same options "
                     "shows its arithmetic), not the deadline the other pretraining route is sized for")
    parsed = []
    for values, where in built:
        label = values.get("name") or values.get("method")
        try:
            parsed.append((scenario_from(values, cat), where, label))
            checked_overrides(parsed[-1][0].overrides, cat)  # a bad value names its scenario (file:line)
        except EstimatorError as exc:
            if strict:
                raise exc.with_prefix(f"{where}: scenario '{label}'") from None
            notes.append(f"{label}: left out: {exc}")
    scens, ests = [], []
    results = estimate_scenarios([s for s, _, _ in parsed], cat, uncertainty=uncertainty, samples=samples, seed=seed,
                                 strict=False) if parsed else []
    for (s, where, label), e in zip(parsed, results):
        if isinstance(e, Exception):
            if strict:
                raise e.with_prefix(f"{where}: scenario '{label}'") from None
            if isinstance(e, DatasetError):  # an unreadable dataset fails every route, not just this one
                raise e
            notes.append(f"{label}: left out: {e}")
            continue
        scens.append(s)
        ests.append(e)
    if grid_frame is not None and "warnings" in grid_frame.columns:  # said once for the rows, not per row
        flagged = grid_frame["warnings"].dropna()
        for why, count in flagged.value_counts().items():
            notes.append(f"{count:,} of {len(grid_frame):,} grid rows: {why} (the warnings column)")
    if not ests and grid_frame is None:
        raise ConfigurationError("no scenario could be estimated: " + "; ".join(notes))
    if planned is not None:  # the budget is the user's line: say which routes cross it
        over = [s.name or e.method for s, e in zip(scens, ests) if _finite(e.cost_usd) and e.cost_usd > planned.budget_usd]
        if over:
            notes.append(f"over the {usd(planned.budget_usd)} budget: {', '.join(over)}")
    if scale_note:
        notes.insert(0, scale_note)
    if not strict:  # a scratch run on a fine-tuning-sized dataset is not a route: drop it, say why
        small = [i for i, (s, e) in enumerate(zip(scens, ests)) if e.method == "pretrain"
                 and e.values.get("tokens_vs_optimal", 1) < 0.5]
        for i in reversed(small):
            notes.append(f"{scens[i].name}: left out: its {ests[i].values['train_tokens']:.3g} tokens are "
                         f"{ests[i].values['tokens_vs_optimal']:.2g}× the compute-optimal count, far too few to "
                         "pretrain on")
            del scens[i], ests[i]
    from estimator.planning.tco import Traffic, breakeven_notes, serving_for
    from estimator.units import parse_number

    rpd = requests_per_day if requests_per_day is not None else 0
    traffic = Traffic(*(parse_number(x) for x in (rpd, input_tokens, output_tokens, months)))
    if traffic.requests_per_day > 0:
        serving = serving_for(scens, ests, traffic, cat, overrides)
        notes.append(f"serving over {traffic.months:g} months at {traffic.requests_per_day:,.0f} requests/day "
                     f"({traffic.input_tokens:,.0f} input + {traffic.output_tokens:,.0f} output tokens each"
                     + ("; an illustrative default: give yours with --requests-per-day"
                        if requests_per_day == DEFAULT_REQUESTS_PER_DAY else "")
                     + "); own-GPU routes keep their replicas on all the time; TCO = training + serving")
        unpriced: dict[str, list[str]] = {}  # why a serving cell reads '—', said once per reason
        for sc, e, row in zip(scens, ests, serving):
            if not _finite(row.get("serving_usd")):
                unpriced.setdefault(row.get("serving_basis") or "no serving price", []).append(sc.name or e.method)
        notes += [f"serving not priced for {', '.join(names)}: {why}" for why, names in unpriced.items()]
    else:  # no traffic: an idle replica's rent against hosted routes' $0 would be a meaningless TCO
        serving = None
        notes.append("serving not costed (--requests-per-day 0): give the traffic the tuned model will serve for each "
                     "route's serving cost and total cost of ownership")
    notes += breakeven_notes(scens, ests, traffic, cat)
    for e in ests:  # what the dataset's reader found (broken lines are skipped by every route) is the user's to fix
        notes += [w for w in e.warnings if w.startswith("dataset findings") and w not in notes][:1]
    for e in ests:  # a hosted route that may not be open to you is a headline fact, not a footnote
        notes += [w for w in e.warnings if e.method == "api" and "closed to new users" in w and w not in notes]
    short = [s.name or e.method for s, e in zip(scens, ests) if e.method != "api"
             and 0 < e.values.get("wall_clock_hours", float("inf")) < 1]
    if short:
        notes.append(f"{', '.join(short)} {'take' if len(short) > 1 else 'takes'} under an hour; a fixed start-up "
                     "(model load, first evaluation) is much of that, and it varies most between stacks (see --explain: "
                     "startup_hours). Treat short fine-tuning times as a lower bound: the one published wall-clock "
                     "check of a short job (Stanford Alpaca, docs/validation.md) is estimated far below its real "
                     "time (padding, small batches and 2023 eager attention, which the rules do not model)")
    return Comparison(scens, ests, grid_frame, notes, str(scenarios) if scenarios else None, catalog=cat,
                      serving=serving, traffic=traffic, plan=planned)
