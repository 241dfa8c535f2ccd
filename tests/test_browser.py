"""The HTML report in a real browser: Debian's Chromium, headless, network off.

Opens the generated report from file://, fails on any console error, page error or network
request, checks every chart div holds a plotly SVG with drawn traces, and saves a full-page
screenshot to reports/screenshot.png.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

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
    from estimator.plan.comparison import compare
    from estimator.present.report import write_report
    from estimator.tokens import count_tokens

    tmp = tmp_path_factory.mktemp("browser")
    profile = count_tokens(_dataset(tmp / "chat.jsonl"), example_cap=512, seq_len=2048, workers=1)
    comparison = compare(model="llama-3.1-8b", tokens=profile.to_dict()["total_tokens"])
    if getattr(comparison, "profile", None) is None:
        comparison.profile = profile
    return write_report(comparison, tmp / "comparison.html")


def open_in_chromium(report: Path, tmp_path: Path, screenshot: Path) -> tuple[list, list, list, str]:
    """(errors, blocked requests, chart states, title); saves a full-page screenshot."""
    errors, requests = [], []
    with sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(CHROMIUM), headless=True, args=FLAGS, offline=True,
            viewport={"width": 1280, "height": 900})
        try:
            page = context.new_page()
            page.on("console", lambda m: errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))

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
            page.screenshot(path=str(tmp_path / "shot.png"), full_page=True)
        finally:
            context.close()
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(tmp_path / "shot.png", screenshot)
    return errors, requests, charts, title


def test_report_renders_in_chromium_offline(report, tmp_path):
    errors, requests, charts, title = open_in_chromium(report, tmp_path, tmp_path / "custom.png")
    assert errors == []
    assert requests == [], "the report must not fetch anything"
    assert "Training cost" in title
    ids = {c["id"] for c in charts}
    assert ids == {"chart-cost", "chart-time-cost", "chart-breakdown", "chart-memory", "chart-tokens",
                   "chart-sensitivity"}
    for c in charts:
        assert c["svg"] >= 1, c
        assert c["traces"] >= 1 and c["drawn"] >= 1 and c["marks"] >= 1, c


def test_main_job_report_renders_and_is_screenshotted(main_job_report, tmp_path):
    errors, requests, charts, title = open_in_chromium(main_job_report, tmp_path, SCREENSHOT)
    assert errors == [] and requests == []
    assert len(charts) >= 5
    for c in charts:
        assert c["svg"] >= 1 and c["traces"] >= 1 and c["drawn"] >= 1 and c["marks"] >= 1, c
    assert SCREENSHOT.stat().st_size > 10_000
