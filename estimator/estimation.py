"""estimate(): one scenario in, an Estimate (values, units, trace, warnings) out."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import assumptions as at
from .catalog import Catalog, load_catalog
from .engine import Given, Step, evaluate
from .errors import ConfigurationError
from .providers import assumption_provider, cap_seq_len, deadline_provider, fit_provider
from .resolve import (
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
from .rules import REGISTRY
from .rules.base import scalar
from .scenario import Scenario
from .units import co2, hours, si, usd, with_unit

GPU_OUTPUTS = [
    "train_tokens", "train_flops", "hardware_flops", "trainable_params", "lora_params",
    "weight_bytes", "gradient_bytes", "optimizer_bytes", "activation_bytes",
    "memory_per_gpu_gb", "usable_bytes_per_gpu", "gpus_to_fit", "gpus", "mfu", "hfu",
    "wall_clock_hours", "wall_clock_days", "gpu_hours", "price_usd_per_gpu_hour", "cost_usd",
    "energy_kwh", "co2_kg", "energy_cost_usd",
]
API_OUTPUTS = ["billed_tokens", "api_cost_usd"]
# Keys of to_dict(), in order (units in docs/outputs.md and in Estimate.units).
HEADLINE = ["train_flops", "gpus", "memory_per_gpu_gb", "wall_clock_hours", "gpu_hours", "cost_usd",
            "energy_kwh", "co2_kg"]


@dataclass
class Estimate:
    """Named values with units, the trace of rules that produced them, and warnings."""

    scenario: Scenario
    model_id: str
    gpu_id: str | None
    values: dict[str, Any]
    units: dict[str, str]
    steps: list[Step]
    warnings: list[str] = field(default_factory=list)
    uncertainty: dict[str, Any] | None = None
    profile: Any = None  # DatasetProfile when tokens came from a dataset

    def __getattr__(self, name: str) -> Any:
        values = self.__dict__.get("values", {})
        if name in values:
            return values[name]
        raise AttributeError(name)

    @property
    def method(self) -> str:
        return self.scenario.method

    @property
    def cost_usd(self) -> float:
        return self.values.get("cost_usd", float("nan"))

    def to_dict(self) -> dict[str, Any]:
        """Flat record: scenario, headline quantities (raw numbers), warnings."""
        out: dict[str, Any] = {
            "name": self.scenario.name,
            "method": self.method,
            "model": self.model_id,
            "gpu": self.gpu_id,
            "provider": self.scenario.provider,
            "tier": self.scenario.tier if self.method != "api" else None,
        }
        for key in ("tokens", "epochs", "train_tokens", *HEADLINE, "gpu_days", "wall_clock_days", "hardware_flops",
                    "mfu", "price_usd_per_gpu_hour", "trainable_params", "billed_tokens",
                    "training_usd_per_1m_tokens", "compute_optimal_tokens", "tokens_vs_optimal"):
            if key in self.values:
                out[key] = self.values[key]
        for key in HEADLINE:
            out.setdefault(key, None)
        for key, spread in (self.uncertainty or {}).items():
            if isinstance(spread, dict) and "p50" in spread:
                for q in ("p10", "p50", "p90"):
                    out[f"{key}_{q}"] = spread[q]
        out = {k: _tidy(v) for k, v in out.items()}
        out["warnings"] = list(self.warnings)
        return out

    def to_frame(self):
        """One-row pandas DataFrame of to_dict() (warnings joined)."""
        import pandas as pd

        row = self.to_dict()
        row["warnings"] = "; ".join(row["warnings"])
        return pd.DataFrame([row])

    def memory_breakdown_gb(self) -> dict[str, float]:
        """Per-GPU memory by component (GB, 2^30 bytes) after ZeRO sharding, and the usable capacity."""
        if self.method == "api":
            return {}
        v = self.values
        stage, g = v["zero_stage"], v["gpus"]
        share = {"weights": 3, "gradients": 2, "optimizer": 1}
        out = {}
        for name, key in (("weights", "weight_bytes"), ("gradients", "gradient_bytes"), ("optimizer", "optimizer_bytes")):
            out[name] = v[key] / (g if stage >= share[name] else 1) / 2**30
        out["activations"] = v["activation_bytes"] / 2**30
        out["usable"] = v["usable_bytes_per_gpu"] / 2**30
        out["capacity"] = v["gpu_memory_gb"]
        return out

    def trace_frame(self):
        """The trace as a DataFrame: quantity, value, unit, kind, formula, inputs, source."""
        import pandas as pd

        return pd.DataFrame([{
            "quantity": s.name, "value": s.value, "unit": s.unit, "kind": s.kind, "formula": s.formula,
            "inputs": ", ".join(s.inputs), "source": s.source} for s in self.steps])

    def __repr__(self) -> str:
        return f"Estimate({self.method}, {self.model_id}, cost_usd={self.cost_usd:.4g})"

    def explain(self) -> str:
        """Every step, dependencies first: value, unit, formula or table row, and source."""
        lines = [f"{self.method} · {self.model_id}" + (f" · {self.values.get('gpus', '?'):.0f} × {self.gpu_id}"
                                                          if self.gpu_id else "")]
        for s in self.steps:
            lines.append(f"{s.name} = {_fmt(s.value)} {s.unit}".rstrip() + f"   [{s.kind}]")
            if s.formula:
                lines.append(f"    formula: {s.formula}")
            if s.inputs:
                lines.append("    from: " + ", ".join(f"{i}={_fmt(self.values.get(i))}" for i in s.inputs))
            lines.append(f"    source: {s.source}")
        if self.warnings:
            lines.append("warnings:")
            lines += [f"  - {w}" for w in self.warnings]
        return "\n".join(lines)

    def summary(self) -> list[tuple[str, str]]:
        """Human-readable headline rows (for the terminal)."""
        v = self.values
        rows = [("method", self.method), ("model", self.model_id)]
        if self.method == "api":
            rows += [("billed tokens", with_unit(v["billed_tokens"], "tokens")), ("epochs", _fmt(v["epochs"])),
                     ("price / 1M training tokens", usd(v["training_usd_per_1m_tokens"])), ("cost", usd(v["cost_usd"]))]
            return rows
        u = self.uncertainty or {}

        def spread(key: str, fmt) -> str:
            if key not in u:
                return fmt(v[key])
            q = u[key]
            return f"{fmt(q['p50'])} ({fmt(q['p10'])} – {fmt(q['p90'])})"

        rows += [("GPU", f"{v['gpus']:.0f} × {self.gpu_id}"), ("training tokens", with_unit(v["train_tokens"], "tokens")),
                 ("train FLOPs", with_unit(v["train_flops"], "FLOP")), ("memory per GPU", f"{v['memory_per_gpu_gb']:.1f} GB"),
                 ("MFU", f"{v['mfu']:.3f}"), ("wall clock", spread("wall_clock_hours", hours)),
                 ("GPU-hours", spread("gpu_hours", lambda x: with_unit(x, "GPU-h"))),
                 ("price", usd(v["price_usd_per_gpu_hour"]) + " / GPU-h"), ("cost", spread("cost_usd", usd)),
                 ("energy", with_unit(v["energy_kwh"] * 1000, "Wh")), ("CO2", co2(v["co2_kg"]))]
        if u:
            rows.append(("ranges", f"P50 (P10 – P90) from {u['samples']} Monte Carlo draws over: "
                                   + ", ".join(u["ranges"])))
        return rows


def _tidy(value: Any) -> Any:
    """Raw numbers without float noise (0.8999999999999999 -> 0.9); whole counts as int."""
    if isinstance(value, (float, np.floating)) and math.isfinite(value):
        value = float(f"{float(value):.12g}")
    return value


def _fmt(value: Any) -> str:
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        return f"{value:.4g}"
    return str(value)


def _resolve_catalog(catalog: Catalog | Sequence[str] | str | None) -> Catalog:
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
    return estimate_scenario(scenario, _resolve_catalog(catalog), uncertainty=uncertainty, samples=samples, seed=seed)


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
    else:
        from .dataset_tokens import dataset_tokens

        seq_len = overrides.get("seq_len") or at.lookup(cat.assumption("seq_len"), "seq_len",
                                                        {"method": scenario.method}).value
        seq_len = min(int(seq_len), int(given["context"].value))
        micro = overrides.get("micro_batch") or at.lookup(cat.assumption("micro_batch"), "micro_batch", {}).value
        dt = dataset_tokens(scenario.dataset, spec, scenario.method, example_cap=None, seq_len=seq_len,
                            micro_batch=int(micro), packing=scenario.packing)
        given["tokens"] = dt.tokens
        warnings += dt.warnings
        profile = dt.profile
    if scenario.epochs is not None:
        given["epochs"] = Given(scenario.epochs, "epochs", "scenario", "input", "epochs")
    hw = cat.gpu(scenario.gpu or DEFAULT_GPU)
    if scenario.gpu is None:
        warnings.append(f"no GPU given: using {hw.id}")
    dtype = str(overrides.get("dtype") or at.lookup(cat.assumption("dtype"), "dtype", {}).value)
    given |= hardware_givens(hw, cat.origin("hardware", hw.id), dtype)
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
        providers["gpus"] = deadline_provider(cat, scenario.deadline_hours, overrides)
    else:
        providers["gpus"] = fit_provider()
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
    _check_fit(values, p.spec.id, p.hw.id, scenario)
    warnings = list(p.warnings)
    if scenario.method == "pretrain":
        ratio = values["tokens_vs_optimal"]
        if not 0.5 <= ratio <= 2.0:
            warnings.append(f"token budget {si(values['train_tokens'])} is {ratio:.2g}× the compute-optimal "
                            f"{si(values['compute_optimal_tokens'])} tokens (~20 per parameter, Hoffmann et al. 2022)")
    warnings += _sanity_warnings(values, scenario, p)
    values["gpu_days"] = values["gpu_hours"] / 24.0
    units = {s.name: s.unit for s in ev.steps.values()} | {"gpu_days": "GPU-days"}
    result = Estimate(scenario, p.spec.id, p.hw.id, values, units, ev.trace_for(p.targets), warnings,
                      profile=p.profile)
    if uncertainty:
        from .uncertainty import simulate

        result.uncertainty = simulate(result, cat, p, samples=samples, seed=seed)
    return result


def _numeric_overrides(overrides: dict[str, Any], cat: Catalog) -> dict[str, Any]:
    """Parse and range-check every override (one-line error naming the value and the allowed range)."""
    from .bounds import check_value

    return {key: check_value(key, value, cat, "--set") for key, value in overrides.items()}


LARGEST_CLUSTER = 16_384  # H100s used for Llama 3 405B (Dubey et al. 2024), the largest run in our references
LARGEST_TOKENS = 15.6e12  # Llama 3 405B pretraining tokens (Dubey et al. 2024)


def _sanity_warnings(values: dict[str, Any], scenario: Scenario, p: Prepared) -> list[str]:
    """Flags for configurations far outside anything published: the numbers are computed, but say so."""
    out = []
    gpus, tokens = values["gpus"], values["train_tokens"]
    if gpus > 10 * LARGEST_CLUSTER:
        out.append(f"{gpus:,.0f} GPUs is over 10× the largest cluster in the reference runs ({LARGEST_CLUSTER:,} H100s "
                   "for Llama 3 405B): communication limits are not modelled at that scale")
    if tokens > 50 * LARGEST_TOKENS:
        out.append(f"{tokens:.3g} training tokens is over 50× the largest published run ({LARGEST_TOKENS:.3g}, Llama 3)")
    sequences = tokens / values["seq_len"]
    if gpus * values["micro_batch"] > sequences:
        out.append(f"only {sequences:,.0f} sequences of {values['seq_len']:.0f} tokens for {gpus:,.0f} GPUs: "
                   "a step cannot keep every GPU busy, so the time is optimistic")
    if values["wall_clock_hours"] > 5 * 8760:
        out.append(f"wall clock {values['wall_clock_hours'] / 8760:,.0f} years: add GPUs (--gpus) or a --deadline")
    if not np.isfinite(values.get("energy_kwh", np.nan)):
        out.append(f"{p.hw.id} has no published power figure in the catalog: energy and CO2 not computed")
    if scenario.method == "qlora" and p.hw.vendor != "nvidia":
        out.append(f"QLoRA's 4-bit NF4 kernels (bitsandbytes) target NVIDIA CUDA; {p.hw.id} ({p.hw.vendor}) support "
                   "is limited or absent")
    return out


def _check_fit(values: dict[str, Any], model_id: str, gpu_id: str, scenario: Scenario) -> None:
    usable_gb = values["usable_bytes_per_gpu"] / 2**30
    if np.ndim(values["gpus_to_fit"]) == 0 and math.isinf(values["gpus_to_fit"]):
        from .rules.memory import _split

        _, replicated = _split(values["zero_stage"], values["weight_bytes"], values["gradient_bytes"],
                               values["optimizer_bytes"])
        floor_gb = (replicated + values["activation_bytes"]) / 2**30
        raise ConfigurationError(
            f"{model_id} {scenario.method} cannot fit on any number of {gpu_id}: activations and unsharded states "
            f"need {floor_gb:.1f} GB per GPU, {floor_gb - usable_gb:.1f} GB over the {usable_gb:.1f} GB usable "
            f"(try --set seq_len=..., --set activation_recompute=full, --set zero_stage=3 or a larger GPU)")
    if np.ndim(values["gpus"]) == 0 and values["memory_per_gpu_gb"] > usable_gb * (1 + 1e-9):
        raise ConfigurationError(
            f"{model_id} {scenario.method} does not fit on {values['gpus']:.0f} × {gpu_id}: "
            f"{values['memory_per_gpu_gb']:.1f} GB per GPU > {usable_gb:.1f} GB usable "
            f"({values['memory_per_gpu_gb'] - usable_gb:.1f} GB over); fewest that fit: {values['gpus_to_fit']:.0f}")


def _estimate_api(scenario: Scenario, cat: Catalog, spec, overrides: dict[str, Any], warnings: list[str]) -> Estimate:
    api = cat.api_for(spec.id)
    src = f"{api.source} (as of {api.as_of}; {cat.origin('apis', spec.id)})"
    given: dict[str, Given] = {
        "training_usd_per_1m_tokens": Given(api.training_usd_per_1m_tokens, "USD/1M tokens", src, "catalog",
                                            f"{api.model} training price"),
    }
    profile, default_epochs = None, None
    if scenario.tokens is not None:
        given["billed_tokens_per_epoch"] = Given(scenario.tokens, "tokens", "scenario", "input",
                                                 "tokens per epoch as given (no per-example cap applied)")
    else:
        from .dataset_tokens import dataset_tokens

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
