"""Default assumptions (no per-case MFU) against published end-to-end runs.

Entries with their primary citations (estimator/data/validation/cases.yaml). GPU-hours
are what each source reports; the GPU count is what the source states (Meta's runs: the
2,048-GPU cluster of the LLaMA paper, sec. 2.4; Llama 2 gives none, the issue uses 2,000).
"""

import pytest

import estimator

LLAMA1 = "Touvron et al. 2023, LLaMA, arXiv:2302.13971, Table 15 (GPU-hours), Table 2 (tokens)"
LLAMA2 = "Touvron et al. 2023, Llama 2, arXiv:2307.09288, Table 2"
PYTHIA = "Biderman et al. 2023, Pythia, arXiv:2304.01373, GPU-hours table (A100-40GB)"
LLAMA31 = "Meta Llama 3.1 MODEL_CARD (training GPU-hours on H100-80GB; 15T+ tokens, 405B 15.6T per Dubey et al. 2024)"
MPT = "MosaicML 2023-05-05, 'Introducing MPT-7B': ~9.5 days on 440 A100-40GB = 100,320 GPU-h"

CASES = [
    # model, tokens, gpu, gpus, reported GPU-hours, source
    ("llama-1-7b", 1.0e12, "a100-80gb", 2048, 82_432, LLAMA1),
    ("llama-1-13b", 1.0e12, "a100-80gb", 2048, 135_168, LLAMA1),
    ("llama-1-33b", 1.4e12, "a100-80gb", 2048, 530_432, LLAMA1),
    ("llama-1-65b", 1.4e12, "a100-80gb", 2048, 1_022_362, LLAMA1),
    ("llama-2-7b", 2.0e12, "a100-80gb", 2000, 184_320, LLAMA2),
    ("llama-2-13b", 2.0e12, "a100-80gb", 2000, 368_640, LLAMA2),
    ("llama-2-70b", 2.0e12, "a100-80gb", 2000, 1_720_320, LLAMA2),
    ("pythia-160m", 299_892_736_000, "a100-40gb", 32, 1_030, PYTHIA),
    ("pythia-410m", 299_892_736_000, "a100-40gb", 32, 2_540, PYTHIA),
    ("pythia-1b", 299_892_736_000, "a100-40gb", 64, 4_830, PYTHIA),
    ("pythia-1.4b", 299_892_736_000, "a100-40gb", 64, 7_120, PYTHIA),
    ("pythia-2.8b", 299_892_736_000, "a100-40gb", 64, 14_240, PYTHIA),
    ("pythia-6.9b", 299_892_736_000, "a100-40gb", 128, 33_500, PYTHIA),
    ("pythia-12b", 299_892_736_000, "a100-40gb", 256, 72_300, PYTHIA),
    ("mpt-7b", 1.0e12, "a100-40gb", 440, 100_320, MPT),
    ("llama-3.1-8b", 15e12, "h100-sxm", 16384, 1_460_000, LLAMA31),
    ("llama-3.1-70b", 15e12, "h100-sxm", 16384, 7_000_000, LLAMA31),
    ("llama-3.1-405b", 15.6e12, "h100-sxm", 16384, 30_840_000, LLAMA31),
]


# Inputs each run states (sources): sequence length (LLaMA-1, Pythia, MPT 2048; Llama 2 4096, the default;
# Llama 3.1 8192, Dubey et al. 2024) and, where stated, activation recomputation (LLaMA sec. 2.4 saves the
# expensive activations: selective; Pythia's GPT-NeoX configs: "checkpoint-activations": true). Like the GPU
# count, these are inputs of the run, not its efficiency.
SEQ_LEN = {"llama-1": 2048, "pythia": 2048, "mpt": 2048, "llama-3.1": 8192}


def seq_overrides(model):
    lengths = [v for k, v in SEQ_LEN.items() if model.startswith(k)]
    out = {"seq_len": lengths[0]} if lengths else {}
    if model.startswith("llama-1"):
        out["activation_recompute"] = "selective"
    if model.startswith("pythia"):
        out["activation_recompute"] = "full"
    return out


def _errors():
    return {m: estimator.estimate(method="pretrain", model=m, tokens=t, gpu=g, gpus=n,
                                  overrides=seq_overrides(m)).gpu_hours / r - 1
            for m, t, g, n, r, _ in CASES}


def test_pretraining_gpu_hours_median_error_under_15_percent_and_none_off_by_2x():
    """Defaults fitted by mechanism (generation, size, GPU count), not per family: the median stays small and
    no run is off by a factor of two (the worst, Llama 3.1 8B on 16,384 H100, reads about 40% low: a small
    model spread over so many GPUs, which no other run in the set shows)."""
    errors = _errors()
    assert sorted(abs(e) for e in errors.values())[len(errors) // 2] < 0.15, errors
    assert all(0.5 < 1 + e < 2.0 for e in errors.values()), errors


def test_llama2_34b_inline_spec_within_25_percent():
    """Llama 2 34B (unreleased; Table 2: 1,038,336 GPU-h on 2T tokens), given inline from Table 1's shape."""
    e = estimator.estimate(method="pretrain", model={"params": 34e9, "layers": 48, "hidden": 8192, "heads": 64,
                                                     "kv_heads": 8, "ffn": 22016, "vocab": 32000, "context": 4096},
                           tokens=2e12, gpu="a100-80gb", gpus=2000)
    assert abs(e.gpu_hours / 1_038_336 - 1) <= 0.25


def test_issue_example_llama2_70b_on_2000_gpus():
    """`estimate --method pretrain --model llama-2-70b --tokens 2T --gpu a100-80gb --gpus 2000` vs 1,720,320
    (Llama 2 Table 2); the estimate reads about 25% high with the default full recomputation."""
    e = estimator.estimate(method="pretrain", model="llama-2-70b", tokens="2T", gpu="a100-80gb", gpus=2000)
    assert e.gpu_hours == pytest.approx(1_720_320, rel=0.35)


def test_qlora_65b_fits_one_48gb_card():
    """Dettmers et al. 2023: QLoRA fine-tunes a 65B model on a single 48 GB GPU (r=64, all linear, grad ckpt)."""
    e = estimator.estimate(method="qlora", model="llama-1-65b", tokens=10e6, gpu="a100-80gb",
                           overrides={"seq_len": 512})
    assert e.gpus == 1
    assert e.memory_per_gpu_gb < 48
    # and the tool itself says one 48 GB card (L40S) is enough, headroom included
    on_48gb = estimator.estimate(method="qlora", model="llama-1-65b", tokens=10e6, gpu="l40s",
                                 overrides={"seq_len": 512})
    assert on_48gb.gpus == 1


def test_full_finetune_65b_needs_over_780gb():
    """Dettmers et al. 2023: 16-bit full fine-tuning of 65B needs >780 GB of GPU memory in total."""
    e = estimator.estimate(method="full", model="llama-1-65b", tokens=10e6, gpu="a100-80gb")
    total_state_gb = (e.values["weight_bytes"] + e.values["gradient_bytes"] + e.values["optimizer_bytes"]) / 1e9
    assert total_state_gb > 780
    assert e.gpus >= 12
