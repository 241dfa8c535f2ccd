"""Serving a trained model yourself: KV-cache memory, throughput, GPUs for a traffic level, $ per 1M tokens.

Throughput is a roofline over one replica (a tensor-parallel group of g GPUs) running a full continuous batch:
the batch is as large as the KV cache allows; each request's prompt is prefilled at compute speed (2·N FLOPs per
token); each decode step reads the weights once plus every sequence's KV cache (memory-bound) or does 2·N FLOPs per
sequence (compute-bound), whichever takes longer. Utilisation and bandwidth efficiency are assumption tables
calibrated on NVIDIA's TensorRT-LLM performance overview (see docs/validation-serving.md).
"""

from __future__ import annotations

import numpy as np

from estimator.rules.base import rule

TP_DEGREES = (1.0, 2.0, 4.0, 8.0)  # tensor-parallel group sizes within one 8-GPU server
DAYS_PER_MONTH = 365.25 / 12.0
HOURS_PER_MONTH = 8766.0 / 12.0


@rule(unit="bytes/token", formula="2 (K and V) · layers · kv_heads · head_dim · bytes per value",
      source="Kwon et al. 2023 (vLLM / PagedAttention), sec. 2-3: KV cache size per token")
def kv_cache_bytes_per_token(layers, kv_dim, kv_cache_dtype_bytes):
    return 2.0 * layers * kv_dim * kv_cache_dtype_bytes


@rule(unit="GB", formula="KV bytes per token × (input + output tokens) / 1e9", source="Kwon et al. 2023 sec. 3")
def kv_cache_gb_per_sequence(kv_cache_bytes_per_token, input_tokens, output_tokens):
    return kv_cache_bytes_per_token * (input_tokens + output_tokens) / 1e9


@rule(unit="bytes", formula="N × bytes per weight (serving precision)", source="definition")
def serving_weight_bytes(n_params, serve_weight_bytes_per_param):
    return n_params * serve_weight_bytes_per_param


def replica_throughput(g, weight_bytes, n_active, kv_bytes_per_token, input_tokens, output_tokens, memory_gb,
                       bandwidth_tbps, peak_flops, kv_memory_fraction, serve_mfu, serve_bandwidth_efficiency):
    """Output tokens/s of one replica of g GPUs (0 where weights and one sequence do not fit)."""
    kv_memory = (g * memory_gb * 1e9 - weight_bytes) * kv_memory_fraction
    seq_bytes = kv_bytes_per_token * (input_tokens + output_tokens)
    batch = np.floor(np.maximum(kv_memory, 0.0) / seq_bytes)
    ok = batch >= 1
    b = np.where(ok, batch, 1.0)
    compute = g * peak_flops * serve_mfu
    prefill_s = 2.0 * n_active * input_tokens / compute  # per request
    read_s = (weight_bytes + b * kv_bytes_per_token * (input_tokens + output_tokens / 2.0)) / (
        g * bandwidth_tbps * 1e12 * serve_bandwidth_efficiency)
    step_s = np.maximum(read_s, 2.0 * n_active * b / compute)
    batch_s = b * prefill_s + output_tokens * step_s
    return np.where(ok, b * output_tokens / batch_s, 0.0)


def _inputs(**kw):
    return {k: np.asarray(v, dtype=float) for k, v in kw.items()}


@rule(unit="GPUs", formula="smallest tensor-parallel size g in {1, 2, 4, 8} whose memory holds the weights in at "
      "most a share f of it (the rest for the KV cache); else the smallest g that holds weights + one sequence; "
      "inf if none", source="assumption table 'serve_max_weight_fraction'; NVIDIA TensorRT-LLM perf overview runs "
             "Llama 3.1 8B FP8 at TP1 and Llama 3.3 70B FP8 at TP2 on H100 (weights 10% and 44% of memory)")
def serve_gpus_per_replica(serving_weight_bytes, kv_cache_bytes_per_token, input_tokens, output_tokens,
                           gpu_memory_gb, serve_max_weight_fraction):
    w = np.asarray(serving_weight_bytes, dtype=float)
    seq = np.asarray(kv_cache_bytes_per_token * (input_tokens + output_tokens), dtype=float)
    mem = np.asarray(gpu_memory_gb, dtype=float) * 1e9
    shape = np.broadcast_shapes(w.shape, seq.shape, mem.shape, np.shape(serve_max_weight_fraction))
    roomy = np.full(shape, np.inf)
    fits = np.full(shape, np.inf)
    for g in reversed(TP_DEGREES):
        roomy = np.where(w <= serve_max_weight_fraction * g * mem, g, roomy)
        fits = np.where(w + seq <= g * mem, g, fits)
    return np.where(np.isfinite(roomy) & np.isfinite(fits), np.maximum(roomy, fits), fits)


@rule(unit="tokens/s", formula="B·O / (B·t_prefill + O·t_step): B = KV memory / (KV bytes per token × (I + O)); "
      "t_prefill = 2·N·I / (g·peak·MFU); t_step = max((W + B·KV·(I + O/2)) / (g·bandwidth·efficiency), "
      "2·N·B / (g·peak·MFU))",
      source="roofline of continuous batching (Kwon et al. 2023 for the KV-bound batch; Pope et al. 2022, "
             "'Efficiently Scaling Transformer Inference', sec. 2-3 for memory- vs compute-bound decoding)")
def replica_output_tokens_per_second(serve_gpus_per_replica, serving_weight_bytes, n_active, kv_cache_bytes_per_token,
                                     input_tokens, output_tokens, gpu_memory_gb, gpu_bandwidth_tbps,
                                     peak_flops_per_gpu, kv_memory_fraction, serve_mfu, serve_bandwidth_efficiency):
    g = np.asarray(serve_gpus_per_replica, dtype=float)
    finite = np.isfinite(g)
    out = replica_throughput(np.where(finite, g, 8.0), **_inputs(
        weight_bytes=serving_weight_bytes, n_active=n_active, kv_bytes_per_token=kv_cache_bytes_per_token,
        input_tokens=input_tokens, output_tokens=output_tokens, memory_gb=gpu_memory_gb,
        bandwidth_tbps=gpu_bandwidth_tbps, peak_flops=peak_flops_per_gpu, kv_memory_fraction=kv_memory_fraction,
        serve_mfu=serve_mfu, serve_bandwidth_efficiency=serve_bandwidth_efficiency))
    return np.where(finite, out, 0.0)


@rule(unit="tokens/s/GPU", formula="replica throughput / GPUs per replica", source="definition")
def output_tokens_per_second(replica_output_tokens_per_second, serve_gpus_per_replica):
    return replica_output_tokens_per_second / serve_gpus_per_replica


@rule(unit="tokens/s", formula="requests per day × output tokens / 86,400 s (average rate)", source="definition")
def required_output_tokens_per_second(requests_per_day, output_tokens):
    return requests_per_day * output_tokens / 86400.0


@rule(unit="GPUs", formula="replicas × GPUs per replica; replicas = ceil(required rate / replica throughput), at "
      "least 1", source="definition (traffic spread over identical replicas)")
def serve_gpus(required_output_tokens_per_second, replica_output_tokens_per_second, serve_gpus_per_replica):
    with np.errstate(divide="ignore", invalid="ignore"):
        replicas = np.maximum(1.0, np.ceil(required_output_tokens_per_second / replica_output_tokens_per_second - 1e-9))
    return replicas * serve_gpus_per_replica


@rule(unit="USD/1M output tokens", formula="price per GPU-hour × GPUs per replica / (replica tokens/s × 3600) × 1e6 "
      "(a fully busy replica)", source="definition")
def usd_per_million_tokens(price_usd_per_gpu_hour, serve_gpus_per_replica, replica_output_tokens_per_second):
    return price_usd_per_gpu_hour * serve_gpus_per_replica / (replica_output_tokens_per_second * 3600.0) * 1e6


@rule(unit="USD/month", formula="serving GPUs × price per GPU-hour × 730.5 h (always on)", source="definition")
def monthly_serving_usd(serve_gpus, price_usd_per_gpu_hour):
    return serve_gpus * price_usd_per_gpu_hour * HOURS_PER_MONTH


@rule(unit="USD", formula="monthly serving cost × months", source="definition")
def serving_cost_usd(monthly_serving_usd, months):
    return monthly_serving_usd * months


@rule(unit="tokens/month", formula="requests per day × input tokens × 30.44 days", source="definition")
def monthly_input_tokens(requests_per_day, input_tokens):
    return requests_per_day * input_tokens * DAYS_PER_MONTH


@rule(unit="tokens/month", formula="requests per day × output tokens × 30.44 days", source="definition")
def monthly_output_tokens(requests_per_day, output_tokens):
    return requests_per_day * output_tokens * DAYS_PER_MONTH


@rule(unit="requests/day", formula="smallest R with ceil(R / replica capacity) × replica $/month ≤ hosted fixed $/month "
      "+ 30.44 × R × hosted $ per request (checked for 1-1000 replicas); inf if hosting stays cheaper",
      source="break-even of always-on self-hosted replicas against a per-token hosted service (definition)")
def breakeven_requests_per_day(self_hosted_replica_monthly_usd, replica_requests_per_day, hosted_fixed_monthly_usd,
                               hosted_usd_per_request):
    n = np.arange(1.0, 1001.0).reshape((-1,) + (1,) * np.ndim(self_hosted_replica_monthly_usd))
    per_day = DAYS_PER_MONTH * np.asarray(hosted_usd_per_request, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.maximum((n * self_hosted_replica_monthly_usd - hosted_fixed_monthly_usd) / per_day,
                       (n - 1.0) * replica_requests_per_day)
    ok = (r <= n * replica_requests_per_day) & np.isfinite(r)
    r = np.where(ok, np.maximum(r, 0.0), np.inf)
    return r.min(axis=0)
