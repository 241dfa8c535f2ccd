"""Time: steady-state utilisation and throughput, then goodput (start-up, checkpoints, evaluation, failures)
turning steady-state time into wall clock, GPU-hours.

Steady state and wall clock are separate quantities: `tokens_per_gpu_second` and `steady_state_hours`
are what a throughput benchmark measures; `wall_clock_hours` adds what a whole run also spends.
"""

from __future__ import annotations

import numpy as np

from estimator.rules.base import rule


@rule(unit="ratio", formula="(1 + 2·L·h·s/N) / (1 + 2·L·h·s_ref/N): attention work per token (12·L·h·s, PaLM "
      "app. B) relative to 6N, at s vs at the calibration runs' s_ref; 1 when attention FLOPs are counted in C",
      source="Chowdhery et al. 2022 (PaLM) appendix B; llm-foundry H100 table: MPT-7B MFU 0.46 / 0.40 / 0.37 at "
             "2k / 4k / 8k tokens")
def attention_overhead(include_attention_flops, layers, hidden, seq_len, n_active, mfu_reference_seq_len):
    ratio = (1.0 + 2.0 * layers * hidden * seq_len / n_active) / (1.0 + 2.0 * layers * hidden * mfu_reference_seq_len / n_active)
    return ratio ** (1.0 - include_attention_flops)


@rule(unit="ratio", formula="min(1, N_active / N_knee)^size_exponent: small models keep the GPU busy for a smaller "
      "share of each step (memory-bound kernels, launch overhead)",
      source="llm-foundry A100 8-GPU benchmark table: MFU 0.45 (125M), 0.60 (1B), 0.64 (7B); Biderman et al. 2023 "
             "(Pythia); exponent fitted (assumptions 'size_exponent')")
def size_efficiency(n_active, size_knee_params, size_exponent):
    return np.minimum(1.0, n_active / size_knee_params) ** size_exponent


@rule(unit="ratio", formula="(max(GPUs, G_ref) / G_ref)^(−scale_exponent): a smooth power-law loss of utilisation "
      "as data-parallel traffic and stragglers grow with the GPU count beyond one node",
      source="fitted on published runs and benchmarks (assumptions 'scale_exponent'); smooth in the GPU count so "
             "wall clock never rises and GPU-hours never jump when a GPU is added")
def scale_efficiency(gpus, scale_reference_gpus, scale_exponent):
    return (np.maximum(gpus, scale_reference_gpus) / scale_reference_gpus) ** (-scale_exponent)


@rule(unit="ratio", formula="model FLOPs / hardware FLOPs (6N/8N with full recomputation of dense training; "
      "4N/6N for LoRA; 1 without)",
      source="Chowdhery et al. 2022 (PaLM) appendix B: a full recompute adds a forward pass the model FLOPs do not count")
def recompute_efficiency(train_flops, hardware_flops):
    return train_flops / hardware_flops


@rule(unit="ratio", formula="v·m / (v·m + p − 1): a pipeline of p stages idles for p − 1 of every v·m + p − 1 "
      "micro-batch slots per step (m = micro-batches per step, v = model chunks per GPU of the interleaved schedule, "
      "1 without it); 1 without pipeline parallelism",
      source="Narayanan et al. 2021 ('Efficient Large-Scale Language Model Training on GPU Clusters') sec. 2.2.1: "
             "bubble fraction (p − 1) / m, and sec. 2.2.2: (p − 1) / (v·m) with the interleaved schedule")
def pipeline_efficiency(pipeline_parallel, grad_accum, virtual_pipeline):
    slots = virtual_pipeline * grad_accum
    return slots / (slots + pipeline_parallel - 1.0)


@rule(unit="fraction", formula="GPU-bound MFU = base (hardware generation) × size efficiency × scale efficiency × "
      "method × precision × architecture × stack efficiency × recompute efficiency × pipeline efficiency ÷ attention "
      "overhead (steady state, while the GPU computes)",
      source="assumption tables 'mfu_base', 'size_exponent', 'scale_exponent', 'method_efficiency', "
             "'precision_efficiency', 'architecture_efficiency', 'stack_efficiency' (fitted with leave-one-family-out "
             "validation, docs/validation.md)")
def compute_mfu(mfu_base, size_efficiency, scale_efficiency, method_efficiency, precision_efficiency,
                architecture_efficiency, stack_efficiency, recompute_efficiency, pipeline_efficiency,
                attention_overhead):
    return (mfu_base * size_efficiency * scale_efficiency * method_efficiency * precision_efficiency
            * architecture_efficiency * stack_efficiency * recompute_efficiency * pipeline_efficiency
            / attention_overhead)


@rule(unit="fraction", formula="MFU = GPU-bound MFU × offload efficiency (1 without CPU offload): steady-state "
      "utilisation including the steps' CPU optimizer and host-transfer time",
      source="definition: model FLOPs / (peak × step time); offload.py for the step time with CPU offload")
def mfu(compute_mfu, offload_efficiency):
    return compute_mfu * offload_efficiency


@rule(unit="FLOP/s", formula="dense peak TFLOP/s × 1e12", source="hardware datasheet (dense, no 2:4 sparsity)")
def peak_flops_per_gpu(peak_tflops):
    return peak_tflops * 1e12


@rule(unit="tokens/s", formula="peak · MFU / (FLOPs per token): steady-state training tokens per GPU per second",
      source="design.md 'Steady state'; Narayanan et al. 2021 eq. 4")
def tokens_per_gpu_second(peak_flops_per_gpu, mfu, train_flops_per_token):
    return peak_flops_per_gpu * mfu / train_flops_per_token


@rule(unit="hours", formula="D / (GPUs · tokens per GPU per second) / 3600: training steps only",
      source="definition (= C / (GPUs · peak · MFU), Narayanan et al. 2021 eq. 4)")
def steady_state_hours(train_tokens, gpus, tokens_per_gpu_second):
    return train_tokens / (gpus * tokens_per_gpu_second) / 3600.0


@rule(unit="fraction", formula="GPUs × interruptions per GPU-hour × hours lost per interruption (restart and the "
      "work since the last checkpoint), as a share of training time",
      source="Dubey et al. 2024 (Llama 3) sec. 3.3.4: 419 unexpected interruptions in 54 days on 16,384 H100")
def interruption_overhead(gpus, interruptions_per_gpu_hour, hours_lost_per_interruption):
    return gpus * interruptions_per_gpu_hour * hours_lost_per_interruption


@rule(unit="hours", formula="start-up + steady state × (1 + checkpoint/evaluation overhead + interruption overhead)",
      source="design.md 'Time and money'; Dubey et al. 2024 (Llama 3) sec. 3.3.4 (>90% effective training time)")
def wall_clock_hours(steady_state_hours, startup_hours, checkpoint_eval_overhead, interruption_overhead):
    return startup_hours + steady_state_hours * (1.0 + checkpoint_eval_overhead + interruption_overhead)


@rule(unit="fraction", formula="steady-state hours / wall-clock hours: share of the run spent training",
      source="definition (Llama 3 paper's 'effective training time'; MegaScale's ETTR, Jiang et al. 2024)")
def goodput(steady_state_hours, wall_clock_hours):
    return steady_state_hours / wall_clock_hours


@rule(unit="days", formula="T / 24", source="unit conversion")
def wall_clock_days(wall_clock_hours):
    return wall_clock_hours / 24.0


@rule(unit="GPU-hours", formula="GPUs × T", source="definition (as in Llama 2 paper Table 2)")
def gpu_hours(gpus, wall_clock_hours):
    return gpus * wall_clock_hours


@rule(unit="GPU-days", formula="GPU-hours / 24", source="unit conversion")
def gpu_days(gpu_hours):
    return gpu_hours / 24.0


@rule(unit="fraction", formula="HFU = hardware FLOPs / (GPUs · peak · steady-state T)",
      source="Chowdhery et al. 2022 (PaLM) appendix B")
def hfu(hardware_flops, gpus, peak_flops_per_gpu, steady_state_hours):
    return hardware_flops / (gpus * peak_flops_per_gpu * steady_state_hours * 3600.0)
