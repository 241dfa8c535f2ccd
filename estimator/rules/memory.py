"""Memory per GPU: weights, gradients, optimizer state, adapters, activations; GPUs that fit."""

from __future__ import annotations

import numpy as np

from estimator.rules.base import PEFT, is_in, rule

GIB = 2.0**30


@rule(unit="params", formula="r · Σ_targets (d_in + d_out) · L  (0 for pretrain/full)",
      source="Hu et al. 2021 (LoRA), sec. 4: ΔW = B·A with B ∈ R^{d×r}, A ∈ R^{r×k}")
def lora_params(method, lora_rank, lora_dims_per_layer, layers):
    return np.where(is_in(method, PEFT), lora_rank * lora_dims_per_layer * layers, 0.0)


@rule(unit="params", formula="N for pretrain/full; N_adapter for LoRA/QLoRA", source="definition")
def trainable_params(method, n_params, lora_params):
    return np.where(is_in(method, PEFT), lora_params, n_params)


@rule(unit="bytes", formula="N · bytes/param (bf16 2; QLoRA NF4 + double quantisation 4.127 bits) + N_adapter · adapter bytes",
      source="Rajbhandari et al. 2020 (ZeRO) sec. 3.1; Dettmers et al. 2023 (QLoRA) sec. 3")
def weight_bytes(n_params, weight_bytes_per_param, lora_params, adapter_weight_bytes_per_param):
    return n_params * weight_bytes_per_param + lora_params * adapter_weight_bytes_per_param


@rule(unit="bytes", formula="trainable params · gradient bytes/param", source="Rajbhandari et al. 2020 (ZeRO) sec. 3.1")
def gradient_bytes(trainable_params, grad_bytes_per_param):
    return trainable_params * grad_bytes_per_param


@rule(unit="bytes", formula="trainable params · optimizer bytes/param (Adam, fp32 master + m + v = 12)",
      source="Rajbhandari et al. 2020 (ZeRO) sec. 3.1: mixed-precision Adam K = 12")
def optimizer_bytes(trainable_params, optimizer_bytes_per_param):
    return trainable_params * optimizer_bytes_per_param


@rule(unit="bytes", formula="per layer: none s·b·h·(34 + 5·a·s/h); selective s·b·h·34; full 2·s·b·h, plus one "
      "layer's 34·s·b·h while it is recomputed; × L (× bytes/value ÷ 2 for fp32), + logits 4·s·b·V (fp32 loss)",
      source="Korthikanti et al. 2022, 'Reducing Activation Recomputation', eq. 1-2, sec. 4.1 and 5 (16-bit activations)")
def activation_bytes(activation_recompute, seq_len, micro_batch, hidden, heads, layers, vocab, activation_bytes_per_value):
    sbh = seq_len * micro_batch * hidden * activation_bytes_per_value / 2.0
    mode = np.asarray(activation_recompute, dtype=object)
    per_layer = np.select(
        [mode == "none", mode == "selective", mode == "full"],
        [sbh * (34.0 + 5.0 * heads * seq_len / hidden), sbh * 34.0, sbh * 2.0],
        default=np.nan,
    )
    working = np.where(mode == "full", sbh * 34.0, 0.0)
    return per_layer * layers + working + 4.0 * seq_len * micro_batch * vocab


def zero_split(stage, weight_bytes, gradient_bytes, optimizer_bytes):
    """(sharded, replicated) bytes for a ZeRO stage: 1 shards optimizer, 2 + gradients, 3 + weights."""
    sharded = (np.where(stage >= 1, optimizer_bytes, 0.0) + np.where(stage >= 2, gradient_bytes, 0.0)
               + np.where(stage >= 3, weight_bytes, 0.0))
    total = weight_bytes + gradient_bytes + optimizer_bytes
    return sharded, total - sharded


def states_per_gpu(stage, weight_bytes, gradient_bytes, optimizer_bytes, gpus) -> dict:
    """Per-GPU bytes of each model state after ZeRO sharding (stage 1: optimizer, 2: + gradients, 3: + weights)."""
    return {
        "weights": weight_bytes / np.where(stage >= 3, gpus, 1),
        "gradients": gradient_bytes / np.where(stage >= 2, gpus, 1),
        "optimizer": optimizer_bytes / np.where(stage >= 1, gpus, 1),
    }


@rule(unit="bytes", formula="model states sharded over data-parallel GPUs by ZeRO stage + unsharded states + activations",
      source="Rajbhandari et al. 2020 (ZeRO) sec. 5 (P_os, P_os+g, P_os+g+p)")
def memory_per_gpu_bytes(zero_stage, weight_bytes, gradient_bytes, optimizer_bytes, activation_bytes, gpus):
    return sum(states_per_gpu(zero_stage, weight_bytes, gradient_bytes, optimizer_bytes, gpus).values()) + activation_bytes


@rule(unit="GB", formula="memory per GPU / 2^30", source="unit conversion (GB as nvidia-smi reports, 2^30 bytes)")
def memory_per_gpu_gb(memory_per_gpu_bytes):
    return memory_per_gpu_bytes / GIB


@rule(unit="bytes", formula="card memory × usable fraction (headroom for CUDA context, NCCL buffers, fragmentation)",
      source="card datasheet; usable fraction from the assumptions table")
def usable_bytes_per_gpu(gpu_memory_gb, usable_memory_fraction):
    return gpu_memory_gb * GIB * usable_memory_fraction


@rule(unit="GPUs", formula="⌈sharded states / (usable − unsharded states − activations)⌉; ∞ if activations and "
      "unsharded states alone exceed one card",
      source="Rajbhandari et al. 2020 (ZeRO) sec. 5; design.md 'GPUs needed'")
def gpus_to_fit(zero_stage, weight_bytes, gradient_bytes, optimizer_bytes, activation_bytes, usable_bytes_per_gpu):
    sharded, replicated = zero_split(zero_stage, weight_bytes, gradient_bytes, optimizer_bytes)
    room = usable_bytes_per_gpu - replicated - activation_bytes
    with np.errstate(divide="ignore", invalid="ignore"):
        need = np.where(room > 0, np.ceil(sharded / np.where(room > 0, room, 1.0) - 1e-9), np.inf)
    return np.maximum(need, 1.0)


def _lora_dims(targets, hidden, q_dim, kv_dim, ffn, ffn_matrices, experts):
    q = hidden + q_dim
    kv = hidden + kv_dim
    attention = 2 * q + 2 * kv
    mlp = ffn_matrices * (hidden + ffn) * experts
    targets = np.asarray(targets, dtype=object)
    return np.select([targets == "all-linear", targets == "attention", targets == "qv"],
                     [attention + mlp, attention, q + kv], default=np.nan)


@rule(unit="params/rank/layer", formula="Σ over adapted matrices of (d_in + d_out): all-linear = q,k,v,o + MLP "
      "(× every expert for MoE); attention = q,k,v,o; qv = q,v",
      source="Hu et al. 2021 (LoRA) sec. 4.2 (W_q, W_v); Dettmers et al. 2023 (QLoRA) sec. 4: adapters on all linear layers")
def lora_dims_per_layer(lora_targets, hidden, q_dim, kv_dim, ffn, ffn_matrices, mlp_experts):
    return _lora_dims(lora_targets, hidden, q_dim, kv_dim, ffn, ffn_matrices, mlp_experts)


@rule(unit="params/rank/layer", formula="as lora_dims_per_layer, with only the experts a token passes through "
      "(experts per token + shared) for MoE", source="Fedus et al. 2021 (Switch): a token uses only its routed experts")
def active_lora_dims_per_layer(lora_targets, hidden, q_dim, kv_dim, ffn, ffn_matrices, mlp_active_experts):
    return _lora_dims(lora_targets, hidden, q_dim, kv_dim, ffn, ffn_matrices, mlp_active_experts)


@rule(unit="params", formula="r · active dims · L: the adapter parameters one token's compute touches (MoE: its experts)",
      source="Hu et al. 2021 (LoRA); Fedus et al. 2021 (Switch)")
def active_lora_params(method, lora_rank, active_lora_dims_per_layer, layers):
    return np.where(is_in(method, PEFT), lora_rank * active_lora_dims_per_layer * layers, 0.0)
