"""Training compute: FLOPs per token and in total, compute-optimal token budget."""

from __future__ import annotations

import numpy as np

from estimator.rules.base import PEFT, is_in, rule


@rule(unit="FLOP/param/token", formula="6 for pretrain/full (forward 2 + backward 4); 4 for LoRA/QLoRA "
      "(frozen base: forward 2 + activation gradients 2, no weight gradients)",
      source="Kaplan et al. 2020, 'Scaling Laws', Table 1 (C = 6N); LoRA: Hu et al. 2021 sec. 4.2, design.md")
def flops_per_param_token(method):
    return np.where(is_in(method, PEFT), 4.0, 6.0)


@rule(unit="FLOP/token", formula="12 · L · h · s if counted (PaLM: 6N + 12·L·H·Q·T per token), else 0",
      source="Chowdhery et al. 2022 (PaLM), appendix B; Kaplan et al. 2020 Table 1")
def attention_flops_per_token(include_attention_flops, layers, hidden, seq_len):
    return include_attention_flops * 12.0 * layers * hidden * seq_len


@rule(unit="FLOP/token", formula="6 · N_adapter,active (adapters get forward, activation and weight gradients; "
      "MoE: only the routed experts' adapters)",
      source="Hu et al. 2021 (LoRA); 6N rule of Kaplan et al. 2020 applied to the trainable adapter parameters")
def adapter_flops_per_token(active_lora_params):
    return 6.0 * active_lora_params


@rule(unit="FLOP/token", formula="k · N_active + attention + adapters (N_active: parameters used per token; MoE: active)",
      source="Kaplan et al. 2020 Table 1; MoE active parameters: Fedus et al. 2021 (Switch), design.md")
def train_flops_per_token(flops_per_param_token, n_active, attention_flops_per_token, adapter_flops_per_token):
    return flops_per_param_token * n_active + attention_flops_per_token + adapter_flops_per_token


@rule(unit="tokens", formula="D = tokens per epoch × epochs", source="definition")
def train_tokens(tokens, epochs):
    return tokens * epochs


@rule(unit="FLOP", formula="C = flops_per_token × D (6·N·D for dense pretraining)",
      source="Kaplan et al. 2020 Table 1; Hoffmann et al. 2022 (GPT-3 175B × 300B tokens = 3.15e23, paper 3.14e23)")
def train_flops(train_flops_per_token, train_tokens):
    return train_flops_per_token * train_tokens


@rule(unit="FLOP", formula="C + recomputed forward (2·N_active·D with full activation recomputation, else 0)",
      source="Chowdhery et al. 2022 (PaLM) appendix B: hardware FLOPs include rematerialisation, model FLOPs do not")
def hardware_flops(train_flops, activation_recompute, n_active, train_tokens):
    return train_flops + np.where(np.asarray(activation_recompute, dtype=object) == "full", 2.0 * n_active * train_tokens, 0.0)


@rule(unit="tokens", formula="D_opt ≈ 20 · N", source="Hoffmann et al. 2022 ('Chinchilla'), Table 3: about 20 tokens per parameter")
def compute_optimal_tokens(tokens_per_param_optimal, n_params):
    return tokens_per_param_optimal * n_params


@rule(unit="ratio", formula="D / D_opt", source="Hoffmann et al. 2022")
def tokens_vs_optimal(train_tokens, compute_optimal_tokens):
    return train_tokens / compute_optimal_tokens
