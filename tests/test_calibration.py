"""Default assumptions (no per-case MFU) against published end-to-end runs.

Entries with their primary citations (estimator/data/validation/cases.yaml). GPU-hours
are what each source reports; the GPU count is what the source states (Meta's runs: the
2,048-GPU cluster of the LLaMA paper, sec. 2.4; Llama 2 gives none, the issue uses 2,000).
"""

import pytest

import estimator


def _errors():
    """Every published run in cases.yaml through the public API (estimator.estimate) with the settings its source
    states: GPU-hours / reported − 1 (steady-state GPU-hours where the source counts iterations only, as Pythia)."""
    from estimator.planning.calibration import validation_yaml

    out = {}
    for c in validation_yaml("cases.yaml")["cases"]:
        if c["kind"] != "gpu_hours":
            continue
        e = estimator.estimate(method="pretrain", model=c["model"], tokens=float(c["tokens"]), gpu=c["gpu"],
                               gpus=c["gpus"], overrides=c.get("overrides") or {})
        hours = e.gpus * e.values["steady_state_hours"] if c.get("covers") == "steady_state" else e.gpu_hours
        out[c["id"]] = hours / c["reported"] - 1
    return out


def test_pretraining_gpu_hours_median_error_under_15_percent_and_none_off_by_2x():
    """Defaults fitted by mechanism (generation, size, GPU count, architecture, stack), not per family: over the 39
    published runs the median stays under 15% and no run is off by a factor of two (the worst, Llama 3.1 8B on
    16,384 H100, reads about a third low: a small model spread over so many GPUs, which no other run shows)."""
    errors = _errors()
    assert len(errors) >= 39
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
