"""Model states per GPU: weights, gradients, optimizer states and master weights, after offload and sharding.

Bytes per parameter come from the trainer-setting tables (optimizer, master_weights, dtype, method); the rules
here multiply them out and divide them over tensor/pipeline-parallel ranks and ZeRO/FSDP data-parallel ranks.
"""

from __future__ import annotations

import numpy as np

from estimator.choices import PAGED_OPTIMIZERS
from estimator.rules.base import PEFT, is_in, rule

BF16_BYTES = 2.0


@rule(unit="params", formula="V · h × (1 if the input embedding and output head are tied, else 2)",
      source="Vaswani et al. 2017 sec. 3.4 (shared embedding and pre-softmax weights); model config tie_word_embeddings")
def embedding_params(vocab, hidden, tied_embeddings):
    return vocab * hidden * np.where(np.asarray(tied_embeddings, dtype=bool), 1.0, 2.0)


@rule(unit="params", formula="(N − embedding params) / L: one transformer block, the unit FSDP/ZeRO-3 gathers at a time",
      source="PyTorch FSDP transformer_auto_wrap_policy (one unit per decoder layer); DeepSpeed ZeRO-3 'largest layer'")
def layer_params(n_params, embedding_params, layers):
    return (n_params - embedding_params) / layers


@rule(unit="bytes/param", formula="QLoRA with qlora_embeddings=bf16: 2 (embeddings and output head not quantised); "
      "otherwise the base weights' bytes/param",
      source="bitsandbytes/transformers BitsAndBytesConfig quantises nn.Linear layers only and skips lm_head "
      "(llm_int8_skip_modules); torchtune QLoRA keeps tok_embeddings and output in bf16 (README, Llama 3.1 QLoRA)")
def embedding_bytes_per_param(method, qlora_embeddings, weight_bytes_per_param):
    keep_bf16 = is_in(method, ("qlora",)) & (np.asarray(qlora_embeddings, dtype=object) == "bf16")
    return np.where(keep_bf16, BF16_BYTES, weight_bytes_per_param)


@rule(unit="bytes", formula="(N − E) · bytes/param + E · embedding bytes/param + N_adapter · adapter bytes/param "
      "(bf16 2; QLoRA NF4 + double quantisation 4.127 bits)",
      source="Rajbhandari et al. 2020 (ZeRO) sec. 3.1; Dettmers et al. 2023 (QLoRA) sec. 3")
def weight_bytes(n_params, embedding_params, weight_bytes_per_param, embedding_bytes_per_param, lora_params,
                 adapter_weight_bytes_per_param):
    return ((n_params - embedding_params) * weight_bytes_per_param + embedding_params * embedding_bytes_per_param
            + lora_params * adapter_weight_bytes_per_param)


@rule(unit="bytes", formula="trainable params · gradient bytes/param", source="Rajbhandari et al. 2020 (ZeRO) sec. 3.1")
def gradient_bytes(trainable_params, grad_bytes_per_param):
    return trainable_params * grad_bytes_per_param


@rule(unit="bytes/param", formula="optimizer state bytes (Adam m, v) + master-weight bytes (fp32 copy)",
      source="Rajbhandari et al. 2020 (ZeRO) sec. 3.1: mixed-precision Adam K = 4 (master) + 4 (m) + 4 (v) = 12")
def optimizer_bytes_per_param(optimizer_state_bytes_per_param, master_bytes_per_param):
    return optimizer_state_bytes_per_param + master_bytes_per_param


@rule(unit="bytes", formula="trainable params · optimizer bytes/param", source="Rajbhandari et al. 2020 (ZeRO) sec. 3.1")
def optimizer_bytes(trainable_params, optimizer_bytes_per_param):
    return trainable_params * optimizer_bytes_per_param


@rule(unit="GPUs", formula="tensor-parallel × pipeline-parallel × context-parallel ranks one model replica spans",
      source="Narayanan et al. 2021 (Megatron-LM, 'Efficient Large-Scale Language Model Training') sec. 2-3")
def model_parallel(tensor_parallel, pipeline_parallel, context_parallel):
    return tensor_parallel * pipeline_parallel * context_parallel


@rule(unit="bytes", formula="weights on the GPU: 0 when the parameters are offloaded (offload=optimizer+params), "
      "else all of them", source="Ren et al. 2021 (ZeRO-Offload); Rajbhandari et al. 2021 (ZeRO-Infinity) sec. 5; "
      "PyTorch FSDP CPUOffload(offload_params=True)")
def weight_gpu_bytes(weight_bytes, offload):
    return np.where(np.asarray(offload, dtype=object) == "optimizer+params", 0.0, weight_bytes)


@rule(unit="bytes", formula="gradients on the GPU: 0 with any offload (they stream to CPU for the CPU optimizer step) "
      "or when the optimizer step runs inside backward (each gradient freed once applied)",
      source="Ren et al. 2021 (ZeRO-Offload) sec. 4: fp16 gradients offloaded to CPU; torchtune "
      "'Fusing the optimizer step into the backward pass' (optimizer_in_bwd) tutorial")
def gradient_gpu_bytes(gradient_bytes, offload, optimizer_in_backward):
    off = (np.asarray(offload, dtype=object) != "none") | (np.asarray(optimizer_in_backward) >= 1)
    return np.where(off, 0.0, gradient_bytes)


@rule(unit="bytes", formula="optimizer states on the GPU: 0 when offloaded to CPU or paged (bitsandbytes paged "
      "optimizers live in CUDA unified memory and are evicted to CPU RAM when the GPU runs short), else all",
      source="Ren et al. 2021 (ZeRO-Offload); Dettmers et al. 2023 (QLoRA) sec. 3 'Paged Optimizers'; "
      "bitsandbytes docs 'Paged optimizers'")
def optimizer_gpu_bytes(optimizer_bytes, offload, optimizer):
    off = (np.asarray(offload, dtype=object) != "none") | is_in(optimizer, PAGED_OPTIMIZERS)
    return np.where(off, 0.0, optimizer_bytes)


@rule(unit="bytes", formula="ZeRO-3/FSDP with more than one data-parallel rank (or offloaded parameters): "
      "2 × one block's weights ÷ TP (the block being computed and the one prefetched), gathered in at most 2 bytes/param, "
      "else 0",
      source="DeepSpeed estimate_zero3_model_states_mem_needs: 4 bytes × largest layer params (2 × 2-byte copies); "
      "PyTorch FSDP docs: BackwardPrefetch.BACKWARD_PRE holds the current and next set of parameters, "
      "MixedPrecision(param_dtype=bf16) all-gathers in bf16")
def gathered_layer_bytes(zero_stage, offload, gpus, model_parallel, layer_params, weight_bytes_per_param,
                         tensor_parallel):
    sharded = ((np.asarray(zero_stage) >= 3) & (gpus / model_parallel > 1)) | (
        np.asarray(offload, dtype=object) == "optimizer+params")
    return np.where(sharded, 2.0 * layer_params * np.minimum(weight_bytes_per_param, BF16_BYTES) / tensor_parallel, 0.0)


def states_per_gpu(stage, weight_bytes, gradient_bytes, optimizer_bytes, gpus, model_parallel=1.0) -> dict:
    """Per-GPU bytes of each model state: ÷ TP·PP ranks, then ZeRO over the data-parallel ranks
    (stage 1: optimizer, 2: + gradients, 3: + weights)."""
    dp = np.maximum(gpus / model_parallel, 1.0)
    stage = np.asarray(stage)
    return {
        "weights": weight_bytes / model_parallel / np.where(stage >= 3, dp, 1),
        "gradients": gradient_bytes / model_parallel / np.where(stage >= 2, dp, 1),
        "optimizer": optimizer_bytes / model_parallel / np.where(stage >= 1, dp, 1),
    }


def zero_split(stage, weight_bytes, gradient_bytes, optimizer_bytes):
    """(sharded, replicated) bytes for a ZeRO stage: 1 shards optimizer, 2 + gradients, 3 + weights."""
    stage = np.asarray(stage)
    sharded = (np.where(stage >= 1, optimizer_bytes, 0.0) + np.where(stage >= 2, gradient_bytes, 0.0)
               + np.where(stage >= 3, weight_bytes, 0.0))
    total = weight_bytes + gradient_bytes + optimizer_bytes
    return sharded, total - sharded


@rule(unit="bytes", formula="weights + optimizer states on one GPU after offload, ÷ TP·PP, ZeRO-sharded over "
      "data-parallel ranks (stage 1 optimizer, 3 weights)",
      source="Rajbhandari et al. 2020 (ZeRO) sec. 5 (P_os, P_os+g, P_os+g+p); Narayanan et al. 2021 sec. 2")
def resident_state_bytes(zero_stage, weight_gpu_bytes, optimizer_gpu_bytes, gpus, model_parallel):
    s = states_per_gpu(zero_stage, weight_gpu_bytes, 0.0, optimizer_gpu_bytes, gpus, model_parallel)
    return s["weights"] + s["optimizer"]


@rule(unit="bytes", formula="gradients on one GPU after offload, ÷ TP·PP, sharded over data-parallel ranks at "
      "ZeRO stage ≥ 2", source="Rajbhandari et al. 2020 (ZeRO) sec. 5 (P_os+g)")
def gradient_per_gpu_bytes(zero_stage, gradient_gpu_bytes, gpus, model_parallel):
    return states_per_gpu(zero_stage, 0.0, gradient_gpu_bytes, 0.0, gpus, model_parallel)["gradients"]


@rule(unit="params", formula="r · Σ_targets (d_in + d_out) · L  (0 for pretrain/full)",
      source="Hu et al. 2021 (LoRA), sec. 4: ΔW = B·A with B ∈ R^{d×r}, A ∈ R^{r×k}")
def lora_params(method, lora_rank, lora_dims_per_layer, layers):
    return np.where(is_in(method, PEFT), lora_rank * lora_dims_per_layer * layers, 0.0)


@rule(unit="params", formula="N for pretrain/full; N_adapter for LoRA/QLoRA", source="definition")
def trainable_params(method, n_params, lora_params):
    return np.where(is_in(method, PEFT), lora_params, n_params)
