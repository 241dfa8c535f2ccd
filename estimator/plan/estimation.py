"""estimate(): one scenario in, an Estimate (values, units, trace, warnings) out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from estimator.catalog.loader import Catalog, load_catalog
from estimator.errors import ConfigurationError
from estimator.plan import assumptions as at
from estimator.plan.checks import check_fit, sanity_warnings
from estimator.plan.engine import Given, evaluate
from estimator.plan.givens import (
    DEFAULT_GPU,
    OWNED,
    complete_catalog_model,
    energy_givens,
    hardware_givens,
    inline_model,
    model_givens,
    owned_givens,
    price_given,
)
from estimator.plan.providers import assumption_provider, cap_seq_len, deadline_provider, fit_provider
from estimator.plan.result import Estimate
from estimator.plan.scenario import Scenario
from estimator.rules import REGISTRY
from estimator.rules.base import scalar
from estimator.units import si

GPU_OUTPUTS = [
    "train_tokens", "train_flops", "hardware_flops", "trainable_params", "lora_params",
    "weight_bytes", "gradient_bytes", "optimizer_bytes", "activation_bytes",
    "memory_per_gpu_gb", "usable_bytes_per_gpu", "gpus_to_fit", "gpus", "mfu", "hfu",
    "wall_clock_hours", "wall_clock_days", "gpu_hours", "price_usd_per_gpu_hour", "cost_usd",
    "energy_kwh", "co2_kg", "energy_cost_usd",
]
API_OUTPUTS = ["billed_tokens", "api_cost_usd"]

def resolve_catalog(catalog: Catalog | Sequence[str] | str | None) -> Catalog:
    if isinstance(catalog, Catalog):
        return catalog
    if catalog is None:
        return load_catalog()
    return load_catalog([catalog] if isinstance(catalog, str) else list(catalog))


def estimate(method: str, model: str | dict[str, Any], tokens: float | str | None = None, *, gpu: str | None = None,
             gpus: int | None = None, provider: str | None = None, tier: str = "on_demand",
             epochs: float | None = None, deadline: str | float | None = None, dataset: Any = None,
             region: str | None = None, overrides: dict[str, Any] | None = None, packing: bool = True,
             catalog: Catalog | Sequence[str] | str | None = None, name: str | None = None,
             uncertainty: bool = False, samples: int = 4000, seed: int = 0) -> Estimate:
    """Estimate one training run. See README 'Python API'.

    model: a catalog id (aliases and case accepted) or an inline spec dict ({'params': 7e9, ...}).
    tokens: training tokens per epoch (numbers or '2T'); gpus: a count, or deadline ('30d') for the
    fewest that finish in time; default: the fewest that fit in memory. overrides: any assumption or
    quantity by name (e.g. {'mfu': 0.45}); they beat every table. uncertainty: add P10/P50/P90 of
    wall-clock hours, GPU-hours and cost from a seeded Monte Carlo over the assumption ranges.
    """
    scenario = Scenario(method=method, model=model, tokens=tokens, epochs=epochs, gpu=gpu, gpus=gpus,
                        deadline_hours=deadline, provider=provider, tier=tier, region=region, dataset=dataset,
                        overrides=dict(overrides or {}), name=name, packing=packing)
    return estimate_scenario(scenario, resolve_catalog(catalog), uncertainty=uncertainty, samples=samples, seed=seed)


@dataclass
class Prepared:
    """Everything the engine needs for one scenario (or, with array values, for a grid)."""

    spec: Any
    hw: Any
    given: dict[str, Given]
    providers: dict[str, Any]
    overrides: dict[str, Any]
    targets: list[str]
    warnings: list[str]
    dtype: str = "bf16"
    profile: Any = None


def resolve_model(scenario: Scenario, cat: Catalog) -> tuple[Any, str, list[str]]:
    if isinstance(scenario.model, dict):
        spec, warnings = inline_model(scenario.model)
        return spec, "inline", warnings
    spec = cat.model(scenario.model)
    spec, warnings = complete_catalog_model(spec)
    return spec, cat.origin("models", spec.id), warnings


def check_method(spec: Any, method: str, cat: Catalog) -> None:
    if method == "api" and cat.api_for(spec.id) is None:
        offered = ", ".join(sorted(cat.apis))
        raise ConfigurationError(f"{spec.id} has no hosted fine-tuning API in the catalog (models with one: {offered})")
    if method not in spec.methods:
        if spec.api_only:
            raise ConfigurationError(f"{spec.id} is offered only through a hosted fine-tuning API (weights are not "
                                     f"public): use method 'api'")
        raise ConfigurationError(f"{spec.id} does not support method '{method}' (supports {', '.join(spec.methods)})")


def prepare(scenario: Scenario, cat: Catalog) -> Prepared:
    """Givens from the scenario and catalog, assumption providers, targets (GPU methods)."""
    spec, origin, warnings = resolve_model(scenario, cat)
    check_method(spec, scenario.method, cat)
    overrides = _numeric_overrides(scenario.overrides, cat)
    given: dict[str, Given] = {"method": Given(scenario.method, "", "scenario", "input", "method")}
    given |= model_givens(spec, origin)
    profile = None
    if scenario.tokens is not None:
        given["tokens"] = Given(scenario.tokens, "tokens", "scenario", "input", "tokens per epoch")
    if scenario.epochs is not None:
        given["epochs"] = Given(scenario.epochs, "epochs", "scenario", "input", "epochs")
    hw = cat.gpu(scenario.gpu or DEFAULT_GPU)
    if scenario.gpu is None:
        warnings.append(f"no GPU given: using {hw.id}")
    dtype = str(overrides.get("dtype") or at.lookup(cat.assumption("dtype"), "dtype", {}).value)
    given |= hardware_givens(hw, cat.origin("hardware", hw.id), dtype)
    given["dtype"] = Given(dtype, "", "scenario or the 'dtype' table", "input", "training precision")
    if (scenario.provider or "").lower() == OWNED:
        given |= owned_givens(hw, overrides)
        if scenario.tier != "on_demand":
            warnings.append(f"tier {scenario.tier} is ignored for owned GPUs")
    else:
        price, w = price_given(cat, scenario, hw)
        warnings += w
        given["price_usd_per_gpu_hour"] = price
        unused = [k for k in ("purchase_usd_per_gpu", "amortization_years", "owned_utilization") if k in overrides]
        if unused:
            warnings.append(f"{', '.join(unused)} only apply with --provider owned")
    given |= energy_givens(cat, scenario.region)

    providers = {name: assumption_provider(cat, name) for name in cat.assumptions if name not in ("dtype",)}
    providers["seq_len"] = assumption_provider(cat, "seq_len", cap_seq_len, ("context",))
    if scenario.gpus is not None:
        given["gpus"] = Given(scenario.gpus, "GPUs", "scenario", "input", "gpus")
    elif scenario.deadline_hours is not None:
        providers["gpus"] = deadline_provider(cat, scenario.deadline_hours, given, overrides, providers)
    else:
        providers["gpus"] = fit_provider()
    if scenario.tokens is None:
        # The packing length is the run's own seq_len and micro-batch, resolved by the same providers
        # (tables, overrides, the context cap) the estimate uses.
        from estimator.plan.dataset_tokens import dataset_tokens

        ev = evaluate(REGISTRY, ["seq_len", "micro_batch"], given, overrides, providers)
        dt = dataset_tokens(scenario.dataset, spec, scenario.method, example_cap=None,
                            seq_len=int(scalar(ev.values["seq_len"])), micro_batch=int(scalar(ev.values["micro_batch"])),
                            packing=scenario.packing)
        given["tokens"] = dt.tokens
        warnings += dt.warnings
        profile = dt.profile
    targets = list(GPU_OUTPUTS)
    if scenario.method == "pretrain":
        targets += ["compute_optimal_tokens", "tokens_vs_optimal"]
    return Prepared(spec, hw, given, providers, overrides, targets, warnings, dtype, profile)


def estimate_scenario(scenario: Scenario, cat: Catalog, *, uncertainty: bool = False, samples: int = 4000,
                      seed: int = 0) -> Estimate:
    if scenario.method == "api":
        spec, _, warnings = resolve_model(scenario, cat)
        check_method(spec, "api", cat)
        ignored = [n for n, v in (("gpu", scenario.gpu), ("gpus", scenario.gpus), ("provider", scenario.provider),
                                  ("deadline", scenario.deadline_hours)) if v is not None]
        if ignored:
            warnings.append(f"ignored for a hosted API: {', '.join(ignored)}")
        e = _estimate_api(scenario, cat, spec, _numeric_overrides(scenario.overrides, cat), warnings)
        if uncertainty:  # price and tokens are known: no spread
            e.uncertainty = {"samples": 0, "seed": seed, "ranges": {},
                             "cost_usd": {q: e.cost_usd for q in ("p10", "p50", "p90")}}
        return e
    p = prepare(scenario, cat)
    ev = evaluate(REGISTRY, p.targets, p.given, p.overrides, p.providers)
    values = {k: scalar(v) for k, v in ev.values.items()}
    check_fit(values, p.spec.id, p.hw.id, scenario)
    values["gpus"] = int(values["gpus"])
    warnings = list(p.warnings)
    if scenario.method == "pretrain":
        ratio = values["tokens_vs_optimal"]
        if not 0.5 <= ratio <= 2.0:
            warnings.append(f"token budget {si(values['train_tokens'])} is {ratio:.2g}× the compute-optimal "
                            f"{si(values['compute_optimal_tokens'])} tokens (~20 per parameter, Hoffmann et al. 2022)")
    warnings += sanity_warnings(values, scenario, p.hw, float(p.given["context"].value))
    values["gpu_days"] = values["gpu_hours"] / 24.0
    units = {s.name: s.unit for s in ev.steps.values()} | {"gpu_days": "GPU-days"}
    result = Estimate(scenario, p.spec.id, p.hw.id, values, units, ev.trace_for(p.targets), warnings,
                      profile=p.profile)
    if uncertainty:
        from estimator.plan.uncertainty import simulate

        result.uncertainty = simulate(result, cat, p, samples=samples, seed=seed)
    return result


def _numeric_overrides(overrides: dict[str, Any], cat: Catalog) -> dict[str, Any]:
    """Parse and range-check every override (one-line error naming the value and the allowed range)."""
    from estimator.catalog.bounds import check_value

    return {key: check_value(key, value, cat, "--set") for key, value in overrides.items()}


def _estimate_api(scenario: Scenario, cat: Catalog, spec, overrides: dict[str, Any], warnings: list[str]) -> Estimate:
    api = cat.api_for(spec.id)
    src = f"{api.source} (as of {api.as_of}; {cat.origin('apis', spec.id)})"
    if api.availability:
        warnings = [*warnings, f"Hosted fine-tuning of {api.model} may not be open to you: {api.availability}"]
    given: dict[str, Given] = {
        "training_usd_per_1m_tokens": Given(api.training_usd_per_1m_tokens, "USD/1M tokens", src, "catalog",
                                            f"{api.model} training price"),
    }
    profile, default_epochs = None, None
    if scenario.tokens is not None:
        given["billed_tokens_per_epoch"] = Given(scenario.tokens, "tokens", "scenario", "input",
                                                 "tokens per epoch as given (no per-example cap applied)")
    else:
        from estimator.plan.dataset_tokens import dataset_tokens

        dt = dataset_tokens(scenario.dataset, spec, "api", example_cap=api.max_example_tokens, seq_len=None)
        given["billed_tokens_per_epoch"] = dt.tokens
        warnings = warnings + dt.warnings
        profile, default_epochs = dt.profile, dt.default_epochs
    if scenario.epochs is not None:
        given["epochs"] = Given(scenario.epochs, "epochs", "scenario", "input", "epochs")
    elif default_epochs is not None:
        given["epochs"] = default_epochs
    else:
        table = cat.assumption("epochs")
        g = at.lookup(table, "epochs", {"method": "api"})
        given["epochs"] = Given(g.value, g.unit, g.source, g.kind, g.formula + " (no dataset to apply the default-epoch rule)")
    ev = evaluate(REGISTRY, API_OUTPUTS, given, overrides)
    values = {k: scalar(v) for k, v in ev.values.items()}
    values["cost_usd"] = values["api_cost_usd"]
    values["tokens"] = values["billed_tokens_per_epoch"]
    units = {s.name: s.unit for s in ev.steps.values()} | {"cost_usd": "USD"}
    return Estimate(scenario, spec.id, None, values, units, ev.trace_for(API_OUTPUTS), warnings, profile=profile)
