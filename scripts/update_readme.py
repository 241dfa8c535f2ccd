"""Regenerate the output shown under every ```console block of README.md from the real command, and the
"How accurate" paragraph from `estimator validate`'s summary, so no figure in the README goes stale.
Run: python scripts/update_readme.py (tests/test_readme.py checks the README is current)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from click.testing import CliRunner

from estimator.cli import cli

README = Path(__file__).resolve().parent.parent / "README.md"


def refresh(match: re.Match) -> str:
    command, old = match.group(1), match.group(2)
    out = CliRunner().invoke(cli, shlex.split(command)[1:]).output
    lines = old.rstrip("\n").splitlines()
    if lines and lines[-1] == "...":  # the README shows only the first lines
        out = "\n".join(out.splitlines()[: len(lines) - 1]) + "\n...\n"
    return f"```console\n$ {command}\n{out}```"


ACCURACY = re.compile(r"(<!-- accuracy: [^\n]*-->\n)(.*?)(<!-- accuracy:end -->)", re.S)


def accuracy(summary: dict) -> str:
    """The README's accuracy paragraph, every figure from the validation summary (held-out figures first)."""
    pct = lambda x: f"{100 * x:.1f}%"  # noqa: E731
    mem = summary["finetune_memory"]
    rows = summary["_cross_validation"].rows
    families = ", ".join(dict.fromkeys(r["family"] for r in rows if r["kind"] == "gpu_hours"))
    return (
        f"**How accurate.** `estimator validate` recomputes {summary['gpu_hours_cases']} published pretraining runs "
        f"from {summary['pretraining_families']} model families ({families}) from their inputs only (model, tokens, GPU type and count, stated settings; never their reported "
        "efficiency). Refitting the utilisation tables without a run's family and predicting it (leave-one-family-out, "
        "how far a new family can land), the median absolute error of GPU-hours is "
        f"**{pct(summary['pretraining_held_out_median_abs_error'])}** (worst "
        f"{pct(summary['pretraining_held_out_worst_abs_error'])}), and the held-out P10-P90 range contains the "
        f"reported figure in {pct(summary['pretraining_held_out_p10_p90_coverage'])} of runs; a constant 0.30 MFU "
        f"gives {pct(summary['pretraining_constant_mfu_median_abs_error'])}. With the shipped tables (in-sample) the "
        f"median is {pct(summary['pretraining_in_sample_median_abs_error'])}, the worst "
        f"{pct(summary['gpu_hours_worst_abs_error'])} ({summary['gpu_hours_worst_case']}), every run within a factor "
        f"of {summary['gpu_hours_max_factor']:.2f}. Fine-tuning: steady-state throughput of "
        f"{summary['finetune_throughput_cases']} measured runs within "
        f"{pct(summary['finetune_throughput_median_abs_error'])} median "
        f"({pct(summary['finetune_throughput_held_out_median_abs_error'])} held out; worst "
        f"{pct(summary['finetune_throughput_worst_abs_error'])}), peak memory per GPU of {mem['cases']} measured runs "
        f"within {pct(mem['median_abs_error'])} median (worst {pct(mem['worst_abs_error'])}), and no measured run is "
        f"refused. Checked but not fitted: {', '.join(summary['finetune_throughput_checked'])}; listed but not scored: "
        f"{', '.join(summary['unscored_cases'])} (a short job whose padding and start-up the rules do not model). "
        f"{summary['benchmark_cases']} steady-state benchmarks (Megatron-LM, llm-foundry) are within "
        f"{pct(summary['benchmark_median_abs_error'])} median. What was fitted and what was only checked, every "
        "case and its source: `docs/validation.md`; `tests/test_validation.py` holds these bounds so a change that "
        "breaks calibration fails CI.\n"
    )


def main() -> None:
    from estimator.planning.validation import validate

    text = README.read_text(encoding="utf-8")
    text = re.sub(r"```console\n\$ (estimator [^\n]+)\n(.*?)```", refresh, text, flags=re.S)
    summary = validate()[1]
    text = ACCURACY.sub(lambda m: m.group(1) + accuracy(summary) + m.group(3), text)
    README.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
