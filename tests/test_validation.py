"""The calibration holds: a change that breaks it fails here (bounds from issues 5 and 10)."""

import pytest

from estimator.planning.calibration import PARAMS, cross_validate, observations, suggested_tables
from estimator.planning.validation import run_validation, to_markdown


@pytest.fixture(scope="module")
def validation():
    return run_validation(samples=1000)


def test_pretraining_held_out_median_beats_a_constant_utilisation(validation):
    """Issue 10's target: leave-one-family-out median ≤ 15% (a constant 0.30 MFU typed in gives 24% on the team's
    held-out runs), and below the constant baseline on the same runs."""
    _, s = validation
    assert s["gpu_hours_cases"] >= 39 and s["pretraining_families"] >= 18
    assert s["pretraining_held_out_median_abs_error"] <= 0.15
    assert s["pretraining_held_out_median_abs_error"] < s["pretraining_constant_mfu_median_abs_error"]
    assert s["gpu_hours_median_abs_error"] <= 0.15


def test_finetune_throughput_median_beats_llm_analysis(validation):
    """Issue 10: fine-tuning throughput median error under llm-analysis's 26%, in-sample and held-out."""
    _, s = validation
    assert s["finetune_throughput_cases"] >= 31  # torchtune, NeMo, Megatron-Bridge, NeMo AutoModel, dgxc-benchmarking
    assert s["finetune_throughput_median_abs_error"] <= 0.15  # issue 10's target
    assert s["finetune_throughput_held_out_median_abs_error"] < 0.26
    # issue 10: the worst case within 1.5x either way (an error of -33% is a factor 1.5)
    assert 1 / 1.5 <= 1 - s["finetune_throughput_worst_abs_error"] and s["finetune_throughput_worst_abs_error"] <= 0.5


def test_held_out_coverage_is_reported_and_not_vacuous(validation):
    """P10-P90 from held-out residuals: issue 10's target is 70-90% of runs inside the cross-validated range.
    In-sample the same (held-out-wide) ranges cover at least as many runs; below half would mean they are wrong."""
    _, s = validation
    assert 0.70 <= s["pretraining_held_out_p10_p90_coverage"] <= 0.90
    assert 0.5 <= s["finetune_throughput_held_out_p10_p90_coverage"] <= 1.0
    assert s["pretraining_held_out_p10_p90_coverage"] <= s["p10_p90_coverage"] <= 1.0
    low, high = s["cv_spread_p10_p90"]
    assert low < 1 < high


def test_every_end_to_end_case_within_factor_2(validation):
    results, summary = validation
    assert summary["gpu_hours_max_factor"] <= 2.0, [(r.id, r.error) for r in results if r.kind == "gpu_hours"]


def test_memory_cases_within_20_percent_and_bounds_hold(validation):
    results, summary = validation
    assert summary["memory_max_abs_error"] <= 0.20
    assert summary["bound_and_oom_cases_passed"] == summary["bound_and_oom_cases"] >= 3


def test_shipped_tables_are_the_fit():
    """The values in assumptions.yaml are what `python -m estimator.planning.calibration` fits (within 2%), so the
    tables cannot drift from the data without this failing."""
    fitted = suggested_tables(cross_validate(observations()))
    obs = {o.id: o for o in observations()}
    current = dict(zip(PARAMS, obs["llama2-7b"].theta))
    import math

    assert fitted["mfu_base:ampere"] == pytest.approx(math.exp(current["mfu_base"]), rel=0.02)
    for key in ("size_exponent", "scale_exponent"):
        assert fitted[key] == pytest.approx(current[key], rel=0.02, abs=1e-3)
    lora = next(o for o in obs.values() if o.id == "tt32-3b-lora-a100")
    assert fitted["method_efficiency:lora"] == pytest.approx(math.exp(dict(zip(PARAMS, lora.theta))
                                                                      ["method_efficiency:lora"]), rel=0.02)


def test_every_benchmark_with_a_gpu_count_is_fitted_and_scored(validation):
    """Issue 5/10: the 49 steady-state benchmark configurations are recomputed and compared with the
    steady-state MFU (now part of the fit)."""
    _, s = validation
    rows = [r for r in s["_cross_validation"].rows if r["kind"] == "benchmark_mfu"]
    assert len(rows) == 49 == s["benchmark_cases"]
    assert all(0 < r["in_sample"] < 1 and 0 < r["reported"] < 1 for r in rows)
    assert s["benchmark_median_abs_error"] < 0.2


def test_committed_report_is_current(validation):
    """docs/validation.md is generated; regenerate it with `estimator validate --output docs/validation.md`."""
    from pathlib import Path

    committed = (Path(__file__).resolve().parent.parent / "docs" / "validation.md").read_text(encoding="utf-8")
    results, summary = run_validation(samples=2000)
    assert committed == to_markdown(results, summary)


def test_validate_table_has_no_line_longer_than_a_screen_of_text():
    """Issue 9: the table output ended in a 20,603-character Python repr line."""
    from click.testing import CliRunner

    from estimator.cli import cli

    r = CliRunner().invoke(cli, ["validate", "--samples", "200"])
    assert r.exit_code == 0, r.output
    assert max(len(line) for line in r.output.splitlines()) < 400
