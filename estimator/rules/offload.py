"""Time that CPU offload adds to each optimizer step: host-device transfers and the optimizer step on the CPU.

With `offload: optimizer` (ZeRO-Offload) each GPU's share of the gradients goes to host memory, the CPU runs the
optimizer over its share of the trainable parameters, and the updated weights come back before the next forward.
With `offload: optimizer+params` (ZeRO-3 Offload / ZeRO-Infinity, FSDP CPUOffload) the weights also live on the
host and are copied to the GPU for every forward and backward. Gradient and parameter copies during forward and
backward overlap the computation (bounded by the host link); the CPU optimizer step and, for `optimizer`, the
copy of the updated weights back are on the critical path: ZeRO-Offload's schedule runs the CPU step after the
backward, and the next forward waits for its weights (the one-step delayed update that hides it is optional and
off by default). `offload_efficiency` = compute time / step time multiplies the utilisation (throughput.py).
"""

from __future__ import annotations

import numpy as np

from estimator.rules.base import PEFT, is_in, rule

GB = 1e9  # bandwidths in GB/s (10^9 bytes), as PCIe and memory bandwidth are quoted


def _offloaded(offload):
    return np.asarray(offload, dtype=object) != "none"


def _params_offloaded(offload):
    return np.asarray(offload, dtype=object) == "optimizer+params"


def _offload_inputs(names):
    """A row without offload uses only `offload` (the trace shows no transfer or CPU terms for it)."""
    def uses(values):
        return tuple(names) if values.get("offload") not in (None, "none") else ("offload",)
    return uses


@rule(unit="s", formula="micro_batch · seq_len · grad_accum ÷ (TP·PP·CP) · FLOPs per token ÷ (peak · compute MFU): "
      "one GPU's computation per optimizer step",
      source="Narayanan et al. 2021 eq. 4 (time = FLOPs / (GPUs · peak · utilisation)) applied to one optimizer step")
def compute_step_seconds(micro_batch, seq_len, grad_accum, model_parallel, train_flops_per_token, peak_flops_per_gpu,
                         compute_mfu):
    return micro_batch * seq_len * grad_accum / model_parallel * train_flops_per_token / (peak_flops_per_gpu * compute_mfu)


@rule(unit="params", formula="trainable params ÷ (TP·PP·CP) ÷ data-parallel ranks when ZeRO stage ≥ 1 shards the "
      "optimizer: the parameters whose optimizer step one GPU's host process runs",
      source="Ren et al. 2021 (ZeRO-Offload) sec. 4.2: each data-parallel rank offloads and updates only its "
      "partition (ZeRO-2); DeepSpeed ZeRO-3 Offload blog (2021-03-08): CPU optimizer time falls with the GPU count")
def offload_params_per_gpu(trainable_params, model_parallel, gpus, zero_stage):
    dp = np.maximum(gpus / model_parallel, 1.0)
    return trainable_params / model_parallel / np.where(np.asarray(zero_stage) >= 1, dp, 1.0)


@rule(unit="bytes/param", formula="2 × optimizer bytes (read and write m, v and the fp32 master) + gradient bytes "
      "(read) + 2 × working weight bytes (read and write the bf16 weights or adapters): memory traffic of one Adam "
      "update (30 bytes/param for mixed-precision Adam, 14 for AdamW on bf16 weights)",
      source="Ren et al. 2021 (ZeRO-Offload) sec. 5.1: CPU-Adam is a streaming pass over parameters, gradients and "
      "states (memory-bound); bytes per parameter from the optimizer_bytes_per_param and gradient rules")
def cpu_optimizer_bytes_per_param(method, optimizer_bytes_per_param, grad_bytes_per_param, weight_bytes_per_param,
                                  adapter_weight_bytes_per_param):
    working = np.where(is_in(method, PEFT), adapter_weight_bytes_per_param, weight_bytes_per_param)
    return 2.0 * optimizer_bytes_per_param + grad_bytes_per_param + 2.0 * working


@rule(unit="s", formula="offloaded params per GPU × CPU optimizer bytes/param ÷ CPU optimizer bandwidth per GPU "
      "(0 without offload)",
      source="Ren et al. 2021 (ZeRO-Offload) sec. 4.1 (the CPU step follows the backward); bandwidth from the "
      "'cpu_optimizer_gbps' table (measured offload overheads, sources there)",
      uses=_offload_inputs(("offload", "offload_params_per_gpu", "cpu_optimizer_bytes_per_param", "cpu_optimizer_gbps")))
def cpu_optimizer_seconds(offload, offload_params_per_gpu, cpu_optimizer_bytes_per_param, cpu_optimizer_gbps):
    return np.where(_offloaded(offload), offload_params_per_gpu * cpu_optimizer_bytes_per_param / (cpu_optimizer_gbps * GB),
                    0.0)


@rule(unit="s", formula="per optimizer step, over the host link: grad_accum × (gradients of the GPU's partition to "
      "the host + with offloaded parameters, the GPU's share of the weights to the GPU twice (forward, backward)) "
      "÷ host-link bandwidth; overlaps the computation",
      source="Ren et al. 2021 (ZeRO-Offload) sec. 4.1: gradients are offloaded during backward; Rajbhandari et al. "
      "2021 (ZeRO-Infinity) sec. 4.1: parameters are loaded for forward and again for backward, gradients written once",
      uses=_offload_inputs(("offload", "offload_params_per_gpu", "grad_bytes_per_param", "weight_bytes", "gpus",
                            "grad_accum", "host_link_gbps")))
def host_transfer_seconds(offload, offload_params_per_gpu, grad_bytes_per_param, weight_bytes, gpus, grad_accum,
                          host_link_gbps):
    grads = offload_params_per_gpu * grad_bytes_per_param
    params = np.where(_params_offloaded(offload), 2.0 * weight_bytes / gpus, 0.0)
    return np.where(_offloaded(offload), grad_accum * (grads + params) / (host_link_gbps * GB), 0.0)


@rule(unit="s", formula="offload=optimizer: the updated weights of the GPU's partition back to the GPU (working "
      "bytes/param ÷ host-link bandwidth) before the next forward; 0 otherwise (offloaded parameters are fetched "
      "during the next forward, in host_transfer_seconds)",
      source="Ren et al. 2021 (ZeRO-Offload) sec. 4.1, Fig. 5: fp16 parameters are swapped in after the CPU step",
      uses=_offload_inputs(("offload", "offload_params_per_gpu", "method", "weight_bytes_per_param",
                            "adapter_weight_bytes_per_param", "host_link_gbps")))
def weight_upload_seconds(offload, offload_params_per_gpu, method, weight_bytes_per_param, adapter_weight_bytes_per_param,
                          host_link_gbps):
    working = np.where(is_in(method, PEFT), adapter_weight_bytes_per_param, weight_bytes_per_param)
    only_optimizer = np.asarray(offload, dtype=object) == "optimizer"
    return np.where(only_optimizer, offload_params_per_gpu * working / (host_link_gbps * GB), 0.0)


@rule(unit="ratio", formula="compute time ÷ (max(compute time, overlapped host transfers) + CPU optimizer step + "
      "weight upload) per optimizer step; 1 without offload",
      source="Rajbhandari et al. 2021 (ZeRO-Infinity) sec. 4.1: efficiency = compute time / (compute time + "
      "communication time) for what does not overlap; Ren et al. 2021 (ZeRO-Offload) sec. 4.1 schedule",
      uses=_offload_inputs(("offload", "compute_step_seconds", "host_transfer_seconds", "cpu_optimizer_seconds",
                            "weight_upload_seconds")))
def offload_efficiency(offload, compute_step_seconds, host_transfer_seconds, cpu_optimizer_seconds, weight_upload_seconds):
    step = np.maximum(compute_step_seconds, host_transfer_seconds) + cpu_optimizer_seconds + weight_upload_seconds
    return np.where(_offloaded(offload), compute_step_seconds / step, 1.0)


@rule(unit="GB", formula="what the whole job keeps in host memory: optimizer states + gradients of the trainable "
      "parameters, + the weights with offloaded parameters (0 without offload) / 2^30",
      source="DeepSpeed estimate_zero3_model_states_mem_needs (offload_param + offload_optimizer: 18 bytes/param on "
      "the CPU before its 1.5 buffer factor); DeepSpeed ZeRO-3 Offload blog (2021-03-08): 40B parameters on one "
      "32 GB V100 with 1.5 TB of CPU memory",
      uses=_offload_inputs(("offload", "optimizer_bytes", "gradient_bytes", "weight_bytes")))
def offload_host_gb(offload, optimizer_bytes, gradient_bytes, weight_bytes):
    host = optimizer_bytes + gradient_bytes + np.where(_params_offloaded(offload), weight_bytes, 0.0)
    return np.where(_offloaded(offload), host, 0.0) / 2.0**30
