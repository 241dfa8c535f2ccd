"""Memory rules against values computed by hand from the cited sources."""

import numpy as np
import pytest

import estimator
from estimator.planning.validation_memory import run_validation, to_markdown
from estimator.rules import memory, memory_activations, memory_states

GIB = 2**30


def test_mixed_precision_adam_is_16_bytes_per_param_and_zero_shards_it():
    """Rajbhandari et al. 2020 (ZeRO) sec. 3.1: 2 + 2 + (4 master + 8 Adam) = 16 bytes/param; 7.5B -> 120 GB;
    Figure 1: ZeRO-3 on 64 GPUs 1.875 GB per GPU, stage 1 (P_os) 31.4 GB."""
    n = 7.5e9
    w = memory_states.weight_bytes(n, 0.0, 2.0, 2.0, 0.0, 4.0)
    g = memory_states.gradient_bytes(n, 2.0)
    o = memory_states.optimizer_bytes(n, memory_states.optimizer_bytes_per_param(8.0, 4.0))
    assert w + g + o == 16 * n == 120e9
    assert sum(memory_states.states_per_gpu(3, w, g, o, 64).values()) == pytest.approx(1.875e9)
    assert sum(memory_states.states_per_gpu(1, w, g, o, 64).values()) / 1e9 == pytest.approx(31.4, abs=0.05)


def test_optimizer_bytes_follow_optimizer_and_master_weights():
    """8-bit Adam: 2 bytes/param of state (Dettmers et al. 2022) + 4 fp32 master = 6; pure-bf16 AdamW: m, v in bf16
    = 4 and no master (torch AdamW allocates states like the parameter); Adafactor ~0 (Shazeer & Stern 2018)."""
    def opt(**s):
        e = estimator.estimate("full", "llama-3.1-8b", "1M", gpu="h100-sxm", overrides=s)
        return e.values["optimizer_bytes"] / e.values["n_params"]
    assert opt(optimizer="adamw") == pytest.approx(12.0)
    assert opt(optimizer="adamw_8bit") == pytest.approx(6.0)
    assert opt(optimizer="adamw", master_weights="none") == pytest.approx(4.0)
    assert opt(optimizer="adafactor", master_weights="none") == pytest.approx(0.0)


def test_korthikanti_table2_per_layer_activations():
    """Korthikanti et al. 2022 Table 2, GPT-3 175B (h=12288, a=96), s=2048, b=1, 16-bit values:
    no parallelism s·b·h·(34 + 5·a·s/h) = 2.869e9 bytes per layer with eager attention; flash attention never
    stores the s² scores, leaving 34·s·b·h = 855.6e6; TP t=8: s·b·h·(10 + 24/8 + 5·a·s/(8h)); TP+SP: /t;
    TP+SP+selective: 34·s·b·h/8 = 107e6; full recomputation 2·s·b·h."""
    s, b, h, a = 2048, 1, 12288, 96
    sbh = s * b * h
    per = memory_activations._per_layer
    assert per("none", "eager", s, b, h, a, 1, 0, 1.0) == pytest.approx(2.869e9, rel=1e-3)
    assert per("none", "flash", s, b, h, a, 1, 0, 1.0) == pytest.approx(855.6e6, rel=1e-3)
    assert per("none", "eager", s, b, h, a, 8, 0, 1.0) == pytest.approx(sbh * (10 + 24 / 8 + 5 * a * s / (8 * h)))
    assert per("none", "eager", s, b, h, a, 8, 1, 1.0) == pytest.approx(sbh / 8 * (34 + 5 * a * s / h))
    assert per("selective", "eager", s, b, h, a, 8, 1, 1.0) == pytest.approx(107e6, rel=1e-2)
    assert per("full", "flash", s, b, h, a, 1, 0, 1.0) == 2 * sbh
    stored = memory_activations.stored_activation_bytes("none", "flash", s, b, h, a, 96, 1, 0, 1, 2, 1.0, 0)
    assert stored == pytest.approx(96 * 34 * sbh)


def test_loss_buffer_standard_vs_chunked():
    """Standard HF loss: fp32 upcast + log-softmax + their gradients = 16 bytes per logit; Llama 3 (V = 128,256),
    s = 4096, b = 2: 1.05e9 logits -> 15.7 GiB; chunked (torchtune, 8 chunks) 3 bytes -> 2.9 GiB."""
    e = estimator.estimate("full", "llama-3.2-3b", "1M", gpu="a100-80gb", gpus=1,
                           overrides={"seq_len": 4096, "micro_batch": 2, "optimizer": "paged_adamw_8bit"})
    assert e.values["loss_buffer_bytes"] / GIB == pytest.approx(4096 * 2 * 128256 * 16 / GIB)
    c = estimator.estimate("full", "llama-3.2-3b", "1M", gpu="a100-80gb", gpus=1,
                           overrides={"seq_len": 4096, "micro_batch": 2, "loss": "chunked"})
    assert c.values["loss_buffer_bytes"] / GIB == pytest.approx(2.93, abs=0.01)


def test_qlora_70b_fits_on_48gb_with_unsloth_settings():
    """Unsloth docs: 70B QLoRA on a 48 GB card with chunked loss and offloaded checkpoints. NF4 weights
    (68.5B × 0.516 B) + bf16 embeddings (2.1B × 2 B) = 39.5 GB alone; the default HF stack (standard loss,
    checkpoints on the GPU) does not fit, and the estimate says what does."""
    e = estimator.estimate("qlora", "llama-3.1-70b", "1M", gpu="l40s", gpus=1, overrides={"stack": "unsloth"})
    assert e.values["memory_required_gb"] < 48 * 0.95
    assert not any("does not fit" in w for w in e.warnings)
    hf = estimator.estimate("qlora", "llama-3.1-70b", "1M", gpu="l40s", gpus=1)
    assert any("does not fit on 1 × l40s" in w and "using" in w for w in hf.warnings)


def test_fit_longest_seq_len_and_largest_rank_on_one_gpu():
    from estimator.planning.fit import fit

    r = fit("llama-3.1-8b", "l4", "qlora")
    assert r.fits and r.max_seq_len >= 2048 and r.max_lora_rank >= 64
    longer = estimator.estimate("qlora", "llama-3.1-8b", "1M", gpu="l4", gpus=1,
                                overrides={"seq_len": r.max_seq_len})
    assert longer.values["memory_required_gb"] <= r.usable_gb
    full = fit("llama-3.1-8b", "l4", "full")
    assert not full.fits and any(o.fits for o in full.options)


def test_moe_memory_counts_every_expert_flops_only_active():
    """Snowflake Arctic (480B total, 17B active): weights count all 480B; FLOPs use 17B per token."""
    e = estimator.estimate("pretrain", "snowflake-arctic", "1T", gpu="h100-sxm", gpus=1024)
    assert e.values["train_flops"] == pytest.approx(6 * 17e9 * 1e12)
    assert e.values["weight_bytes"] == pytest.approx(2 * 480e9)


def test_arrays_of_candidates_in_one_pass():
    dims = memory.lora_dims_per_layer(np.array(["qv", "q_proj,v_proj", "attention"], dtype=object),
                                      4096, 4096, 1024, 14336, 3, 1)
    assert dims[0] == dims[1] == (4096 + 4096) + (4096 + 1024)


def test_validation_memory_beats_peer_and_refuses_nothing_that_ran():
    rows, summary = run_validation()
    assert summary["median_abs_error"] < 0.24  # llm-analysis at efficiency 0.5 (issue 10)
    assert summary["refusals_of_runs_that_ran"] == []


def test_committed_memory_report_is_current():
    from pathlib import Path

    doc = Path(__file__).resolve().parent.parent / "docs" / "validation-memory.md"
    assert doc.read_text(encoding="utf-8") == to_markdown(*run_validation()), \
        "regenerate: python -m estimator.planning.validation_memory > docs/validation-memory.md"


def test_unknown_choice_is_rejected_with_close_matches():
    from estimator.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="did you mean adamw_8bit"):
        estimator.estimate("lora", "llama-3.1-8b", "1M", gpu="h100-sxm", overrides={"optimizer": "adamw8bit"})
    with pytest.raises(ConfigurationError, match="unknown choice"):
        estimator.estimate("lora", "llama-3.1-8b", "1M", gpu="h100-sxm", overrides={"stack": "deepspeed"})
