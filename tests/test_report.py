"""The stakeholder HTML report and the sensitivity data behind its tornado chart."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio
import pytest

import estimator
import estimator.atomic as atomic
from estimator.catalog.loader import load_catalog
from estimator.plan.comparison import compare
from estimator.plan.sensitivity import sensitivity
from estimator.present.report import html as report_html
from estimator.present.report import render_report, write_report
from estimator.present.report.facts import is_stale, pareto_front, ratio_text, time_text
from estimator.units import usd

EVIL = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def comparison():
    return compare(model="llama-3.1-8b", tokens="20M")


@pytest.fixture(scope="module")
def page(comparison) -> str:
    return render_report(comparison, plotlyjs="cdn")


def section(text: str, name: str) -> str:
    m = re.search(rf'<section id="{name}">(.*?)</section>', text, re.S)
    assert m, f"no section {name}"
    return m.group(1)


def test_write_report_creates_folder_and_leaves_no_temp_file(comparison, tmp_path):
    target = tmp_path / "new" / "deeper" / "comparison.html"
    path = write_report(comparison, target)
    assert path == target and path.is_file()
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in target.parent.iterdir()) == ["comparison.html"]


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_failure_mid_write_keeps_the_previous_report(comparison, tmp_path, monkeypatch, failing):
    target = tmp_path / "comparison.html"
    target.write_text("previous report", encoding="utf-8")

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(atomic.os, failing, boom)
    with pytest.raises(OSError, match="disk full"):
        write_report(comparison, target, plotlyjs="cdn")
    assert target.read_text(encoding="utf-8") == "previous report"
    assert [p.name for p in tmp_path.iterdir()] == ["comparison.html"]


def test_report_has_every_section_and_chart(page):
    for name in ("summary", "scenarios", "charts", "assumptions", "method"):
        assert f'<section id="{name}">' in page
    for div in ("chart-cost", "chart-time-cost", "chart-breakdown", "chart-memory", "chart-sensitivity"):
        assert f'id="{div}"' in page
    assert 'id="chart-tokens"' not in page  # no dataset profile: no histogram
    assert "Key assumptions" in section(page, "summary")
    assert "over 12 months old" in section(page, "assumptions")
    assert "GPU-hours × price per GPU-hour" in section(page, "method")


def test_summary_numbers_equal_the_comparison(comparison, page):
    head = comparison.headline()
    summary = section(page, "summary")
    cheapest, fastest = head["cheapest"], head["fastest_on_gpus"]
    assert f'data-value="{cheapest["cost_usd"]!r}">{usd(cheapest["cost_usd"])}<' in summary
    assert f'<b>{cheapest["name"]}</b> · takes {time_text(cheapest["wall_clock_days"])}' in summary
    assert f'data-value="{fastest["wall_clock_days"]!r}">{time_text(fastest["wall_clock_days"])}<' in summary
    assert f'<b>{fastest["name"]}</b> · costs {usd(fastest["cost_usd"])}' in summary
    # the headline ratio card: compute-optimal scratch vs the cheapest route, dollars and days
    r = next(x for x in head["ratios"] if x["scratch"] == "Pretrain from scratch (compute-optimal)"
             and x["fine_tuning"] == cheapest["name"])
    assert f'{ratio_text(r["cost_ratio"])} the cost' in summary
    assert f'<b>{ratio_text(r["days_ratio"])}</b> as long' in summary
    # every fine-tuning route's cost in the ratio table, as the CLI formats it
    for s, e in zip(comparison.scenarios, comparison.estimates):
        if e.method != "pretrain":
            assert f"<td>{s.name}</td><td>{usd(e.cost_usd)}</td>" in summary
    # the non-viable scratch run (far below compute-optimal tokens) is left out of the routes, with a note
    assert not any(s.name == "Pretrain from scratch (dataset tokens)" for s in comparison.scenarios)
    assert any(n.startswith("Pretrain from scratch (dataset tokens): left out") for n in comparison.notes)


def test_scenario_table_has_the_frame_rows(comparison, page):
    table = section(page, "scenarios")
    frame = comparison.to_frame()
    assert table.count("<tr>") == len(frame) + 1
    for col in frame.columns:
        assert f"<th>{col}</th>" in table
    assert usd(frame["cost_usd"].iloc[0]) in table


def test_script_in_a_scenario_name_renders_as_text(tmp_path):
    spec = tmp_path / "scenarios.yaml"
    spec.write_text(
        "defaults: {method: lora, model: llama-3.1-8b, tokens: 20M}\n"
        "scenarios:\n"
        f"  - {{name: \"{EVIL}\", gpu: h100-sxm, provider: lambda}}\n"
        "  - {name: \"QLoRA & friends\", method: qlora, gpu: a100-80gb}\n", encoding="utf-8")
    c = compare(scenarios=spec)
    assert c.scenarios[0].name == EVIL
    text = write_report(c, tmp_path / "evil.html", plotlyjs="cdn").read_text(encoding="utf-8")
    assert EVIL not in text
    assert "alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in section(text, "summary")
    assert "QLoRA &amp; friends" in section(text, "scenarios")
    # structural <script> tags only: the plotly loader, and one per chart
    assert text.count("<script") == text.count("</script>")


def test_plotly_json_escapes_closing_script_tags():
    """The report relies on plotly's JSON encoder never emitting a literal '</' inside <script>."""
    fig = go.Figure(go.Bar(x=[1], y=[f"</script>{EVIL}"], name=EVIL))
    out = pio.to_html(fig, full_html=False, include_plotlyjs=False)
    assert EVIL not in out and "</script><script>" not in out
    assert out.count("</script>") == 1  # plotly's own closing tag


def test_cdn_mode_is_small_and_inline_mode_embeds_plotly(comparison, tmp_path):
    cdn = write_report(comparison, tmp_path / "cdn.html", plotlyjs="cdn")
    inline = write_report(comparison, tmp_path / "inline.html")
    assert cdn.stat().st_size < 400_000
    assert "cdn.plot.ly" in cdn.read_text(encoding="utf-8")
    text = inline.read_text(encoding="utf-8")
    assert inline.stat().st_size > 3_000_000 and "cdn.plot.ly/plotly" not in text
    assert text.count("Plotly.newPlot") >= 5
    with pytest.raises(ValueError, match="plotlyjs"):
        render_report(comparison, plotlyjs="local")


def test_histogram_appears_with_a_profile_and_marks_the_limit(tmp_path):
    from estimator.tokens import count_tokens

    data = tmp_path / "chat.jsonl"
    data.write_text("\n".join(json.dumps({"messages": [{"role": "user", "content": "hi " * (10 + 40 * i)}]})
                              for i in range(20)) + "\n", encoding="utf-8")
    profile = count_tokens(data, example_cap=300, seq_len=512, workers=1)
    c = compare(model="llama-3.1-8b", tokens=profile.to_dict()["total_tokens"])
    c.profile = profile
    text = render_report(c, plotlyjs="cdn")
    assert 'id="chart-tokens"' in text
    assert "per-example limit (billed up to): 300 tokens" in text
    assert "training sequence length (longer examples truncated): 512 tokens" in text


def test_cost_axis_is_log_only_when_costs_span_more_than_100x(page, tmp_path):
    assert re.search(r'"xaxis":\{[^}]*"type":"log"', section(page, "charts"))
    spec = tmp_path / "s.yaml"
    spec.write_text("defaults: {model: llama-3.1-8b, tokens: 20M, gpu: h100-sxm}\n"
                    "scenarios: [{name: a, method: lora}, {name: b, method: qlora}]\n", encoding="utf-8")
    close = render_report(compare(scenarios=spec), plotlyjs="cdn")
    chart = close.split('id="chart-cost"')[1].split('id="chart-time-cost"')[0]
    assert '"type":"log"' not in chart and '"type":"linear"' in chart


def test_grid_points_feed_the_pareto_chart(tmp_path):
    spec = tmp_path / "grid.yaml"
    spec.write_text("defaults: {method: lora, model: llama-3.1-8b, tokens: 20M}\n"
                    "grid: {gpu: [a100-80gb, h100-sxm], provider: [lambda, runpod], gpus: [1, 2, 4]}\n",
                    encoding="utf-8")
    c = compare(scenarios=spec)
    text = render_report(c, plotlyjs="cdn")
    assert f"{len(c.grid)} grid points" in text


def test_pareto_front_keeps_points_nothing_beats_on_both():
    points = [(1.0, 10.0), (2.0, 5.0), (3.0, 6.0), (0.5, 20.0), (2.0, 4.0)]
    assert pareto_front(points) == [3, 0, 4]


def test_stale_means_older_than_twelve_months():
    import datetime as dt

    today = dt.date(2026, 11, 25)
    assert is_stale("2025-05", today) and is_stale("2024-12-06", today)
    assert not is_stale("2026-01", today) and not is_stale(None, today)


def test_assumption_rows_list_each_provider_price_with_its_date(comparison):
    from estimator.present.report.facts import assumption_rows

    cat = load_catalog()
    rows = assumption_rows(comparison, cat)
    used = cat.price_rows("h100-sxm", None, "on_demand")[1]
    priced = [r for r in rows if r["quantity"].startswith("price_usd_per_gpu_hour [")]
    assert len(priced) == len(used)
    for r, p in zip(priced, used):
        assert r["as_of"] == p.as_of and r["stale"] == is_stale(p.as_of)
    kinds = Counter(r["kind"] for r in rows)
    assert kinds["assumption"] > 5 and kinds["catalog"] > 5


# ---- sensitivity -------------------------------------------------------------------------
def test_sensitivity_ranges_follow_the_stated_rules(comparison):
    cat = load_catalog()
    lora = next(e for e in comparison.estimates if e.method == "lora")
    s = sensitivity(lora, cat)
    by = {w.factor: w for w in s.swings}
    assert set(by) == {"mfu", "price", "tokens", "epochs"}
    # MFU: the P10-P90 range of the matched mfu_base rule (fine-tuning on one node: 0.15-0.45, assumptions.yaml)
    assert (by["mfu"].low_input, by["mfu"].high_input) == (0.15, 0.45)
    prices = [r.usd_per_gpu_hour for r in cat.prices_for("h100-sxm", "on_demand")]
    assert (by["price"].low_input, by["price"].high_input) == (min(prices), max(prices))
    assert (by["tokens"].low_input, by["tokens"].high_input) == (15e6, 25e6)
    assert (by["epochs"].low_input, by["epochs"].high_input) == (2, 4)
    # cost is linear in price, tokens and epochs at a fixed GPU count; slower GPUs cost more
    base = s.base_cost_usd
    assert by["price"].cost_at_high == pytest.approx(base * max(prices) / lora.values["price_usd_per_gpu_hour"])
    assert by["tokens"].cost_at_low == pytest.approx(base * 0.75)
    assert by["epochs"].cost_at_high == pytest.approx(base * 4 / 3)
    assert by["mfu"].cost_at_low > base > by["mfu"].cost_at_high
    assert s.swings[0].factor == "price"  # widest first


def test_sensitivity_of_the_hosted_api_varies_only_tokens_and_epochs(comparison):
    api = comparison.estimates[-1]
    s = sensitivity(api)
    assert {w.factor for w in s.swings} == {"tokens", "epochs"}
    assert len(s.skipped) == 2
    by = {w.factor: w for w in s.swings}
    assert by["epochs"].cost_at_high == pytest.approx(api.cost_usd * 4 / 3)


def test_sensitivity_epochs_never_go_below_one(comparison):
    scratch = comparison.estimates[0]
    by = {w.factor: w for w in sensitivity(scratch).swings}
    assert (by["epochs"].low_input, by["epochs"].high_input) == (1.0, 2.0)
    assert "cannot go below one epoch" in by["epochs"].range_note


def test_sensitivity_falls_back_to_25_percent_without_a_published_range(tmp_path):
    mine = tmp_path / "mine.yaml"
    mine.write_text("assumptions:\n  mfu_base:\n    unit: fraction\n    description: one value, no range\n"
                    "    rules:\n      - value: 0.4\n        source: a user's own measurement\n", encoding="utf-8")
    e = estimator.estimate("lora", "llama-3.1-8b", "20M", gpu="h100-sxm", catalog=[str(mine)])
    w = next(w for w in sensitivity(e).swings if w.factor == "mfu")
    assert (w.low_input, w.high_input) == pytest.approx((0.40 * 0.75, 0.40 * 1.25))


def test_user_overrides_are_not_varied(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text("defaults: {model: llama-3.1-8b, tokens: 20M, gpu: h100-sxm}\n"
                    "scenarios: [{name: a, method: lora, mfu: 0.5}]\n", encoding="utf-8")
    e = compare(scenarios=spec).estimates[0]
    s = sensitivity(e)
    assert "mfu" not in {w.factor for w in s.swings}
    assert any(x.startswith("mfu: set by the scenario") for x in s.skipped)


def test_report_module_sizes_stay_small():
    root = Path(report_html.__file__).parent
    for f in root.glob("*.py"):
        assert len(f.read_text(encoding="utf-8").splitlines()) < 320, f


def test_dataset_comparison_gets_a_histogram_and_a_tokens_swing(tmp_path):
    data = tmp_path / "chat.jsonl"
    data.write_text("\n".join(json.dumps({"messages": [{"role": "user", "content": "word " * (20 + 30 * i)}]})
                              for i in range(30)) + "\n", encoding="utf-8")
    c = compare(model="llama-3.1-8b", dataset=[str(data)])
    assert c.profile is not None
    assert 'id="chart-tokens"' in render_report(c, plotlyjs="cdn")
    lora = next(e for e in c.estimates if e.method == "lora")
    w = next(w for w in sensitivity(lora).swings if w.factor == "tokens")
    assert w.error is None
    assert w.cost_at_low == pytest.approx(0.75 * lora.cost_usd) and w.cost_at_high == pytest.approx(1.25 * lora.cost_usd)
