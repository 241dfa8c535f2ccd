"""Activation and loss memory per GPU (Korthikanti et al. 2022 with tensor/sequence/context parallelism)."""

from __future__ import annotations

import numpy as np

from estimator.rules.base import rule

# Korthikanti et al. 2022 sec. 4.1, bytes per s·b·h of one layer with 16-bit activations:
# attention block 11 + layer norms 4 (= 15), MLP 19; of the 34, 10 stay whole under tensor parallelism
# (layer-norm and dropout inputs) and 24 are split over the t ranks (Table 2).
ATTENTION_AND_NORMS, MLP, REPLICATED = 15.0, 19.0, 10.0


@rule(unit="ratio", formula="1 for a dense MLP; MoE: active experts (routed per token + shared) × expert FFN width ÷ 4h",
      source="Korthikanti et al. 2022 sec. 4.1 (MLP term 19·s·b·h for a 4h-wide MLP); Fedus et al. 2021 (Switch): "
      "each token passes only its routed experts")
def mlp_activation_scale(mlp_experts, mlp_active_experts, ffn, hidden):
    return np.where(np.asarray(mlp_experts) > 1, mlp_active_experts * ffn / (4.0 * hidden), 1.0)


def _per_layer(mode, attention, s, b, h, a, t, sp, mlp_scale):
    """Bytes (16-bit values) one layer keeps for backward: Korthikanti et al. 2022 Table 2."""
    sbh = s * b * h
    body = ATTENTION_AND_NORMS + MLP * mlp_scale  # 34 for a dense 4h MLP
    scores = np.where(np.asarray(attention, dtype=object) == "eager", 5.0 * a * s / h, 0.0)
    seq_par = np.asarray(sp) >= 1
    stored = np.where(seq_par, sbh * (body + scores) / t, sbh * (REPLICATED + (body - REPLICATED + scores) / t))
    selective = np.where(seq_par, sbh * body / t, sbh * (REPLICATED + (body - REPLICATED) / t))
    full = np.where(seq_par, 2.0 * sbh / t, 2.0 * sbh)
    mode = np.asarray(mode, dtype=object)
    return np.select([mode == "none", mode == "selective", mode == "full"], [stored, selective, full], default=np.nan)


@rule(unit="bytes", formula="L × per layer (Korthikanti Table 2, s → s/cp): none s·b·h·(10 + 24/t + 5·a·s/(h·t)), "
      "the 5·a·s/h score term only with eager attention (flash/SDPA never store the s² scores); selective "
      "s·b·h·(10 + 24/t); full 2·s·b·h; sequence parallel divides all by t; × bytes/value ÷ 2. "
      "Pipeline stage 1 holds p micro-batches of L/p layers = L layers (Korthikanti eq. 5). Activation offload "
      "keeps 2 layers' worth on the GPU (the one in use and the one being copied)",
      source="Korthikanti et al. 2022, 'Reducing Activation Recomputation in Large Transformer Models', sec. 4, "
      "Table 2 and eq. 5; Dao et al. 2022 (FlashAttention) sec. 3: O(s) extra memory, scores recomputed; torchtune "
      "docs 'Activation offloading' (activations moved to CPU after each layer, brought back for backward)")
def stored_activation_bytes(activation_recompute, attention, seq_len, micro_batch, hidden, heads, layers,
                            tensor_parallel, sequence_parallel, context_parallel, activation_bytes_per_value,
                            mlp_activation_scale, activation_offload):
    s = seq_len / context_parallel
    per_layer = _per_layer(activation_recompute, attention, s, micro_batch, hidden, heads, tensor_parallel,
                           sequence_parallel, mlp_activation_scale)
    kept = np.where(np.asarray(activation_offload) >= 1, np.minimum(2.0, layers), layers)
    return per_layer * kept * activation_bytes_per_value / 2.0


@rule(unit="bytes", formula="full recomputation: one layer's activations rebuilt during backward (selective form); "
      "otherwise 0", source="Chen et al. 2016, 'Training Deep Nets with Sublinear Memory Cost' sec. 3 (a recomputed "
      "segment is held while its gradient is computed); Korthikanti et al. 2022 sec. 5")
def recompute_working_bytes(activation_recompute, seq_len, micro_batch, hidden, heads, tensor_parallel,
                            sequence_parallel, context_parallel, activation_bytes_per_value, mlp_activation_scale):
    s = seq_len / context_parallel
    one = _per_layer("selective", "flash", s, micro_batch, hidden, heads, tensor_parallel, sequence_parallel,
                     mlp_activation_scale)
    return np.where(np.asarray(activation_recompute, dtype=object) == "full", one, 0.0) * activation_bytes_per_value / 2.0


@rule(unit="bytes", formula="stored activations + recompute working set", source="sum of the two rules")
def activation_bytes(stored_activation_bytes, recompute_working_bytes):
    return stored_activation_bytes + recompute_working_bytes


@rule(unit="bytes", formula="(s/cp) · b · V / t · loss bytes per logit (vocab-parallel cross-entropy splits V over t)",
      source="Shoeybi et al. 2019 (Megatron-LM) sec. 3: vocabulary-parallel output layer and loss; bytes per logit "
      "from the 'loss_bytes_per_logit' table")
def loss_buffer_bytes(seq_len, micro_batch, vocab, loss_bytes_per_logit, tensor_parallel, context_parallel):
    return seq_len / context_parallel * micro_batch * vocab / tensor_parallel * loss_bytes_per_logit
