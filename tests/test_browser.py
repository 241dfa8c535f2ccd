"""The HTML report in a real browser: Debian's Chromium, headless, network off.

Opens the generated report from file://, fails on any console error, page error or network
request, checks every chart div holds a plotly SVG with drawn traces, and saves a full-page
screenshot to reports/screenshot.png. At 1280 and 800 px wide: nothing overflows the page, the
key columns (scenario, cost, time) are in view without scrolling, the time-vs-cost labels do not
overlap; the plan, rent-vs-buy and serving charts keep their labels inside and apart and their legends below
the axis title, and the serving and break-even tables show every column. A scenario named <script>alert(1)</script> shows as text and runs nothing.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # headless Chromium loads a 2 MB page per test (~30 s in all); .ci/run runs it

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parent.parent
SCREENSHOT = REPO / "reports" / "screenshot.png"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--host-resolver-rules=MAP * ~NOTFOUND"]

if not CHROMIUM.exists():
    pytest.skip(f"SKIPPED browser test: {CHROMIUM} is missing (apt-get install -y chromium)", allow_module_level=True)

from playwright import sync_api  # noqa: E402 - the 'test' extra; drives the system Chromium, downloads no browser

CHART_STATE = """() => Array.from(document.querySelectorAll('.plotly-graph-div')).map(d => ({
    id: d.id,
    svg: d.querySelectorAll('svg.main-svg').length,
    traces: (d.data || []).length,
    drawn: d.querySelectorAll('svg.main-svg g.trace').length,
    marks: d.querySelectorAll('g.trace path, g.trace .point').length,
}))"""


def _dataset(path: Path) -> Path:
    """A tiny chat JSONL with short and long examples (so the histogram has several buckets)."""
    lines = []
    for i in range(60):
        words = " ".join(["token"] * (5 + (i * 37) % 700))
        lines.append(json.dumps({"messages": [{"role": "user", "content": f"question {i}"},
                                              {"role": "assistant", "content": words}]}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def main_job_report(tmp_path_factory) -> Path:
    """The README's main job (`estimator compare`: bundled example dataset), written to a temp folder."""
    from click.testing import CliRunner

    from estimator.cli import cli

    path = tmp_path_factory.mktemp("main") / "comparison.html"
    result = CliRunner().invoke(cli, ["compare", "--report", str(path)])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    from estimator.planning.comparison import compare
    from estimator.present.report import write_report
    from estimator.tokens import count_tokens

    tmp = tmp_path_factory.mktemp("browser")
    profile = count_tokens(_dataset(tmp / "chat.jsonl"), example_cap=512, seq_len=2048, workers=1)
    comparison = compare(model="llama-3.1-8b", tokens=profile.to_dict()["total_tokens"])
    if getattr(comparison, "profile", None) is None:
        comparison.profile = profile
    return write_report(comparison, tmp / "comparison.html")


LAYOUT = """() => {
    const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
    const table = document.querySelector('table.scenarios');
    const heads = Array.from(table.querySelectorAll('thead th')).map(th => th.textContent.trim());
    const first = table.querySelector('tbody tr');
    const key = ['name', 'cost_usd', 'wall_clock_days'].map(
        c => ({column: c, box: box(first.children[heads.indexOf(c)])}));
    const ratios = document.querySelector('table.ratios tbody tr');
    if (ratios) Array.from(ratios.children).slice(0, 3).forEach((td, i) => key.push({column: 'ratios ' + i, box: box(td)}));
    return {
        scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
        bodyScrollWidth: document.body.scrollWidth,
        tableBox: box(table.closest('.scroll')), key: key,
        labels: Array.from(document.querySelectorAll('#chart-time-cost .annotation-text')).map(
            t => ({text: t.textContent, box: box(t)})),
        chartBox: box(document.getElementById('chart-time-cost')),
        divs: Array.from(document.querySelectorAll('.plotly-graph-div')).map(
            d => ({id: d.id, svg: d.querySelectorAll('svg.main-svg').length, width: d.getBoundingClientRect().width})),
        decisions: ['chart-plan', 'chart-ownership', 'chart-serving'].map(id => {
            const d = document.getElementById(id);
            const legend = d.querySelector('g.legend');
            return {id: id, box: box(d), legend: legend ? box(legend) : null,
                    xtitle: box(d.querySelector('.g-xtitle text')),
                    labels: Array.from(d.querySelectorAll('.annotation-text')).map(t => ({text: t.textContent, box: box(t)}))};
        }),
        tables: ['#serving table', '#ownership table'].map(sel => {
            const t = document.querySelector(sel);
            const cells = Array.from(t.querySelector('tbody tr').children);
            return {table: sel, scroll: box(t.closest('.scroll')), cells: cells.map(box)};
        }),
    };
}"""


def open_in_chromium(report: Path, tmp_path: Path, screenshot: Path, width: int = 1280,
                     probe: str | None = None, narrower: tuple[int, ...] = ()) -> tuple[list, list, list, str] | tuple[list, list, list, str, dict]:
    """(errors, blocked requests, chart states, title[, probe's result]); saves a full-page screenshot.
    A dialog (alert) counts as an error. With `narrower` (one width), the probe runs at both widths
    and its result is {width: result}."""
    errors, requests = [], []
    measured = None
    with sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(CHROMIUM), headless=True, args=FLAGS, offline=True,
            viewport={"width": width, "height": 900})
        try:
            page = context.new_page()
            page.on("console", lambda m: errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
            page.on("dialog", lambda d: (errors.append(f"dialog: {d.message}"), d.dismiss()))

            def block(route):
                if not route.request.url.startswith("file://"):
                    requests.append(route.request.url)
                    route.abort()
                else:
                    route.continue_()

            page.route("**/*", block)
            page.goto(report.as_uri(), wait_until="load")
            page.wait_for_function("() => window.Plotly && document.querySelectorAll('.plotly-graph-div .main-svg')"
                                   ".length >= document.querySelectorAll('.plotly-graph-div').length", timeout=30000)
            page.wait_for_timeout(500)
            charts = page.evaluate(CHART_STATE)
            title = page.title()
            measured = page.evaluate(probe) if probe else None
            for other in narrower:  # the same page, resized: plotly redraws its responsive charts
                page.set_viewport_size({"width": other, "height": 900})
                page.wait_for_timeout(800)
                measured = {width: measured, other: page.evaluate(probe)}
            page.screenshot(path=str(tmp_path / "shot.png"), full_page=True)
        finally:
            context.close()
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(tmp_path / "shot.png", screenshot)
    return (errors, requests, charts, title) if probe is None else (errors, requests, charts, title, measured)


def test_report_renders_in_chromium_offline(report, tmp_path):
    errors, requests, charts, title = open_in_chromium(report, tmp_path, tmp_path / "custom.png")
    assert errors == []
    assert requests == [], "the report must not fetch anything"
    assert "Training cost" in title
    ids = {c["id"] for c in charts}
    tornadoes = {i for i in ids if i.startswith("chart-sensitivity-")}
    assert ids - tornadoes == {"chart-cost", "chart-time-cost", "chart-breakdown", "chart-memory", "chart-tokens",
                               "chart-serving", "chart-ownership", "chart-plan"}
    # one sensitivity chart per route: 4 GPU routes and the hosted services of the catalog
    assert tornadoes == {f"chart-sensitivity-{k}" for k in range(1, len(tornadoes) + 1)} and len(tornadoes) >= 6
    for c in charts:
        assert c["svg"] >= 1, c
        assert c["traces"] >= 1 and c["drawn"] >= 1 and c["marks"] >= 1, c


def test_main_job_report_renders_and_is_screenshotted(main_job_report, tmp_path):
    errors, requests, charts, title = open_in_chromium(main_job_report, tmp_path, SCREENSHOT)
    assert errors == [] and requests == []
    assert {"chart-serving", "chart-ownership", "chart-plan"} <= {c["id"] for c in charts}
    assert len(charts) >= 8
    for c in charts:
        assert c["svg"] >= 1 and c["traces"] >= 1 and c["drawn"] >= 1 and c["marks"] >= 1, c
    assert SCREENSHOT.stat().st_size > 10_000


def _overlap(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] - 0.5 and b[0] < a[2] - 0.5 and a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5


def test_layout_fits_the_window_and_keeps_key_columns_in_view(main_job_report, tmp_path):
    errors, requests, _, _, by_width = open_in_chromium(main_job_report, tmp_path, tmp_path / "narrow.png",
                                                        width=1280, probe=LAYOUT, narrower=(800,))
    assert errors == [] and requests == []
    for width, m in by_width.items():
        assert m["innerWidth"] == width
        assert m["scrollWidth"] <= m["innerWidth"] and m["bodyScrollWidth"] <= m["innerWidth"], (width, m["scrollWidth"])
        # scenario name, cost and time of the first row, and the ratio table's route/cost/time, inside the
        # window and inside the table's scroll box (visible without scrolling sideways)
        right = min(m["innerWidth"], m["tableBox"][2])
        for cell in m["key"]:
            left_edge, _, right_edge, _ = cell["box"]
            assert left_edge >= 0 and right_edge <= right + 0.5, (width, cell)
        # every chart drawn, none wider than the window
        assert len(m["divs"]) >= 5
        for d in m["divs"]:
            assert d["svg"] >= 1 and d["width"] <= width, (width, d)
        # the time-vs-cost labels: one per scenario with a time, none overlapping another, all inside the chart
        labels = m["labels"]
        # the main job's routes with a time: pretraining at compute-optimal and at the published 15T tokens, full,
        # LoRA, QLoRA
        assert len(labels) == 5, [x["text"] for x in labels]
        for i, a in enumerate(labels):
            assert m["chartBox"][0] <= a["box"][0] and a["box"][2] <= m["chartBox"][2] + 0.5, (width, a)
            for b in labels[i + 1:]:
                assert not _overlap(a["box"], b["box"]), (width, a, b)
        # plan, rent-vs-buy and serving charts: labels inside the chart and apart; legends below the axis title
        assert [len(d["labels"]) for d in m["decisions"]] == [2, 0, 1]  # optimum + route; -; "this comparison"
        for d in m["decisions"]:
            left, top, right, bottom = d["box"]
            for i, a in enumerate(d["labels"]):
                assert left <= a["box"][0] and a["box"][2] <= right + 0.5 and top <= a["box"][1], (width, d["id"], a)
                for b in d["labels"][i + 1:]:
                    assert not _overlap(a["box"], b["box"]), (width, d["id"], a, b)
            if d["legend"]:
                assert d["legend"][1] >= d["xtitle"][3] - 0.5 and d["legend"][3] <= bottom + 0.5, (width, d)
                assert d["legend"][2] <= right + 0.5, (width, d)
        # the serving and rent-vs-buy tables: every column of the first row in view without scrolling sideways
        for t in m["tables"]:
            edge = min(m["innerWidth"], t["scroll"][2])
            for cell in t["cells"]:
                assert cell[0] >= 0 and cell[2] <= edge + 0.5, (width, t["table"], cell)


def test_script_in_a_scenario_name_shows_as_text_and_runs_nothing(tmp_path):
    from estimator.planning.comparison import compare
    from estimator.present.report import write_report

    evil = "<script>alert(1)</script>"
    spec = tmp_path / "scenarios.yaml"
    spec.write_text("defaults: {method: lora, model: llama-3.1-8b, tokens: 20M}\n"
                    f"scenarios:\n  - {{name: \"{evil}\", gpu: h100-sxm}}\n"
                    "  - {name: plain, method: qlora, gpu: a100-80gb}\n", encoding="utf-8")
    path = write_report(compare(scenarios=spec), tmp_path / "evil.html")
    probe = """() => ({
        summary: document.getElementById('summary').innerText,
        table: document.querySelector('table.scenarios tbody').innerText,
        injected: Array.from(document.scripts).filter(s => s.textContent.trim() === 'alert(1)').length,
        svgText: Array.from(document.querySelectorAll('#chart-cost .ytick text')).map(t => t.textContent),
    })"""
    errors, requests, charts, _, m = open_in_chromium(path, tmp_path, tmp_path / "evil.png", probe=probe)
    assert errors == [] and requests == []  # no alert dialog, no script error
    assert m["injected"] == 0
    assert evil in m["summary"] and evil in m["table"]  # shown as the text the user typed
    assert evil in m["svgText"]  # plotly draws it as text too
    assert all(c["svg"] >= 1 for c in charts)
