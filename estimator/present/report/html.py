"""Assemble the stakeholder HTML report of a Comparison (jinja2 templates, autoescaped) and write it atomically.

Everything the report shows comes from the comparison it renders: its Estimates, grid and dataset profile,
and the catalog it was computed with (`comparison.catalog`), which also feeds the sensitivity chart.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from functools import cache
from pathlib import Path
from typing import Any

from estimator.atomic import write_text_atomic
from estimator.present.report.facts import names, ratio_text, summary, time_text
from estimator.units import si, usd

PLOTLYJS = ("inline", "cdn")
MAX_TABLE_ROWS = 200
KEY_COLUMNS = ("name", "cost_usd", "wall_clock_days")  # first in the scenario table: always in view


@cache
def environment():
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(loader=PackageLoader("estimator.present.report", "templates"),
                      autoescape=select_autoescape(["html", "j2"], default_for_string=True, default=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(usd=usd, time=time_text, ratio=ratio_text)
    return env


def comparison_catalog(comparison):
    """The catalog the comparison was computed with."""
    cat = getattr(comparison, "catalog", None)
    if cat is None:  # a Comparison built by hand without one (compare() always sets it): the bundled catalog
        from estimator.catalog.loader import load_catalog

        cat = load_catalog()
    return cat


def _cell(column: str, value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        if "usd" in column:
            return usd(value)
        if column.startswith("wall_clock_days"):
            return time_text(value)
        if abs(value) >= 1e4:
            return si(value).strip()
        return f"{value:,.4g}"
    return str(value)


def scenario_table(comparison) -> dict[str, Any]:
    """to_frame() with the key columns first, cells formatted as the CLI does."""
    frame = comparison.to_frame()
    cols = [str(c) for c in frame.columns]
    cols = [c for c in KEY_COLUMNS if c in cols] + [c for c in cols if c not in KEY_COLUMNS]
    records = frame.to_dict("records")
    return {"columns": cols, "rows": [[_cell(c, r.get(c)) for c in cols] for r in records[:MAX_TABLE_ROWS]],
            "more": max(0, len(records) - MAX_TABLE_ROWS)}


def _figures(comparison, labels: list[str], cat) -> list[tuple[str, Any]]:
    from estimator.planning.sensitivity import sensitivities
    from estimator.present.report import charts, dataset_chart, sensitivity_chart

    figs = [
        ("chart-cost", charts.cost_per_scenario(labels, comparison.estimates)),
        ("chart-time-cost", charts.time_vs_cost(comparison, labels)),
        ("chart-breakdown", charts.cost_breakdown(labels, comparison.estimates)),
        ("chart-memory", charts.memory_per_gpu(labels, comparison.estimates)),
        ("chart-tokens", dataset_chart.token_histogram(getattr(comparison, "profile", None))),
    ]
    tornadoes = sensitivity_chart.tornadoes(sensitivities(comparison.estimates, cat, labels))
    figs += [(f"chart-sensitivity-{k + 1}", fig) for k, fig in enumerate(tornadoes)]
    return [f for f in figs if f[1] is not None]


def chart_divs(comparison, labels: list[str], cat) -> list[dict[str, Any]]:
    """Each chart as an HTML fragment (embed.figure_html; the page's one loader draws them). The sensitivity
    tornadoes are one group (a grid of small charts under one heading)."""
    from estimator.present.report.embed import figure_html
    from estimator.present.report.sensitivity_chart import CAPTION

    out: list[dict[str, Any]] = []
    group = {"id": "chart-sensitivity", "title": "Sensitivity: how cost moves when one input moves (the others "
             "held)", "caption": CAPTION, "group": []}
    for div_id, fig in _figures(comparison, labels, cat):
        chart = {"id": div_id, "html": figure_html(div_id, fig)}
        if div_id.startswith("chart-sensitivity-"):
            group["group"].append(chart)
        else:
            out.append(chart)
    return out + ([group] if group["group"] else [])


def _with_chart(section: dict[str, Any] | None, div_id: str) -> dict[str, Any] | None:
    """A decision section with its figure rendered as a chart fragment (or none when there is no figure)."""
    from estimator.present.report.embed import figure_html

    if section is not None:
        fig = section.pop("figure", None)
        section["chart"] = figure_html(div_id, fig) if fig is not None else None
    return section


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("estimator")
    except Exception:  # noqa: BLE001 - running from a source tree
        return "dev"


def report_context(comparison, *, plotlyjs: str = "inline", title: str | None = None) -> dict[str, Any]:
    """Everything the templates show, as plain data (strings are escaped by the template, not here)."""
    from estimator.present.report.embed import loader_html
    from estimator.present.report.sections import ownership_section, plan_section, serving_section
    from estimator.present.report.sources import assumption_rows, method_rows

    cat = comparison_catalog(comparison)
    labels = names(comparison)
    s = summary(comparison)
    cheapest = (s.cheapest or {}).get("name")
    grid = getattr(comparison, "grid", None)
    sources = assumption_rows(comparison)
    methods = method_rows(comparison)
    return {
        "title": title or s.title,
        "n_scenarios": len(comparison.scenarios),
        "n_grid": len(grid) if grid is not None else None,
        "today": dt.date.today().isoformat(),
        "version": _version(),
        "source": comparison.source,
        "s": s,
        "ratio": next((x for x in s.ratios if x["fine_tuning"] == cheapest), s.ratios[0]) if s.ratios else None,
        "one_scratch": len({r["scratch"] for r in s.ratios}) == 1,
        "table": scenario_table(comparison),
        "charts": chart_divs(comparison, labels, cat),
        "sources": sources,
        "stale": sum(r["stale"] for r in sources),
        "chain": [r for r in methods if r["plain"]],
        "rules": [r for r in methods if not r["plain"]],
        "serving": _with_chart(serving_section(comparison, cat), "chart-serving"),
        "ownership": _with_chart(ownership_section(comparison, cat), "chart-ownership"),
        "plan": _with_chart(plan_section(comparison, cat), "chart-plan"),
        "plotly": loader_html(plotlyjs),
    }


def render_report(comparison, *, plotlyjs: str = "inline", title: str | None = None) -> str:
    """The report as one HTML string (see write_report)."""
    if plotlyjs not in PLOTLYJS:
        raise ValueError(f"plotlyjs must be one of {', '.join(PLOTLYJS)}, got {plotlyjs!r}")
    context = report_context(comparison, plotlyjs=plotlyjs, title=title)
    return environment().get_template("report.html.j2").render(context)


def write_report(comparison, path: str | os.PathLike = "reports/comparison.html", *, plotlyjs: str = "inline",
                 title: str | None = None) -> Path:
    """Write the report to `path` atomically (temp file in the same folder, then os.replace); return the path.

    plotlyjs: "inline" embeds plotly.js once, compressed (opens offline, ~2.2 MB); "cdn" loads it from the plotly
    CDN (~0.2 MB; needs the network to draw the charts). See embed.py.
    """
    return write_text_atomic(path, render_report(comparison, plotlyjs=plotlyjs, title=title))
