"""The stakeholder HTML report and the sensitivity data behind its tornado chart."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio
import pytest
from hypothesis import given
from hypothesis import strategies as st

import estimator
import estimator.atomic as atomic
from estimator.catalog.loader import load_catalog
from estimator.planning.comparison import compare
from estimator.planning.sensitivity import sensitivity
from estimator.present.report import html as report_html
from estimator.present.report import render_report, write_report
from estimator.present.report.facts import pareto_front, ratio_text, time_text
from estimator.present.report.sources import is_stale
from estimator.units import usd
from tests.report_helpers import section

EVIL = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def comparison():
    return compare(model="llama-3.1-8b", tokens="20M")


@pytest.fixture(scope="module")
def page(comparison) -> str:
    return render_report(comparison, plotlyjs="cdn")


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
    # the headline ratio card: scratch at the published 15T tokens (what rebuilding the model costs) vs the
    # cheapest route, dollars and days
    r = next(x for x in head["ratios"] if x["scratch"] == "Pretrain from scratch (as published: 15T tokens)"
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
    assert "cdn.plot.ly/plotly" not in text
    # issue 11: the default report was 4.9 MB, plotly.js (4.8 MB) verbatim; packed (gzip + base64) it is 2.0 MB
    assert 1_500_000 < inline.stat().st_size < 2_500_000
    assert text.count('<script type="application/json" class="plotly-figure"') >= 5
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
    from estimator.present.report.sources import assumption_rows

    cat = load_catalog()
    rows = assumption_rows(comparison)
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
    # MFU: the P10-P90 range of the matched mfu_base rule (Hopper: the held-out spread, assumptions.yaml)
    hopper = next(r for r in cat.assumption("mfu_base").rules if r.when.get("gpu_generation") == "hopper")
    assert (by["mfu"].low_input, by["mfu"].high_input) == tuple(hopper.range)
    prices = [r.usd_per_gpu_hour for r in cat.prices_for("h100-sxm", "on_demand")]
    assert (by["price"].low_input, by["price"].high_input) == (min(prices), max(prices))
    assert (by["tokens"].low_input, by["tokens"].high_input) == (15e6, 25e6)
    assert (by["epochs"].low_input, by["epochs"].high_input) == (2, 4)
    # cost is linear in price, tokens and epochs at a fixed GPU count; slower GPUs cost more
    base = s.base_cost_usd
    assert by["price"].cost_at_high == pytest.approx(base * max(prices) / lora.values["price_usd_per_gpu_hour"])
    # cost = start-up + a part linear in tokens × epochs: ±25% tokens move it symmetrically
    assert by["tokens"].cost_at_low < base < by["tokens"].cost_at_high
    assert base - by["tokens"].cost_at_low == pytest.approx(by["tokens"].cost_at_high - base)
    startup = lora.gpus * lora.values["startup_hours"] * lora.values["price_usd_per_gpu_hour"]
    assert by["epochs"].cost_at_high == pytest.approx(startup + (base - startup) * 4 / 3)
    assert by["mfu"].cost_at_low > base > by["mfu"].cost_at_high
    assert s.swings[0].factor == "price"  # widest first


def test_sensitivity_of_the_hosted_api_varies_only_tokens_and_epochs(comparison):
    # the last per-token hosted route (hour-billed routes have no training cost without --set training_hours)
    api = [e for e in comparison.estimates if e.method == "api" and e.cost_usd == e.cost_usd][-1]
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
        assert len(f.read_text(encoding="utf-8").splitlines()) < 300, f


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
    base = lora.cost_usd  # start-up + a part linear in tokens: ±25% tokens move it symmetrically
    assert w.cost_at_low < base < w.cost_at_high
    assert base - w.cost_at_low == pytest.approx(w.cost_at_high - base)


# ---- the report reads the result it renders ----------------------------------------------
USER_PRICE = (
    "gpu_prices:\n"
    "  - {provider: lambda, gpu: h100-sxm, tier: on_demand, usd_per_gpu_hour: 9.99,\n"
    "     source: 'our negotiated quote, 2020', as_of: 2020-01}\n")


def test_a_user_catalog_price_reaches_the_sources_and_the_sensitivity_chart(tmp_path):
    """--catalog: the report shows the user's $9.99/GPU-h (dated 2020-01, so flagged stale), not the bundled
    lambda price ($2.99, skypilot-catalog v7 lambda/vms.csv), in the sources table and the tornado."""
    user = tmp_path / "prices.yaml"
    user.write_text(USER_PRICE, encoding="utf-8")
    c = compare(model="llama-3.1-8b", tokens="20M", provider="lambda", catalog=[str(user)])
    lora = next(e for e in c.estimates if e.method == "lora")
    assert lora.values["price_usd_per_gpu_hour"] == 9.99
    page = render_report(c, plotlyjs="cdn")
    sources = section(page, "assumptions")
    assert "our negotiated quote, 2020" in sources and "$9.99 / GPU-hour" in sources
    assert "$2.99 / GPU-hour" not in sources
    row = re.search(r"<tr><td>price_usd_per_gpu_hour \[lambda\]</td>.*?</tr>", sources, re.S).group(0)
    assert "2020-01" in row and "over 12 months old" in row
    # the tornado re-estimates with the same catalog: LoRA's tokens swing (±25%) costs what the estimate at $9.99
    # costs with 0.75× and 1.25× the tokens (with the bundled catalog those would be the costs at $2.99)
    charts = section(page, "charts")
    lora_chart = next(chunk for chunk in charts.split("Plotly.newPlot(") if "\\u003eLoRA: " in chunk)
    assert f"LoRA: {usd(lora.cost_usd)}" in charts
    from estimator.present.report.axes import money

    for factor in (0.75, 1.25):
        at_9_99 = estimator.estimate("lora", "llama-3.1-8b", 20e6 * factor, gpu="h100-sxm", provider="lambda",
                                     catalog=[str(user)])
        assert money(at_9_99.cost_usd) in lora_chart
        bundled = estimator.estimate("lora", "llama-3.1-8b", 20e6 * factor, gpu="h100-sxm", provider="lambda")
        assert money(bundled.cost_usd) not in lora_chart


def test_dates_come_from_the_catalog_entries_the_engine_read():
    """Each row's as-of is the as_of of the entry or assumption table it came from (the steps' origins)."""
    from estimator.present.report.sources import assumption_rows

    c = compare(model="llama-3.1-8b", tokens="20M")
    cat = load_catalog()
    rows = {r["quantity"]: r for r in assumption_rows(c)}
    assert rows["gpu_memory_gb"]["as_of"] == cat.hardware["h100-sxm"].as_of
    assert rows["layers"]["as_of"] == cat.models["llama-3.1-8b"].as_of
    assert rows["mfu_base"]["as_of"] == (cat.assumptions["mfu_base"].as_of or "")
    assert rows["electricity_usd_per_kwh"]["as_of"] == cat.energy_region(None).as_of
    prices = [r for r in assumption_rows(c) if r["quantity"] == "training_usd_per_1m_tokens"]
    assert prices and {r["as_of"] for r in prices} <= {a.as_of for a in cat.apis.values()}


def test_utilisation_sentence_names_the_route_of_each_figure():
    """Two pretraining runs at different MFU are named by scenario, not both called 'pretraining'."""
    from estimator.present.report.facts import mfu_routes

    found = [(0.29, "pretrain", "Scratch on 512 GPUs"), (0.48, "pretrain", "Scratch on 8 GPUs"),
             (0.30, "lora", "LoRA"), (0.30, "qlora", "QLoRA")]
    assert mfu_routes(found) == "29% for Scratch on 512 GPUs; 48% for Scratch on 8 GPUs; 30% for LoRA, QLoRA"
    assert mfu_routes([(0.35, "pretrain", "a"), (0.35, "pretrain", "b")]) == "35% for pretraining"


# ---- axes and labels ---------------------------------------------------------------------
def test_money_ticks_use_dollars_and_suffixes_never_micro_or_exponents():
    from estimator.present.report.axes import money, money_axis, time_axis

    log = money_axis([0.0027, 21_400], log=True)
    assert log["ticktext"] == ["$0.001", "$0.01", "$0.1", "$1", "$10", "$100", "$1k", "$10k", "$100k"]
    assert money_axis([0.0047, 0.04], log=False)["ticktext"] == ["$0", "$0.01", "$0.02", "$0.03", "$0.04"]
    assert money_axis([1.2e6, 2.5e6], log=False, lo=0, hi=2.5e6)["ticktext"][-2:] == ["$2.0M", "$2.5M"]
    assert money(4.9e-05) == "$0.000049" and money(21_400) == usd(21_400)
    assert time_axis([1e-4, 28.7], log=True, axis_range=[-5, 1.6])["ticktext"] == ["1 s", "1 min", "1 h", "1 day", "1 month"]
    assert time_axis([0.5, 3], log=False)["ticktext"] == ["0 days", "1 day", "2 days", "3 days"]


def test_every_axis_of_the_default_report_reads_in_dollars_or_time_units(page):
    ticks = re.findall(r'"ticktext":\[(.*?)\]', section(page, "charts"))
    assert len(ticks) >= 6
    labels = [t for group in ticks for t in json.loads(f"[{group}]")]
    for t in labels:
        assert re.fullmatch(r"-?\$[\d,]+(\.\d+)?[kMB]?|[\d.,]+ (s|min|h|day|days|week|month|months|year|years)", t), t
    assert not any("µ" in t or "e-" in t for t in labels)


@given(st.lists(st.floats(0, 400), min_size=1, max_size=12))
def test_stacked_labels_are_a_gap_apart_and_inside_the_plot(wanted):
    from estimator.present.report.charts import stack_labels

    placed = stack_labels(wanted, top=90, bottom=420, gap=17)
    ordered = sorted(placed)
    assert all(b - a >= 17 - 1e-9 for a, b in zip(ordered, ordered[1:]))
    assert 90 - 1e-9 <= ordered[0] and ordered[-1] <= 420 + 1e-9


# ---- templates and packaging -------------------------------------------------------------
def test_templates_are_package_data_and_the_layout_includes_each_section():
    import tomllib

    root = Path(report_html.__file__).parent / "templates"
    conf = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text(encoding="utf-8"))
    assert "jinja2>=3.1" in conf["project"]["dependencies"]
    globs = conf["tool"]["setuptools"]["package-data"]["estimator.present.report"]
    shipped = {p.name for g in globs for p in root.parent.glob(g)}
    assert shipped == {p.name for p in root.iterdir() if p.is_file()}
    layout = (root / "report.html.j2").read_text(encoding="utf-8")
    for part in ("summary", "scenarios", "charts", "sources", "method"):
        assert f'{{% include "{part}.html.j2" %}}' in layout


def test_autoescape_is_on_and_no_hand_escaping_is_left():
    env = report_html.environment()
    assert env.from_string("{{ x }}").render(x=EVIL) == "&lt;script&gt;alert(1)&lt;/script&gt;"
    for f in Path(report_html.__file__).parent.glob("*.py"):
        assert "html.escape" not in f.read_text(encoding="utf-8"), f


def test_inline_mode_embeds_plotly_js_exactly_once(comparison, tmp_path):
    """plotly.js is in the file once, gzip-compressed and base64-encoded, and unpacks to plotly's own bundle."""
    import base64
    import gzip

    from plotly.offline import get_plotlyjs

    text = write_report(comparison, tmp_path / "inline.html").read_text(encoding="utf-8")
    packed = re.findall(r'<script id="plotly-js-gzip" type="application/octet-stream">(.*?)</script>', text, re.S)
    assert len(packed) == 1
    assert gzip.decompress(base64.b64decode(packed[0])).decode("utf-8") == get_plotlyjs()
    assert get_plotlyjs()[:200] not in text
    assert len(text.encode()) - len(packed[0]) < 400_000  # everything but plotly.js
    assert text.count("DecompressionStream('gzip')") == 1  # one loader draws every chart


def test_price_sentence_says_how_the_price_was_chosen(comparison):
    """Median of the listed prices, a named provider's row, or the user's override (never mislabelled)."""
    from estimator.present.report.facts import key_assumptions

    first = key_assumptions(comparison)[0]
    assert first.startswith("GPU rental: $3.45 per h100-sxm GPU-hour, the median of ")
    lam = key_assumptions(compare(model="llama-3.1-8b", tokens="20M", provider="lambda"))[0]
    assert lam == ("GPU rental: $2.99 per h100-sxm GPU-hour (lambda on-demand); electricity is included in "
                   "that price.")  # lambda.ai/pricing via skypilot-catalog v7, pricing/gpu_prices.yaml
    mine = key_assumptions(compare(model="llama-3.1-8b", tokens="20M", overrides={"price_usd_per_gpu_hour": 5}))[0]
    assert "$5.00 per h100-sxm GPU-hour (set by the user)" in mine


def test_report_has_the_training_and_serving_section_the_cli_prints():
    """Issue 11: the report shows training + serving over the horizon per route, the same rows as the CLI."""
    from estimator.present.tables import serving_rows

    c = compare(model="llama-3.1-8b", tokens="20M", uncertainty=False, requests_per_day="10k")
    page = render_report(c, plotlyjs="cdn")
    part = section(page, "serving")
    assert "10,000 requests/day" in part and ">nan<" not in part
    rows = serving_rows(c.to_frame(), 12)
    assert len(rows) >= 8
    for row in rows:
        assert f"<td>{row['TCO']}</td>" in part
