"""estimate(): one scenario in, an Estimate out — a resolution of one row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from estimator.catalog.loader import Catalog
from estimator.planning.checks import check_fit, sanity_warnings, settings_note
from estimator.planning.givens import DEFAULT_GPU
from estimator.planning.inputs import checked_overrides, resolve_catalog  # noqa: F401 (re-exported)
from estimator.planning.result import Estimate
from estimator.planning.scenario import Scenario
from estimator.units import si


def estimate(method: str, model: str | dict[str, Any], tokens: float | str | None = None, *, gpu: str | None = None,
             gpus: int | None = None, provider: str | None = None, tier: str = "on_demand",
             epochs: float | None = None, deadline: str | float | None = None, dataset: Any = None,
             region: str | None = None, overrides: dict[str, Any] | None = None, packing: bool = True,
             catalog: Catalog | Sequence[str] | str | None = None, name: str | None = None,
             uncertainty: bool = False, samples: int = 4000, seed: int = 0) -> Estimate:
    """Estimate one training run. See docs/api.md.

    model: a catalog id (aliases and case accepted) or an inline spec dict ({'params': 7e9, ...}).
    tokens: training tokens per epoch (numbers or '2T'); or dataset: file path(s) or a DatasetProfile from
    count_tokens() (count once, estimate many times). gpus: a count, or deadline ('30d') for the fewest that
    finish in time; default: the fewest that fit in memory. overrides: any assumption or quantity by name
    (e.g. {'mfu': 0.45}); they beat every table. uncertainty: add P10/P50/P90 of wall-clock hours, GPU-hours
    and cost from a seeded Monte Carlo over the assumption ranges.
    """
    scenario = Scenario(method=method, model=model, tokens=tokens, epochs=epochs, gpu=gpu, gpus=gpus,
                        deadline_hours=deadline, provider=provider, tier=tier, region=region, dataset=dataset,
                        overrides=dict(overrides or {}), name=name, packing=packing)
    return estimate_scenario(scenario, resolve_catalog(catalog), uncertainty=uncertainty, samples=samples, seed=seed)


def estimate_scenario(scenario: Scenario, cat: Catalog, *, uncertainty: bool = False, samples: int = 4000,
                      seed: int = 0) -> Estimate:
    return estimate_scenarios([scenario], cat, uncertainty=uncertainty, samples=samples, seed=seed)[0]


def estimate_scenarios(scenarios: list[Scenario], cat: Catalog, *, uncertainty: bool = False, samples: int = 4000,
                       seed: int = 0, strict: bool = True) -> list[Estimate | Exception]:
    """Estimates of several scenarios from one resolution. strict: raise the first row's error; else return
    the error in that row's place."""
    from estimator.planning.resolution import resolve
    from estimator.planning.rows import Rows

    checked = [checked_overrides(s.overrides, cat) for s in scenarios]
    res = resolve(Rows.from_scenarios(scenarios, checked), cat)
    out: list[Estimate | Exception] = []
    for i, s in enumerate(scenarios):
        try:
            out.append(estimate_from(res, i, s))
        except Exception as exc:
            if strict or not hasattr(exc, "with_prefix"):
                raise
            out.append(exc)
    if uncertainty:
        from estimator.planning.uncertainty import simulate_many

        done = [e for e in out if isinstance(e, Estimate)]
        for e, spread in zip(done, simulate_many(done, cat, samples=samples, seed=seed)):
            e.uncertainty = spread
    return out


def estimate_from(res, i: int, scenario: Scenario) -> Estimate:
    """Row i of a resolution as an Estimate (raises the row's error, or that it does not fit)."""
    from estimator.catalog.bounds import check_deadline_gpus, check_scenario

    if res.errors[i] is not None:
        raise res.errors[i]
    check_scenario(scenario, res.cat)  # --gpus / --epochs obey the bounds --set gpus= / --set epochs= obey
    values = res.values(i)
    spec = res.specs[res.model_codes[i]]
    warnings = list(res.warnings[i])
    if scenario.method == "api":
        values["cost_usd"] = values["api_cost_usd"]
        values["tokens"] = values["billed_tokens_per_epoch"]
        units = {s.name: s.unit for s in res.trace(i)} | {"cost_usd": "USD", "tokens": "tokens"}
        return Estimate(scenario, spec.id, None, values, units, res.trace(i), warnings, profile=res.profiles[i],
                        catalog=res.cat)
    hw = res.cat.gpu(scenario.gpu or DEFAULT_GPU)
    check_fit(values, spec.id, hw.id, scenario)
    if scenario.deadline_hours is not None:
        check_deadline_gpus(values["gpus"], scenario.deadline_hours, res.cat)
    values["gpus"] = int(values["gpus"])
    if scenario.method == "pretrain":
        ratio = values["tokens_vs_optimal"]
        if not 0.5 <= ratio <= 2.0:
            warnings.append(f"token budget {si(values['train_tokens'])} is {ratio:.2g}× the compute-optimal "
                            f"{si(values['compute_optimal_tokens'])} tokens (~20 per parameter, Hoffmann et al. 2022)")
    warnings += sanity_warnings(values, scenario, hw, float(values.get("context", spec.context or float("nan"))))
    warnings.append(settings_note(values, scenario.method))
    trace = res.trace(i)
    units = {s.name: s.unit for s in trace}
    return Estimate(scenario, spec.id, hw.id, values, units, trace, warnings, profile=res.profiles[i], catalog=res.cat,
                    adopted=dict(res.adopted.get(i, {})))
