"""Speed sections of `estimator validate`: pretraining GPU-hours (in-sample and leave-one-family-out),
fine-tuning throughput, the steady-state benchmarks, and fine-tuning wall-clock checks.

The cross-validation itself lives in plan/calibration.py; this module turns it into rows and summaries.
"""

from __future__ import annotations

import math
import statistics
from typing import Any

from estimator.catalog.loader import Catalog
from estimator.planning.calibration import CHECKED, CrossValidation, validation_yaml

CONSTANT_MFU = 0.30  # the peer baseline of issue 10: 6ND at a typed-in 0.30 MFU of the dense bf16 peak


def constant_mfu_gpu_hours(case: dict[str, Any], train_flops: float, cat: Catalog) -> float:
    """GPU-hours a user gets by typing one utilisation for every run: 6ND / (0.30 × dense bf16 peak)."""
    peak, _ = cat.gpu(case["gpu"]).peak("bf16")
    return train_flops / (CONSTANT_MFU * peak * 1e12) / 3600.0


def speed_summary(cv: CrossValidation, baseline_errors: list[float]) -> dict[str, Any]:
    k = cv.by_kind
    pre, ft, bench = k.get("gpu_hours", {}), k.get("tokens_per_gpu_second", {}), k.get("benchmark_mfu", {})
    ft_rows = [r for r in cv.rows if r["kind"] == "tokens_per_gpu_second"]
    worst = max(ft_rows, key=lambda r: abs(r["in_sample_error"])) if ft_rows else None
    return {
        "pretraining_families": pre.get("families", 0),
        "pretraining_in_sample_median_abs_error": pre.get("in_sample_median"),
        "pretraining_held_out_median_abs_error": pre.get("held_out_median"),
        "pretraining_held_out_worst_abs_error": pre.get("held_out_worst"),
        "pretraining_held_out_p10_p90_coverage": pre.get("held_out_coverage"),
        "pretraining_constant_mfu_median_abs_error": statistics.median(abs(e) for e in baseline_errors),
        "finetune_throughput_cases": ft.get("cases", 0),
        "finetune_throughput_median_abs_error": ft.get("in_sample_median"),
        "finetune_throughput_worst_case": worst["id"] if worst else None,
        "finetune_throughput_worst_abs_error": abs(worst["in_sample_error"]) if worst else None,
        "finetune_throughput_held_out_median_abs_error": ft.get("held_out_median"),
        "finetune_throughput_held_out_p10_p90_coverage": ft.get("held_out_coverage"),
        "finetune_throughput_checked": [f"{r['id']}: {r['in_sample_error']:+.0%}" for r in cv.rows if r["kind"] == CHECKED],
        "benchmark_cases": bench.get("cases", 0),
        "benchmark_median_abs_error": bench.get("in_sample_median"),
        "benchmark_held_out_median_abs_error": bench.get("held_out_median"),
        "cv_spread_p10_p90": [round(math.exp(q), 3) for q in cv.spread],
    }


def finetune_notes() -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in validation_yaml("finetune_throughput.yaml")["cases"]}


def pretraining_markdown(rows: list[Any], cv: CrossValidation, s: dict[str, Any]) -> list[str]:
    held = {r["id"]: r for r in cv.rows}
    out = ["## Pretraining: GPU-hours of whole runs", "",
           f"{len([r for r in rows if r.kind == 'gpu_hours'])} published runs from {s['pretraining_families']} families "
           "(fitted on). *In-sample* uses the shipped tables; *held-out* refits the tables without the run's family "
           "and predicts it (leave-one-family-out), which is how far a new family can land. The held-out P10-P90 is "
           "the spread of the other families' held-out residuals.", "",
           f"- Held-out median absolute error **{s['pretraining_held_out_median_abs_error']:.1%}** (in-sample "
           f"{s['pretraining_in_sample_median_abs_error']:.1%}); worst held-out "
           f"{s['pretraining_held_out_worst_abs_error']:.1%}; held-out P10-P90 coverage "
           f"**{s['pretraining_held_out_p10_p90_coverage']:.0%}**.",
           f"- Baseline: one utilisation typed in for every run (6ND at {CONSTANT_MFU:.2f} MFU of the dense bf16 peak) "
           f"gives {s['pretraining_constant_mfu_median_abs_error']:.1%} median absolute error on the same runs.",
           *added_families_line(cv), "",
           "| case | family | reported GPU-h | in-sample | error | held-out | error | P10–P90 (shipped) | in range | "
           "held-out in range | source |", "|---|---|---:|---:|---:|---:|---:|---|---|---|---|"]
    for r in rows:
        if r.kind != "gpu_hours":
            continue
        h = held[r.id]
        band = f"{r.p10:,.0f}–{r.p90:,.0f}" if r.p10 is not None else ""
        out.append(f"| {r.id} | {h['family']} | {r.reported:,.0f} | {r.estimated:,.0f} | {r.error:+.1%} | "
                   f"{h['held_out']:,.0f} | {h['held_out_error']:+.1%} | {band} | {'yes' if r.covered else 'no'} | "
                   f"{'yes' if h['covered'] else 'no'} | {r.source} |")
    out += ["", "Pythia's GPU-hours count logged iteration time only (steady state) and are compared with steady-state "
            "GPU-hours; the others are whole runs (start-up, checkpoints, evaluation, restarts).", ""]
    return out


# Families added to the dev set in December 2026 (issue 10), after the first seven: most of their GPU-hours are
# GPUs × the days a model card or blog states, so they are rounder figures than the first seven families' tables.
ADDED_FAMILIES = ("bloom", "phi-3", "starcoder", "smollm", "falcon", "zamba", "granite", "jetmoe", "bloomberggpt",
                  "stablelm", "olmo")


def added_families_line(cv: CrossValidation) -> list[str]:
    """Held-out median of the added families and of the first seven, each under the same (final) fit."""
    rows = [r for r in cv.rows if r["kind"] == "gpu_hours"]
    added = [abs(r["held_out_error"]) for r in rows if r["family"] in ADDED_FAMILIES]
    first = [abs(r["held_out_error"]) for r in rows if r["family"] not in ADDED_FAMILIES]
    if not added or not first:
        return []
    return [f"- Added in December 2026: {len(added)} runs of {', '.join(ADDED_FAMILIES)} (GPU-hours mostly GPUs × "
            "stated days, see each source). Held-out median on them "
            f"{statistics.median(added):.1%}; on the first {len(first)} runs {statistics.median(first):.1%} (16.2% "
            "before the additions and before Llama 3.1 405B's stated 'without activation checkpointing' was used)."]


def finetune_markdown(cv: CrossValidation, s: dict[str, Any]) -> list[str]:
    notes = finetune_notes()
    out = ["## Fine-tuning: steady-state throughput", "",
           f"{s['finetune_throughput_cases']} measured fine-tuning runs (torchtune; NVIDIA NeMo, Megatron-Bridge, NeMo AutoModel and dgxc-benchmarking tables; the Hugging Face stack from Qwen's README and Answer.AI's fsdp_qlora; fitted on), tokens per GPU per "
           "second, recomputed from the model, method, GPU, sequence length, micro-batch, recomputation and LoRA "
           "settings the source states.", "",
           f"- Median absolute error **{s['finetune_throughput_median_abs_error']:.1%}**, worst "
           f"{s['finetune_throughput_worst_case']} ({s['finetune_throughput_worst_abs_error']:.1%}); held-out "
           f"(leave-one-family-out) median {s['finetune_throughput_held_out_median_abs_error']:.1%}, held-out "
           f"P10-P90 coverage {s['finetune_throughput_held_out_p10_p90_coverage']:.0%}. Peer: llm-analysis at "
           "efficiency 0.5 gives 26% on held-out fine-tuning throughput (issue 10).", "",
           "| case | GPUs | reported tokens/GPU/s | estimated | error | held-out | error | confidence | what the inputs "
           "could not express |", "|---|---|---:|---:|---:|---:|---:|---|---|"]
    for r in cv.rows:
        if r["kind"] != "tokens_per_gpu_second":
            continue
        c = notes[r["id"]]
        conf = c["confidence"] + (f" ({c['reported_note']})" if c.get("reported_note") else "")
        out.append(f"| {r['id']} | {c['gpus']} × {c['gpu']} | {r['reported']:,.0f} | {r['in_sample']:,.0f} | "
                   f"{r['in_sample_error']:+.1%} | {r['held_out']:,.0f} | {r['held_out_error']:+.1%} | {conf} | "
                   f"{c['cannot_express']} |")
    checked = [r for r in cv.rows if r["kind"] == CHECKED]
    if checked:
        out += ["", "Checked, not fitted (`fitted: false`: predicted by the shipped tables, never used to fit them):", "",
                "| case | GPUs | reported tokens/GPU/s | estimated | error | confidence | what the inputs could not express |",
                "|---|---|---:|---:|---:|---|---|"]
        for r in checked:
            c = notes[r["id"]]
            conf = c["confidence"] + (f" ({c['reported_note']})" if c.get("reported_note") else "")
            out.append(f"| {r['id']} | {c['gpus']} × {c['gpu']} | {r['reported']:,.0f} | {r['in_sample']:,.0f} | "
                       f"{r['in_sample_error']:+.1%} | {conf} | {c['cannot_express']} |")
    kinds = ("tokens_per_gpu_second", CHECKED)
    srcs = sorted({notes[r['id']]['source'] for r in cv.rows if r['kind'] in kinds})
    out += ["", "Sources: " + "; ".join(srcs) + ". Cases: `estimator/data/validation/finetune_throughput.yaml`.", ""]
    return out


def benchmark_markdown(cv: CrossValidation, s: dict[str, Any]) -> list[str]:
    rows = [r for r in cv.rows if r["kind"] == "benchmark_mfu"]
    if not rows:
        return []
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(r["id"].split("-")[0] + ("-h100" if "h100" in r["id"] else "-a100"), []).append(r)
    out = ["## Steady-state throughput benchmarks (fitted on)", "",
           f"{len(rows)} benchmark configurations (Megatron-LM and llm-foundry tables; four Megatron sequence-parallel "
           "rows state no GPU count and are left out). Each is recomputed from its model size, GPU type and count, "
           "sequence length, precision and recomputation; the reported MFU is put on the rules' 6ND basis (attention "
           "FLOPs removed; Megatron 2021's full-recomputation figure × 0.75) and compared with the steady-state MFU.",
           "", f"- Median absolute error {s['benchmark_median_abs_error']:.1%}; held-out "
           f"{s['benchmark_held_out_median_abs_error']:.1%}.", "",
           "| source | configurations | median estimated / reported | held-out |", "|---|---:|---:|---:|"]
    for g, rs in sorted(groups.items()):
        out.append(f"| {g} | {len(rs)} | {statistics.median(1 + r['in_sample_error'] for r in rs):.2f} | "
                   f"{statistics.median(1 + r['held_out_error'] for r in rs):.2f} |")
    out += ["", "| benchmark | reported MFU (6ND basis) | estimated | ratio | held-out ratio |", "|---|---:|---:|---:|---:|"]
    out += [f"| {r['id']} | {r['reported']:.3f} | {r['in_sample']:.3f} | {1 + r['in_sample_error']:.2f} | "
            f"{1 + r['held_out_error']:.2f} |" for r in rows]
    return [*out, ""]
