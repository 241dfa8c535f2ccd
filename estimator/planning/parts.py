"""What each kind of row is built from: the quantities a GPU or hosted-API pass returns, one pass (Part), and
the given columns every row shares (method, model, tokens) or takes from its dataset (counted once per distinct
dataset, model tokenizer and settings)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from estimator.planning.engine import Evaluation, Given
from estimator.planning.stacking import column_given, stack

if TYPE_CHECKING:
    from estimator.planning.resolution import Resolution

GPU_OUTPUTS = [
    "train_tokens", "train_flops", "hardware_flops", "trainable_params", "lora_params",
    "weight_bytes", "gradient_bytes", "optimizer_bytes", "activation_bytes", "loss_buffer_bytes",
    "memory_allocated_gb", "memory_required_gb", "framework_overhead_bytes", "memory_per_gpu_gb", "stack", "optimizer",
    "master_weights", "activation_recompute", "attention", "loss", "offload", "activation_offload", "micro_batch",
    "seq_len", "zero_stage", "lora_rank", "lora_targets", "grad_accum", "usable_bytes_per_gpu", "gpus_to_fit", "gpus", "mfu", "hfu",
    "tokens_per_gpu_second", "offload_efficiency", "offload_host_gb", "steady_state_hours", "goodput", "wall_clock_hours", "wall_clock_days", "gpu_hours", "gpu_days", "price_usd_per_gpu_hour", "cost_usd",
    "energy_kwh", "co2_kg", "energy_cost_usd", "compute_optimal_tokens", "tokens_vs_optimal",
]
API_OUTPUTS = ["billed_tokens_per_epoch", "epochs", "billed_tokens", "api_cost_usd"]



@dataclass
class Part:
    """One engine pass over the rows at `index` (all GPU rows, or all hosted-API rows)."""

    kind: str
    index: np.ndarray
    ev: Evaluation
    targets: list[str]



def common_givens(res: Resolution, rows, index: np.ndarray) -> dict[str, Given]:
    """Givens every kind of row has: method, model (from the catalog), tokens and epochs where given."""
    from estimator.planning.givens import model_givens

    given: dict[str, Given] = {"method": column_given(rows, "method", "", "scenario", "method")}
    codes = res.model_codes[index]
    distinct = sorted(set(codes.tolist()))
    per_model = {c: (model_givens(res.specs[c], res.cat.origin("models", res.specs[c].id))
                     if not res.specs[c].api_only else {}) for c in distinct}
    given |= stack([per_model[c] for c in distinct], np.searchsorted(distinct, codes))
    given["dataset_examples"] = Given(np.nan, "examples", "no dataset", "input", "no dataset")
    return given


def dataset_columns(res: Resolution, rows, index: np.ndarray, settings_of) -> dict[str, Given]:
    """Count each distinct dataset once (with the model's tokenizer and the row's settings) and give its
    statistics as columns: examples, total tokens, and the length table (for per-example caps)."""
    from estimator.planning.dataset_tokens import dataset_profile

    datasets, dcodes = rows.text["dataset"]
    keys: dict[tuple, int] = {}
    row_keys = np.empty(rows.n, dtype=np.int64)
    found: list[tuple] = []
    for j in range(rows.n):
        if datasets[dcodes[j]] is None:
            row_keys[j] = -1
            continue
        k = (int(dcodes[j]), int(res.model_codes[index[j]]), *settings_of(j))
        if k not in keys:
            keys[k] = len(found)
            found.append(k)
        row_keys[j] = keys[k]
    if not found:
        return {}
    stats = []
    for k in found:
        d, m, *settings = k
        counted = dataset_profile(datasets[d], res.specs[m], *settings)
        stats.append(counted)
    for k, counted in enumerate(stats):
        members = index[row_keys == k]
        for i in members:
            res.profiles[i] = counted.profile
        res.warnings.add(members, counted.warnings)
    per = [s.givens for s in stats]
    empty = {k: Given(np.nan, g.unit, "no dataset", "input", "no dataset", partial=False)
             for k, g in per[0].items()}
    table = per + [empty]
    return stack(table, np.where(row_keys >= 0, row_keys, len(per)))
