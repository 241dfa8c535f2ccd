"""Time: utilisation, wall-clock hours and GPU-hours."""

from __future__ import annotations

from estimator.rules.base import rule


@rule(unit="ratio", formula="(1 + 2·L·h·s/N) / (1 + 2·L·h·s_ref/N): attention work per token (12·L·h·s, PaLM "
      "app. B) relative to 6N, at s vs at the calibration runs' s_ref; 1 when attention FLOPs are counted in C",
      source="Chowdhery et al. 2022 (PaLM) appendix B; llm-foundry H100 table: MPT-7B MFU 0.46 / 0.40 / 0.37 at "
             "2k / 4k / 8k tokens")
def attention_overhead(include_attention_flops, layers, hidden, seq_len, n_active, mfu_reference_seq_len):
    ratio = (1.0 + 2.0 * layers * hidden * seq_len / n_active) / (1.0 + 2.0 * layers * hidden * mfu_reference_seq_len / n_active)
    return ratio ** (1.0 - include_attention_flops)


@rule(unit="fraction", formula="MFU = base utilisation (hardware, size, cluster) × method efficiency × precision "
      "efficiency ÷ attention overhead",
      source="assumptions tables 'mfu_base', 'method_efficiency' and 'precision_efficiency' (sources in each row)")
def mfu(mfu_base, method_efficiency, precision_efficiency, attention_overhead):
    return mfu_base * method_efficiency * precision_efficiency / attention_overhead


@rule(unit="FLOP/s", formula="dense peak TFLOP/s × 1e12", source="hardware datasheet (dense, no 2:4 sparsity)")
def peak_flops_per_gpu(peak_tflops):
    return peak_tflops * 1e12


@rule(unit="hours", formula="T = C / (GPUs · peak · MFU) / 3600", source="design.md; Narayanan et al. 2021 eq. 4 (time from FLOPs and throughput)")
def wall_clock_hours(train_flops, gpus, peak_flops_per_gpu, mfu):
    return train_flops / (gpus * peak_flops_per_gpu * mfu) / 3600.0


@rule(unit="days", formula="T / 24", source="unit conversion")
def wall_clock_days(wall_clock_hours):
    return wall_clock_hours / 24.0


@rule(unit="GPU-hours", formula="GPUs × T", source="definition (as in Llama 2 paper Table 2)")
def gpu_hours(gpus, wall_clock_hours):
    return gpus * wall_clock_hours


@rule(unit="GPU-days", formula="GPU-hours / 24", source="unit conversion")
def gpu_days(gpu_hours):
    return gpu_hours / 24.0


@rule(unit="fraction", formula="HFU = hardware FLOPs / (GPUs · peak · T)", source="Chowdhery et al. 2022 (PaLM) appendix B")
def hfu(hardware_flops, gpus, peak_flops_per_gpu, wall_clock_hours):
    return hardware_flops / (gpus * peak_flops_per_gpu * wall_clock_hours * 3600.0)
