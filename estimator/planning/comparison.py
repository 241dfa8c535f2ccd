"""compare(): several routes to the same model side by side (scratch vs fine-tuning vs hosted API)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from estimator.catalog.bounds import check_value
from estimator.catalog.loader import Catalog, normalize
from estimator.errors import ConfigurationError, DatasetError, EstimatorError
from estimator.planning.estimation import Estimate, estimate_scenarios
from estimator.planning.givens import DEFAULT_GPU
from estimator.planning.grid import evaluate_grid, scenario_from
from estimator.planning.headline import finite
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
        scratch-vs-fine-tuning ratios (dollars and days): planning/headline.py."""
        from estimator.planning.headline import headline

        return headline(self)


def _route(scenario: dict[str, Any], overrides: dict[str, Any] | None) -> dict[str, Any]:
    """A default route with the user's --set overrides. One epoch count serves the fine-tuning and hosted routes;
    pretraining routes never take it (one pass over their compute-optimal, published or planned tokens)."""
    pretrain = scenario.get("method") == "pretrain"
    return scenario | {k: v for k, v in (overrides or {}).items() if not (k == "epochs" and pretrain)}



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
        over = [s.name or e.method for s, e in zip(scens, ests) if finite(e.cost_usd) and e.cost_usd > planned.budget_usd]
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
            if not finite(row.get("serving_usd")):
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
