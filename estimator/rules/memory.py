"""Memory per GPU: the peak a run reaches (model states, activations, loss buffer, framework overhead); GPUs that fit.

The terms live in memory_states.py (weights, gradients, optimizer) and memory_activations.py (activations, logits);
this module composes them into the peak and solves for the fewest GPUs whose peak fits.
"""

from __future__ import annotations

import numpy as np

from estimator.choices import LORA_MODULES, lora_modules
from estimator.rules import memory_activations, memory_states  # noqa: F401  (registration)
from estimator.rules.base import PEFT, is_in, rule
from estimator.rules.memory_states import states_per_gpu, zero_split  # noqa: F401  (re-exported)

GIB = 2.0**30


def transient_peak(stored, loss, working, grads, accumulate):
    """Activations, loss buffer and gradients at the step's peak.

    Forward ends holding every stored activation plus the loss buffer; backward frees the loss buffer first,
    then each layer's activations while its gradients appear, ending with all gradients and the last recomputed
    layer. The peak is the larger end (each phase moves linearly between them); with gradient accumulation the
    previous micro-batches' gradients are already there during the forward.
    """
    return np.maximum(stored + np.maximum(loss, working) + accumulate * grads, grads + working)


@rule(unit="bytes", formula="resident states + gathered layers + max(stored activations + max(loss buffer, recompute "
      "layer) [+ gradients if grad_accum > 1], gradients + recompute layer)",
      source="PyTorch blog 'Understanding GPU Memory 1: Visualizing All Allocations over Time' (Shi & DeVito, 2023): "
      "activations build up in forward and are freed in backward as gradients are allocated; Korthikanti et al. 2022")
def memory_allocated_bytes(resident_state_bytes, gathered_layer_bytes, stored_activation_bytes, loss_buffer_bytes,
                           recompute_working_bytes, gradient_per_gpu_bytes, grad_accum):
    accumulate = np.where(np.asarray(grad_accum) > 1, 1.0, 0.0)
    return resident_state_bytes + gathered_layer_bytes + transient_peak(
        stored_activation_bytes, loss_buffer_bytes, recompute_working_bytes, gradient_per_gpu_bytes, accumulate)


@rule(unit="GB", formula="peak allocated tensors / 2^30 (what torch.cuda.max_memory_allocated reports)",
      source="unit conversion (GB as PyTorch and nvidia-smi report, 2^30 bytes)")
def memory_allocated_gb(memory_allocated_bytes):
    return memory_allocated_bytes / GIB


def _sharded(zero_stage, dp):
    return (np.asarray(zero_stage) >= 3) & (np.asarray(dp) > 1)


@rule(unit="bytes", formula="CUDA context (+ cuBLAS workspace, NCCL buffers) + allocator fraction × tensors when "
      "ZeRO-3/FSDP shards over more than one data-parallel rank",
      source="tables 'cuda_context_gb' and 'allocator_overhead_fraction' (sources there)")
def framework_overhead_bytes(cuda_context_gb, allocator_overhead_fraction, memory_allocated_bytes, zero_stage, gpus,
                             model_parallel):
    frag = np.where(_sharded(zero_stage, gpus / model_parallel), allocator_overhead_fraction, 0.0)
    return cuda_context_gb * GIB + frag * memory_allocated_bytes


@rule(unit="bytes", formula="allocated peak + CUDA context: what must fit on the card (the allocator's cached blocks "
      "are released and the allocation retried before an out-of-memory error)",
      source="PyTorch 'CUDA semantics / memory management' docs: on a failed cudaMalloc the caching allocator frees "
      "its cached unused blocks and retries")
def memory_required_bytes(memory_allocated_bytes, cuda_context_gb):
    return memory_allocated_bytes + cuda_context_gb * GIB


@rule(unit="GB", formula="required memory / 2^30", source="unit conversion (2^30 bytes)")
def memory_required_gb(memory_required_bytes):
    return memory_required_bytes / GIB


@rule(unit="bytes", formula="allocated peak + framework overhead (what nvidia-smi shows at the peak), at most the card "
      "when the required memory fits",
      source="sum of the two rules")
def memory_per_gpu_bytes(memory_allocated_bytes, framework_overhead_bytes, memory_required_bytes, gpu_memory_gb):
    # cached blocks only fill memory that is free: no more than the card once the required part fits
    return np.minimum(memory_allocated_bytes + framework_overhead_bytes,
                      np.maximum(memory_required_bytes, gpu_memory_gb * GIB))


@rule(unit="GB", formula="memory per GPU / 2^30", source="unit conversion (GB as nvidia-smi reports, 2^30 bytes)")
def memory_per_gpu_gb(memory_per_gpu_bytes):
    return memory_per_gpu_bytes / GIB


@rule(unit="bytes", formula="card memory × usable fraction (headroom for allocation spikes)",
      source="card datasheet; usable fraction from the assumptions table")
def usable_bytes_per_gpu(gpu_memory_gb, usable_memory_fraction):
    return gpu_memory_gb * GIB * usable_memory_fraction


@rule(unit="GPUs", formula="fewest model-parallel groups × data-parallel ranks d with required memory(d) ≤ usable: "
      "d = 1 if it fits, else the larger of the two peak branches' ⌈sharded states / room⌉ (ZeRO sharding ÷ d, "
      "gathered layers once d > 1); ∞ if the unsharded part alone exceeds the card",
      source="Rajbhandari et al. 2020 (ZeRO) sec. 5; the memory_allocated_bytes and memory_required_bytes rules")
def gpus_to_fit(zero_stage, weight_gpu_bytes, gradient_gpu_bytes, optimizer_gpu_bytes, stored_activation_bytes,
                loss_buffer_bytes, recompute_working_bytes, grad_accum, layer_params, weight_bytes_per_param,
                tensor_parallel, offload, model_parallel, cuda_context_gb, usable_bytes_per_gpu):
    accumulate = np.where(np.asarray(grad_accum) > 1, 1.0, 0.0)
    mp = model_parallel

    def allocated(dp):
        s = states_per_gpu(zero_stage, weight_gpu_bytes, gradient_gpu_bytes, optimizer_gpu_bytes, dp * mp, mp)
        gathered = memory_states.gathered_layer_bytes(zero_stage, offload, dp * mp, mp, layer_params,
                                                      weight_bytes_per_param, tensor_parallel)
        return s["weights"] + s["optimizer"] + gathered + transient_peak(
            stored_activation_bytes, loss_buffer_bytes, recompute_working_bytes, s["gradients"], accumulate)

    def total(dp):
        return allocated(dp) + cuda_context_gb * GIB

    usable = usable_bytes_per_gpu * (1 + 1e-9)
    one = total(1.0) <= usable
    # For d ≥ 2 each peak branch is fixed + sharded / d (ZeRO stage 1 optimizer, 2 gradients, 3 weights):
    # solve both for d, take the larger, and confirm with the peak itself.
    stage = np.asarray(zero_stage)
    w, g, o = weight_gpu_bytes / mp, gradient_gpu_bytes / mp, optimizer_gpu_bytes / mp
    ws, gs, os_ = np.where(stage >= 3, w, 0.0), np.where(stage >= 2, g, 0.0), np.where(stage >= 1, o, 0.0)
    room = usable_bytes_per_gpu - cuda_context_gb * GIB
    gathered = memory_states.gathered_layer_bytes(zero_stage, offload, 2.0 * mp, mp, layer_params,
                                                  weight_bytes_per_param, tensor_parallel)
    base = (w - ws) + (o - os_) + gathered
    room1 = (room - base - stored_activation_bytes - np.maximum(loss_buffer_bytes, recompute_working_bytes)
             - accumulate * (g - gs))
    room2 = room - base - (g - gs) - recompute_working_bytes
    need1 = (ws + os_ + accumulate * gs) / np.where(room1 > 0, room1, 1.0)
    need2 = (ws + os_ + gs) / np.where(room2 > 0, room2, 1.0)
    dp = np.where((room1 > 0) & (room2 > 0), np.ceil(np.maximum(np.maximum(need1, need2), 2.0) - 1e-9), np.inf)
    finite = np.isfinite(dp)
    dp = np.where(finite & (total(np.where(finite, dp, 1.0)) > usable), dp + 1, dp)
    return np.where(one, mp, dp * mp)


@rule(unit="params/rank/layer", formula="Σ over adapted matrices of (d_in + d_out): q (h + q_dim), k and v "
      "(h + kv_dim), o (q_dim + h), gate/up/down (h + ffn, × every expert for MoE); presets all-linear, attention "
      "(q,k,v,o), mlp, qv, or a list of module names",
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


def _module_dims(module, hidden, q_dim, kv_dim, ffn, ffn_matrices, experts):
    mlp = (hidden + ffn) * experts
    return {"q_proj": hidden + q_dim, "k_proj": hidden + kv_dim, "v_proj": hidden + kv_dim, "o_proj": q_dim + hidden,
            "gate_proj": np.where(np.asarray(ffn_matrices) >= 3, mlp, 0.0), "up_proj": mlp, "down_proj": mlp}[module]


def _lora_dims(targets, hidden, q_dim, kv_dim, ffn, ffn_matrices, experts):
    arr = np.asarray(targets, dtype=object)
    out = np.zeros(np.broadcast_shapes(arr.shape, np.shape(hidden), np.shape(ffn), np.shape(experts)))
    for value in set(arr.ravel().tolist()):
        dims = sum(_module_dims(m, hidden, q_dim, kv_dim, ffn, ffn_matrices, experts) for m in lora_modules(value)
                   if m in LORA_MODULES)
        out = np.where(arr == value, dims, out)
    return out
