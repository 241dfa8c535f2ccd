"""The calibration holds: a change that breaks it fails here (bounds from issue 5)."""

import pytest

from estimator.plan.validation import run_validation, to_markdown


@pytest.fixture(scope="module")
def validation():
    return run_validation(samples=1000)


def test_gpu_hours_median_error_at_most_15_percent(validation):
    _, summary = validation
    assert summary["gpu_hours_cases"] >= 20
    assert summary["gpu_hours_median_abs_error"] <= 0.15


def test_every_end_to_end_case_within_factor_1_5(validation):
    results, summary = validation
    assert summary["gpu_hours_max_factor"] <= 1.5, [(r.id, r.error) for r in results if r.kind == "gpu_hours"]


def test_memory_cases_within_20_percent_and_bounds_hold(validation):
    results, summary = validation
    assert summary["memory_max_abs_error"] <= 0.20
    assert summary["bound_and_oom_cases_passed"] == summary["bound_and_oom_cases"] >= 3


def test_p10_p90_coverage_is_roughly_80_percent(validation):
    _, summary = validation
    assert 0.65 <= summary["p10_p90_coverage"] <= 0.95


def test_committed_report_is_current(validation):
    """docs/validation.md is generated; regenerate it with `estimator validate --output docs/validation.md`."""
    from pathlib import Path

    committed = (Path(__file__).resolve().parent.parent / "docs" / "validation.md").read_text(encoding="utf-8")
    results, summary = run_validation(samples=2000)
    assert committed == to_markdown(results, summary)


def test_every_benchmark_with_a_gpu_count_is_recomputed(validation):
    """Issue 5: the steady-state benchmark tables are recomputed too (reported, not scored)."""
    _, summary = validation
    rows = summary["benchmarks"]
    assert len(rows) == 49
    assert all(0 < r["estimated"] < 1 and 0 < r["reported_6nd"] < 1 for r in rows)
