"""Checks on a computed estimate: does it fit, and is it far outside anything published."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from estimator.errors import ConfigurationError
from estimator.planning.scenario import Scenario
from estimator.rules.memory import GIB

LARGEST_CLUSTER = 16_384  # H100s used for Llama 3 405B (Dubey et al. 2024), the largest run in our references
LARGEST_TOKENS = 15.6e12  # Llama 3 405B pretraining tokens (Dubey et al. 2024)


IDLE_GPUS = ("fewer training sequences than GPUs × micro-batch: a step cannot keep every GPU busy, so the time is "
             "optimistic")


def idle_gpus(gpus: Any, micro_batch: Any, train_tokens: Any, seq_len: Any) -> Any:
    """Whether the run has fewer sequences (tokens ÷ seq_len) than one micro-batch per GPU (scalars or grid columns)."""
    return np.asarray(gpus, dtype=float) * micro_batch > np.asarray(train_tokens, dtype=float) / seq_len


def sanity_warnings(values: dict[str, Any], scenario: Scenario, hw: Any, context: float) -> list[str]:
    """Flags for configurations far outside anything published: the numbers are computed, but say so."""
    out = []
    gpus, tokens = values["gpus"], values["train_tokens"]
    if values.get("offload") not in (None, "none"):
        share = 1.0 - float(values.get("offload_efficiency", 1.0))
        out.append(f"CPU offload ({values['offload']}): the CPU optimizer step and host transfers take {share:.0%} of "
                   f"each step (larger micro-batches and more of them per optimizer step spread them: --set micro_batch=N, "
                   f"--set grad_accum=N); the job keeps "
                   f"{float(values.get('offload_host_gb', 0.0)):,.0f} GB of model states in host memory")
    if gpus > 10 * LARGEST_CLUSTER:
        out.append(f"{gpus:,.0f} GPUs is over 10× the largest cluster in the reference runs ({LARGEST_CLUSTER:,} H100s "
                   "for Llama 3 405B): communication limits are not modelled at that scale")
    if tokens > 50 * LARGEST_TOKENS:
        out.append(f"{tokens:.3g} training tokens is over 50× the largest published run ({LARGEST_TOKENS:.3g}, Llama 3)")
    if idle_gpus(gpus, values["micro_batch"], tokens, values["seq_len"]):
        out.append(f"only {tokens / values['seq_len']:,.0f} sequences of {values['seq_len']:.0f} tokens for "
                   f"{gpus:,.0f} GPUs: a step cannot keep every GPU busy, so the time is optimistic")
    if values["wall_clock_hours"] > 5 * 8760:
        from estimator.units import plain

        out.append(f"wall clock {plain(values['wall_clock_hours'] / 8760)} years: add GPUs (--gpus) or a --deadline")
    if getattr(hw, "speed_caveat", None):
        out.append(f"{hw.id}: {hw.speed_caveat}")
    if not np.isfinite(values.get("tdp_w", np.nan)):
        out.append(f"{hw.id} has no published power figure in the catalog: energy and CO2 not computed")
    for key in ("mfu", "wall_clock_hours", "cost_usd"):
        if key in values and not np.isfinite(values[key]):
            out.append(f"{key} is not a finite number: check the overrides (--explain shows the inputs)")
    if values["seq_len"] > context:
        out.append(f"seq_len {values['seq_len']:,.0f} exceeds the model's {context:,.0f}-token context "
                   "(needs context extension, e.g. RoPE scaling)")
    if scenario.method == "qlora" and hw.vendor != "nvidia":
        out.append(f"QLoRA's 4-bit NF4 kernels (bitsandbytes) target NVIDIA CUDA; {hw.id} ({hw.vendor}) support "
                   "is limited or absent")
    return out


def fits(values: dict[str, Any]) -> Any:
    """Whether the plan fits in memory (scalar or per grid row): some GPU count fits, and the chosen one does."""
    usable_gb = values["usable_bytes_per_gpu"] / GIB
    return np.isfinite(values["gpus_to_fit"]) & (values["memory_required_gb"] <= usable_gb * (1 + 1e-9))


def describe_setting(values: dict[str, Any]) -> str:
    """'micro-batch 4 without checkpointing' style description of the settings that drive memory."""
    recompute = {"none": "without checkpointing", "selective": "with selective checkpointing",
                 "full": "with full checkpointing"}.get(str(values.get("activation_recompute")), "")
    return f"micro-batch {float(values['micro_batch']):.0f} {recompute}, {values.get('optimizer')}, " \
           f"{values.get('loss')} loss"


def settings_note(values: dict[str, Any], method: str) -> str:
    """One line saying which stack and trainer settings the memory (and time) assume."""
    parts = [f"{values['optimizer']} optimizer", f"{values['activation_recompute']} checkpointing",
             f"{values['attention']} attention", f"{values['loss']} loss", f"micro-batch {float(values['micro_batch']):.0f}",
             f"seq_len {float(values['seq_len']):,.0f}", f"ZeRO-{float(values['zero_stage']):.0f}"]
    if values.get("offload") not in (None, "none"):
        parts.append(f"{values['offload']} offloaded")
    if values.get("packing") is not None and "padded_tokens_per_epoch" in values:  # a dataset: packed or padded
        packed, padded = float(values["packed_tokens_per_epoch"]), float(values["padded_tokens_per_epoch"])
        packing = bool(np.asarray(values["packing"], dtype=bool))  # read as the `tokens` rule reads it
        parts.append("examples packed into full sequences" if packing else "each example padded to seq_len")
        if packing and padded > 1.5 * packed:
            parts.append(f"unpacked, padding would compute {padded / packed:,.1f}× the tokens (estimate --no-packing, "
                         "or packing: false in a scenario)")
    if method in ("lora", "qlora"):
        parts.append(f"LoRA r={float(values['lora_rank']):.0f} on {values['lora_targets']}")
    return f"assumes the {values['stack']} stack: " + ", ".join(parts) + " (change any with --set)"


def resolve_fit(cat: Any, model_id: str, gpu_id: str, scenario: Scenario,
                values: dict[str, Any], options: list[Any] | None = None) -> tuple[dict[str, Any], str]:
    """When the plan does not fit, the first setting a trainer would reach for that does (overrides, warning).

    Settings the user fixed are never changed. Raises, naming what was tried, when no setting fits.
    options: the alternatives already evaluated (fit.try_settings_many), else they are evaluated here.
    """
    if options is None:
        from estimator.planning.fit import ALTERNATIVES, try_settings

        options = try_settings(scenario, cat, ALTERNATIVES, {k: _plain(v) for k, v in values.items()})
    good = [o for o in options if o.fits]
    usable_gb = values["usable_bytes_per_gpu"] / GIB
    where = (f"on {values['gpus']:.0f} × {gpu_id}" if scenario.gpus is not None and np.isfinite(values["gpus"])
             else f"on any number of {gpu_id}")
    mem = values["memory_required_gb"] if np.isfinite(values["memory_required_gb"]) else _floor_gb(values)
    head = (f"{model_id} {scenario.method} does not fit {where} at {describe_setting(values)} "
            f"({mem:.1f} GB > {usable_gb:.1f} GB usable)")
    free = [o for o in good if not set(o.overrides) & set(scenario.overrides)]  # never change what the user set
    if not free:
        if good:
            fixes = " or ".join(f"{_set(o)} ({o.memory_gb:.0f} GB{_gpus(o, scenario)})" for o in good[:3])
            raise ConfigurationError(f"{head}; fits with {fixes}")
        tried = ", ".join(o.label for o in options) or "no other settings"
        raise ConfigurationError(f"{head}; nor with {tried}: use a larger GPU, more GPUs, a shorter seq_len or "
                                 f"--set tensor_parallel=N")
    best = free[0]
    also = ", ".join(f"{o.label} ({o.memory_gb:.0f} GB{_gpus(o, scenario)})" for o in [g for g in good if g is not best][:3])
    warning = f"{head}; using {best.label} ({best.memory_gb:.1f} GB{_gpus(best, scenario)})" + (
        f"; also fits with {also}" if also else "")
    return best.overrides, warning


def _set(o: Any) -> str:
    return " ".join(f"--set {k}={v}" for k, v in o.overrides.items())


def _gpus(o: Any, scenario: Scenario) -> str:
    return "" if scenario.gpus is not None else f", {o.gpus_to_fit:.0f} GPUs"


def _floor_gb(values: dict[str, Any]) -> float:
    """Per-GPU memory with every shardable state spread over infinitely many GPUs (what no GPU count removes)."""
    return float(values["memory_allocated_bytes"]) / GIB if np.isfinite(values.get("memory_allocated_bytes", np.nan)) \
        else float("nan")


def _plain(value: Any) -> Any:
    arr = np.asarray(value)
    return arr.item() if arr.ndim == 0 else value


def check_fit(values: dict[str, Any], model_id: str, gpu_id: str, scenario: Scenario) -> None:
    """Raise a one-line error, saying by how much, when the plan does not fit (after resolve_fit had its chance)."""
    usable_gb = values["usable_bytes_per_gpu"] / GIB
    if np.ndim(values["gpus_to_fit"]) == 0 and math.isinf(values["gpus_to_fit"]):
        raise ConfigurationError(
            f"{model_id} {scenario.method} cannot fit on any number of {gpu_id} at {describe_setting(values)} "
            f"(usable {usable_gb:.1f} GB per GPU): try --set seq_len=..., --set activation_recompute=full, "
            f"--set offload=optimizer+params or a larger GPU")
    if np.ndim(values["gpus"]) == 0 and values["memory_required_gb"] > usable_gb * (1 + 1e-9):
        raise ConfigurationError(
            f"{model_id} {scenario.method} does not fit on {values['gpus']:.0f} × {gpu_id}: "
            f"{values['memory_required_gb']:.1f} GB per GPU > {usable_gb:.1f} GB usable "
            f"({values['memory_required_gb'] - usable_gb:.1f} GB over); fewest that fit: {values['gpus_to_fit']:.0f}")
