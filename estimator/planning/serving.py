"""serve(): what it takes to serve a model yourself - KV cache per sequence, throughput, GPUs for a traffic level,
$ per 1M tokens and the monthly bill. Every figure comes from rules/serving.py through the engine."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from estimator.catalog.bounds import check_value
from estimator.catalog.loader import Catalog
from estimator.errors import ConfigurationError
from estimator.planning import assumptions as at
from estimator.planning.engine import Given, Step, evaluate
from estimator.planning.givens import (
    DEFAULT_GPU,
    OWNED,
    complete_catalog_model,
    energy_givens,
    hardware_givens,
    model_givens,
    owned_givens,
    price_givens,
)
from estimator.planning.inputs import checked_overrides, resolve_catalog
from estimator.planning.providers import assumption_provider
from estimator.planning.scenario import positive_number
from estimator.planning.traced import explain_steps, fmt
from estimator.rules import REGISTRY

TARGETS = ["kv_cache_bytes_per_token", "kv_cache_gb_per_sequence", "serving_weight_bytes", "serve_gpus_per_replica",
           "replica_output_tokens_per_second", "output_tokens_per_second", "required_output_tokens_per_second",
           "serve_gpus", "price_usd_per_gpu_hour", "usd_per_million_tokens", "monthly_serving_usd",
           "serving_cost_usd"]
MAX_SERVE_GPUS = 100_000  # about the largest single GPU cluster reported (xAI Colossus, 100k H100, 2024)


@dataclass
class ServingPlan:
    model: str
    gpu: str
    dtype: str
    input_tokens: float
    output_tokens: float
    requests_per_day: float
    months: float
    output_tokens_per_second: float  # per GPU
    replica_output_tokens_per_second: float
    kv_cache_gb_per_sequence: float
    gpus_per_replica: int
    gpus: int
    usd_per_million_tokens: float  # per output token, fully busy replica
    price_usd_per_gpu_hour: float
    monthly_serving_usd: float
    serving_cost_usd: float
    steps: list[Step] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        keys = ("model", "gpu", "dtype", "input_tokens", "output_tokens", "requests_per_day", "months",
                "output_tokens_per_second", "replica_output_tokens_per_second", "kv_cache_gb_per_sequence",
                "gpus_per_replica", "gpus", "usd_per_million_tokens", "price_usd_per_gpu_hour", "monthly_serving_usd",
                "serving_cost_usd")
        return {k: getattr(self, k) for k in keys} | {"warnings": list(self.warnings)}

    def explain(self) -> str:
        return explain_steps(f"serve · {self.model} · {self.gpu} · {self.dtype}", self.steps, self.values,
                             self.warnings)


def serve(model: str, *, gpu: str | None = None, gpus: int | None = None, provider: str | None = None,
          tier: str = "on_demand", input_tokens: float | str = 1000, output_tokens: float | str = 1000,
          requests_per_day: float | str | None = None, months: float | str = 12, region: str | None = None,
          overrides: dict[str, Any] | None = None, catalog: Catalog | Sequence[str] | str | None = None) -> ServingPlan:
    """Serve `model` on `gpu`: throughput per GPU, KV cache per sequence, GPUs for the traffic, $ per 1M tokens.

    dtype comes from overrides={'dtype': 'fp8'} (default: the 'dtype' table, bf16). Without requests_per_day the
    setup is one replica; with it, enough replicas for the average rate. gpus: a fixed count to check against the
    traffic (an error if it cannot carry it).
    """
    cat = resolve_catalog(catalog)
    overrides = checked_overrides(dict(overrides or {}), cat)
    if gpus is not None:  # the bounds --gpus obeys in estimate and compare (catalog/bounds.py)
        check_value("gpus", gpus, cat, "")
    spec, warnings = complete_catalog_model(cat.model(model))
    if spec.api_only:
        raise ConfigurationError(f"{spec.id} has no public weights to serve yourself; its hosted price is in "
                                 f"'estimator catalog apis'")
    hw = cat.gpu(gpu or DEFAULT_GPU)
    if hw.bandwidth_tbps is None:
        raise ConfigurationError(f"{hw.id} has no memory bandwidth in the catalog: serving throughput needs it")
    dtype = str(overrides.get("dtype") or at.lookup(cat.assumption("dtype"), "dtype", {}).value)
    inp, out = positive_number("--input-tokens", input_tokens), positive_number("--output-tokens", output_tokens)
    rpd = 0.0 if requests_per_day is None else positive_number("--requests-per-day", requests_per_day, allow_zero=True)
    n_months = positive_number("--months", months)
    given: dict[str, Given] = {"dtype": Given(dtype, "", "--set dtype or the 'dtype' table", "input", "precision")}
    given |= model_givens(spec, cat.origin("models", spec.id))
    given |= hardware_givens(hw, cat.origin("hardware", hw.id), dtype)
    given["gpu_bandwidth_tbps"] = Given(hw.bandwidth_tbps, "TB/s", hw.source, "catalog", f"{hw.id}.bandwidth_tbps")
    given |= energy_givens(cat, region)
    owned = (provider or "").lower() == OWNED
    given["owned"] = Given(owned, "", "scenario", "input", "provider 'owned' (bought GPUs) or rented")
    if owned:
        given |= owned_givens(hw, cat) | {"listed_usd_per_gpu_hour": Given(np.nan, "USD/GPU-hour", "owned GPUs")}
        if not np.isfinite(given["purchase_usd_per_gpu"].value) and "purchase_usd_per_gpu" not in overrides:
            raise ConfigurationError(f"owned {hw.id} needs a purchase price: --set purchase_usd_per_gpu=N, or add a "
                                     f"capex row for {hw.id} with --catalog")
    else:
        listed, w = price_givens(cat, hw.id, provider, tier)
        given |= listed | {"purchase_usd_per_gpu": Given(np.nan, "USD", "rented GPUs")}
        warnings += w
    for name, value, unit in (("input_tokens", inp, "tokens"), ("output_tokens", out, "tokens"),
                              ("requests_per_day", rpd, "requests/day"), ("months", n_months, "months")):
        given[name] = Given(value, unit, "input", "input", name)
    providers = {name: assumption_provider(cat, name) for name in cat.assumptions if name != "dtype"}
    ev = evaluate(REGISTRY, TARGETS, given,
                  {k: v for k, v in overrides.items() if k != "dtype"}, providers)
    v = {k: (np.asarray(x).reshape(-1)[0].item() if np.size(x) == 1 else x) for k, x in ev.values.items()}
    if not np.isfinite(v["serve_gpus_per_replica"]):
        raise ConfigurationError(
            f"{spec.id} in {dtype} ({v['serving_weight_bytes'] / 1e9:,.0f} GB of weights) plus one {fmt(inp + out)}-"
            f"token sequence does not fit in one 8-GPU node of {hw.id} ({hw.memory_gb:g} GB each; a replica's "
            f"tensor-parallel group stays inside a node): no serving setup on this GPU (try --set dtype=fp8 or a "
            f"larger GPU)")
    need = int(v["serve_gpus"])
    if need > MAX_SERVE_GPUS:
        raise ConfigurationError(
            f"{fmt(rpd)} requests/day × {fmt(out)} output tokens = {fmt(v['required_output_tokens_per_second'])} "
            f"tokens/s needs {need:,} × {hw.id}, beyond any serving setup (over {MAX_SERVE_GPUS:,} GPUs)")
    if gpus is not None:
        if gpus < v["serve_gpus_per_replica"]:
            raise ConfigurationError(f"{spec.id} needs {int(v['serve_gpus_per_replica'])} × {hw.id} per replica; "
                                     f"--gpus {gpus} is too few")
        capacity = (gpus // int(v["serve_gpus_per_replica"])) * v["replica_output_tokens_per_second"]
        if rpd and v["required_output_tokens_per_second"] > capacity:
            raise ConfigurationError(
                f"traffic of {fmt(v['required_output_tokens_per_second'])} output tokens/s exceeds what {gpus} × "
                f"{hw.id} serve ({fmt(capacity)} tokens/s): it needs {need} GPUs")
        given["serve_gpus"] = Given(float(gpus), "GPUs", "--gpus", "input", "gpus")
        ev = evaluate(REGISTRY, TARGETS, given,
                      {k: x for k, x in overrides.items() if k != "dtype"}, providers)
        v = {k: (np.asarray(x).reshape(-1)[0].item() if np.size(x) == 1 else x) for k, x in ev.values.items()}
    if not rpd:
        warnings.append("no --requests-per-day: GPUs and the monthly cost are for one replica")
    if spec.n_active > 1e11:
        warnings.append(f"{spec.id} is above the sizes the throughput model was calibrated on (8B, 70B): on Llama 3.1 "
                        f"405B at TP8 it overestimates TensorRT-LLM's throughput by ~65% (docs/validation-serving.md)")
    return ServingPlan(model=spec.id, gpu=hw.id, dtype=dtype, input_tokens=inp, output_tokens=out,
                       requests_per_day=rpd, months=n_months,
                       output_tokens_per_second=float(v["output_tokens_per_second"]),
                       replica_output_tokens_per_second=float(v["replica_output_tokens_per_second"]),
                       kv_cache_gb_per_sequence=float(v["kv_cache_gb_per_sequence"]),
                       gpus_per_replica=int(v["serve_gpus_per_replica"]), gpus=int(v["serve_gpus"]),
                       usd_per_million_tokens=float(v["usd_per_million_tokens"]),
                       price_usd_per_gpu_hour=float(v["price_usd_per_gpu_hour"]),
                       monthly_serving_usd=float(v["monthly_serving_usd"]), serving_cost_usd=float(v["serving_cost_usd"]),
                       steps=ev.trace_for(TARGETS), values=v, warnings=warnings)
