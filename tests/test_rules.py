"""Each rule against a value computed by hand from a cited source."""

import math

import numpy as np
import pytest

import estimator
from estimator.rules import compute, memory
from estimator.rules.api_billing import default_epochs


def test_dense_flops_matches_gpt3_table_d1():
    """Brown et al. 2020 Table D.1: GPT-3 175B on 300B tokens = 3.14e23 FLOPs; 6·N·D = 3.15e23."""
    e = estimator.estimate(method="pretrain", model={"params": 175e9, "layers": 96, "hidden": 12288, "heads": 96},
                           tokens=300e9, gpu="a100-80gb", gpus=1024)
    assert e.train_flops == pytest.approx(3.15e23, rel=1e-9)
    assert e.train_flops == pytest.approx(3.14e23, rel=0.01)


def test_catalog_gpt3_entry_gives_paper_flops():
    e = estimator.estimate(method="pretrain", model="gpt-3-175b", tokens=300e9, gpu="v100-32gb", gpus=10000)
    assert e.train_flops == pytest.approx(3.14e23, rel=0.01)


def test_lora_flops_are_four_n_d_plus_adapters():
    """design.md: frozen base forward 2N + activation gradients 2N; adapters 6 per trainable param."""
    assert compute.flops_per_param_token("lora") == 4.0
    assert compute.flops_per_param_token("full") == 6.0
    assert compute.train_flops_per_token(4.0, 7e9, 0.0, compute.adapter_flops_per_token(1e6)) == 4 * 7e9 + 6e6


def test_recomputation_makes_hardware_flops_8nd():
    """Chowdhery et al. 2022 app. B: full recomputation re-runs the forward, HFU counts 8ND."""
    n, d = 7e9, 1e12
    assert compute.hardware_flops(6 * n * d, "full", n, d) == pytest.approx(8 * n * d)
    assert compute.hardware_flops(6 * n * d, "selective", n, d) == pytest.approx(6 * n * d)


def test_qlora_weights_are_4_127_bits():
    """Dettmers et al. 2023 sec. 3: NF4 + double quantisation = 4.127 bits/param: 65B -> 33.5 GB."""
    e = estimator.estimate(method="qlora", model="llama-1-65b", tokens=1e6, gpu="a100-80gb",
                           overrides={"qlora_embeddings": "4bit"})
    weights_only = e.values["n_params"] * 4.127 / 8
    adapters = e.values["lora_params"] * e.values["adapter_weight_bytes_per_param"]  # bf16 adapters in QLoRA
    assert e.values["weight_bytes"] - adapters == pytest.approx(weights_only, rel=1e-3)


def test_lora_params_llama_7b_r64_all_linear():
    """QLoRA Guanaco-7B (LLaMA-7B, r=64, all linear layers): 159,907,840 trainable parameters
    (the count PEFT prints): 32 layers × 64 × (4·(4096+4096) + 3·(4096+11008))."""
    e = estimator.estimate(method="qlora", model="llama-1-7b", tokens=1e6, gpu="a100-80gb")
    assert e.values["lora_params"] == 159_907_840


def test_openai_worked_example_gpt4o_mini():
    """OpenAI fine-tuning guide: 100,000 tokens × 3 epochs on gpt-4o-mini-2024-07-18 ≈ $0.90."""
    e = estimator.estimate(method="api", model="gpt-4o-mini", tokens=100_000, epochs=3)
    assert e.cost_usd == pytest.approx(0.90)
    assert e.values["billed_tokens"] == 300_000
    assert e.to_dict()["cost_usd"] == 0.9


def test_openai_gpt35_worked_example():
    """OpenAI Aug-2023 launch blog: 100,000-token file × 3 epochs on gpt-3.5-turbo = $2.40 ($8 / 1M)."""
    e = estimator.estimate(method="api", model="gpt-3.5-turbo", tokens=100_000, epochs=3)
    assert e.cost_usd == pytest.approx(2.40)


@pytest.mark.parametrize("n, epochs", [(5, 20), (1, 25), (33, 3), (34, 3), (40, 3), (8333, 3), (8334, 2), (30000, 1)])
def test_default_epochs_cookbook(n, epochs):
    """OpenAI Cookbook data-prep notebook: target 3, clamped to [100, 25000] examples×epochs and [1, 25]."""
    assert default_epochs(n) == epochs


def test_compute_optimal_tokens_is_20_per_param():
    """Hoffmann et al. 2022: ~20 tokens per parameter; 70B -> 1.4T."""
    e = estimator.estimate(method="pretrain", model={"params": 70e9, "layers": 80, "hidden": 8192, "heads": 64},
                           tokens=1.4e12, gpu="a100-80gb", gpus=1024)
    assert e.values["compute_optimal_tokens"] == pytest.approx(1.4e12)
    assert not any("compute-optimal" in w for w in e.warnings)
    far = estimator.estimate(method="pretrain", model="llama-2-7b", tokens=2e12, gpu="a100-80gb", gpus=1024)
    assert any("compute-optimal" in w for w in far.warnings)


def test_energy_and_co2_follow_llama_formula():
    """LLaMA-1 sec. 6: LLaMA-65B 1,022,362 GPU-h × 400 W × PUE 1.1 = 449 MWh; × 0.385 = 173 tCO2e."""
    e = estimator.estimate(method="pretrain", model="llama-1-65b", tokens=1.4e12, gpu="a100-80gb", gpus=2048,
                           overrides={"mfu": 1.0})
    scale = 1_022_362 / e.gpu_hours
    assert e.energy_kwh * scale / 1000 == pytest.approx(449, rel=0.01)
    assert e.co2_kg * scale / 1000 == pytest.approx(173, rel=0.01)


def test_time_and_gpu_hours_from_mfu():
    """Steady state T = 6ND / (gpus · peak · MFU): 6·7e9·1e12 / (64 · 312e12 · 0.5) = 4.207e6 s = 1168.6 h.
    Wall clock adds start-up 0.25 h and, on the steady part, 3% checkpoints/evaluation and interruptions
    64 × 1.97e-5 /GPU-h × 0.2 h = 0.025% (Llama 3 paper sec. 3.3.4)."""
    e = estimator.estimate(method="pretrain", model={"params": 7e9, "layers": 32, "hidden": 4096, "heads": 32},
                           tokens=1e12, gpu="a100-80gb", gpus=64, overrides={"mfu": 0.5})
    steady = 6 * 7e9 * 1e12 / (64 * 312e12 * 0.5) / 3600
    assert e.steady_state_hours == pytest.approx(steady)
    assert e.tokens_per_gpu_second == pytest.approx(312e12 * 0.5 / (6 * 7e9))
    assert e.wall_clock_hours == pytest.approx(0.25 + steady * (1 + 0.03 + 64 * 1.97e-5 * 0.2))
    assert e.goodput == pytest.approx(steady / e.wall_clock_hours)
    assert e.gpu_hours == pytest.approx(64 * e.wall_clock_hours)


def test_full_recompute_adds_a_forward_to_hardware_not_model_flops():
    """PaLM app. B: with full recomputation the hardware does 8N per token, the model 6N: at the same hardware
    utilisation, tokens/s fall to 6/8 (torchtune Llama 3.2 3B on A100: 9,174 -> 7,210 tokens/s, 0.79)."""
    kw = dict(method="full", model="llama-3.2-3b", tokens=1e9, gpu="a100-80gb", gpus=1)
    none = estimator.estimate(**kw, overrides={"activation_recompute": "none"})
    full = estimator.estimate(**kw, overrides={"activation_recompute": "full"})
    ratio = full.tokens_per_gpu_second / none.tokens_per_gpu_second
    assert ratio == pytest.approx(full.values["train_flops"] / full.values["hardware_flops"])
    assert 0.74 < ratio < 0.77  # 6N / (6N + 2N) plus the attention-free adapters: 0.75


def test_utilisation_is_smooth_in_the_gpu_count():
    """No bands: llama-2-7b, 1T tokens on H100 took 63.4 h on 512 and 69.3 h on 1,024 GPUs before (a 2.19×
    GPU-hour jump at the 1,024 band edge). Now 1,024 GPUs finish in about half the time, GPU-hours up by the fitted
    power law (2^0.0413 = 2.9%) and a little interruption time."""
    kw = dict(method="pretrain", model="llama-2-7b", tokens=1e12, gpu="h100-sxm")
    a, b = estimator.estimate(**kw, gpus=512), estimator.estimate(**kw, gpus=1024)
    assert b.wall_clock_hours < 0.52 * a.wall_clock_hours
    # the fitted power law (2.8%) times the growth of interruption time with the GPU count; start-up adds < 0.5%
    def overhead(e):
        return 1 + e.values["checkpoint_eval_overhead"] + e.values["interruption_overhead"]
    expected = 2 ** a.values["scale_exponent"] * overhead(b) / overhead(a)
    assert 1.0 < b.gpu_hours / a.gpu_hours < expected * 1.005


def test_moe_pays_an_all_to_all_penalty():
    """DeepSeek-V3 report sec. 3.2.1: cross-node expert parallelism has computation:communication ≈ 1:1, so a
    mixture of experts runs at about half a dense model's utilisation for the same active parameters."""
    e = estimator.estimate(method="pretrain", model="deepseek-v3", tokens=1e12, gpu="h100-sxm", gpus=2048)
    assert e.values["architecture"] == "moe"
    assert 0.4 < e.values["architecture_efficiency"] < 0.7
    dense = estimator.estimate(method="pretrain", model="deepseek-v3", tokens=1e12, gpu="h100-sxm", gpus=2048,
                               overrides={"architecture": "dense"})
    assert e.mfu / dense.mfu == pytest.approx(e.values["architecture_efficiency"])


def test_rules_work_on_arrays():
    """The same rules evaluate a grid with numpy arrays."""
    n = np.array([1e9, 7e9, 70e9])
    flops = compute.train_flops(compute.train_flops_per_token(6.0, n, 0.0, 0.0), 1e12)
    np.testing.assert_allclose(flops, 6 * n * 1e12)
    fit = dict(stored_activation_bytes=1e9, loss_buffer_bytes=0.0, recompute_working_bytes=0.0, grad_accum=1,
               layer_params=0.0, weight_bytes_per_param=2.0, tensor_parallel=1, offload="none", model_parallel=1,
               cuda_context_gb=0.0, usable_bytes_per_gpu=72 * 2**30)
    need = memory.gpus_to_fit(3, 2 * n, 2 * n, 12 * n, **fit)
    assert need.shape == (3,) and need[0] == 1 and need[2] > need[1]
    assert math.isinf(memory.gpus_to_fit(3, 2e9, 2e9, 12e9, **(fit | {"stored_activation_bytes": 100 * 2**30})))


def test_owned_gpu_hour_straight_line_is_depreciation_plus_network_plus_energy():
    """Straight line: $30,000 / (1 - 0.19 interconnect share) over 5 years of 8,766 h = $0.8457/h, + energy
    0.7 kW × 1.82 (server/chip power, Epoch AI for H100) × 0.75 (average draw) × PUE 1.1 × $0.0804/kWh = $0.0845/h."""
    e = estimator.estimate(method="lora", model="llama-3.1-8b", tokens=1e9, gpu="h100-sxm", provider="owned",
                           overrides={"purchase_usd_per_gpu": 30_000, "amortization_method": "straight_line"})
    expected = 30_000 / 0.81 / (5 * 8766) + 0.7 * 1.82 * 0.75 * 1.1 * 0.0804
    assert e.values["price_usd_per_gpu_hour"] == pytest.approx(expected, rel=1e-9)
    assert e.cost_usd == pytest.approx(e.gpu_hours * e.values["price_usd_per_gpu_hour"])


def test_owned_without_purchase_price_is_a_clear_error():
    with pytest.raises(estimator.ConfigurationError, match="needs a purchase price"):
        estimator.estimate(method="lora", model="llama-3.1-8b", tokens=1e9, gpu="l40s", provider="owned")


def test_attention_overhead_is_one_at_the_reference_length_and_grows_with_s():
    """PaLM app. B: attention adds 12·L·h·s FLOPs per token to 6N. Llama-3.1-8B shape (L=32, h=4096, N=8.03e9):
    at s = 32768 vs 4096: (1 + 2·32·4096·32768/8.03e9) / (1 + 2·32·4096·4096/8.03e9) = 2.070 / 1.134 = 1.826."""
    from estimator.rules.throughput import attention_overhead

    assert attention_overhead(0, 32, 4096, 4096, 8.03e9, 4096) == pytest.approx(1.0)
    assert attention_overhead(0, 32, 4096, 32768, 8.03e9, 4096) == pytest.approx(1.826, rel=1e-3)
    assert attention_overhead(1, 32, 4096, 32768, 8.03e9, 4096) == 1.0  # already counted in C


def test_fp8_is_about_1_4x_faster_not_2x():
    """llm-foundry H100: FP8 MFU 0.28-0.29 of 1,979 TFLOP/s vs BF16 0.41-0.46 of 989 and DeepSeek-V3's FP8 run
    fit precision_efficiency 0.825 (with NeMo/dgxc FP8 fine-tuning rows; dgxc's BF16/FP8 pairs measure 1.35-1.49x):
    steady-state time ratio = 989 / (1979 × 0.825) = 0.606."""
    kw = dict(method="pretrain", model="llama-3.1-8b", tokens=1e12, gpu="h100-sxm", gpus=64)
    bf16 = estimator.estimate(**kw)
    fp8 = estimator.estimate(**kw, overrides={"dtype": "fp8"})
    assert fp8.steady_state_hours / bf16.steady_state_hours == pytest.approx(989 / (1979 * 0.825), rel=1e-3)
