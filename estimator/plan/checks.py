"""Checks on a computed estimate: does it fit, and is it far outside anything published."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from estimator.errors import ConfigurationError
from estimator.plan.scenario import Scenario
from estimator.rules.memory import GIB, zero_split

LARGEST_CLUSTER = 16_384  # H100s used for Llama 3 405B (Dubey et al. 2024), the largest run in our references
LARGEST_TOKENS = 15.6e12  # Llama 3 405B pretraining tokens (Dubey et al. 2024)


def sanity_warnings(values: dict[str, Any], scenario: Scenario, hw: Any, context: float) -> list[str]:
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
    return np.isfinite(values["gpus_to_fit"]) & (values["memory_per_gpu_gb"] <= usable_gb * (1 + 1e-9))


def check_fit(values: dict[str, Any], model_id: str, gpu_id: str, scenario: Scenario) -> None:
    """Raise a one-line error, saying by how much, when the plan does not fit."""
    usable_gb = values["usable_bytes_per_gpu"] / GIB
    if np.ndim(values["gpus_to_fit"]) == 0 and math.isinf(values["gpus_to_fit"]):
        _, replicated = zero_split(values["zero_stage"], values["weight_bytes"], values["gradient_bytes"],
                               values["optimizer_bytes"])
        floor_gb = (replicated + values["activation_bytes"]) / GIB
        raise ConfigurationError(
            f"{model_id} {scenario.method} cannot fit on any number of {gpu_id}: activations and unsharded states "
            f"need {floor_gb:.1f} GB per GPU, {floor_gb - usable_gb:.1f} GB over the {usable_gb:.1f} GB usable "
            f"(try --set seq_len=..., --set activation_recompute=full, --set zero_stage=3 or a larger GPU)")
    if np.ndim(values["gpus"]) == 0 and values["memory_per_gpu_gb"] > usable_gb * (1 + 1e-9):
        raise ConfigurationError(
            f"{model_id} {scenario.method} does not fit on {values['gpus']:.0f} × {gpu_id}: "
            f"{values['memory_per_gpu_gb']:.1f} GB per GPU > {usable_gb:.1f} GB usable "
            f"({values['memory_per_gpu_gb'] - usable_gb:.1f} GB over); fewest that fit: {values['gpus_to_fit']:.0f}")
