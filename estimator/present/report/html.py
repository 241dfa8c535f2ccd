"""Assemble the stakeholder HTML report of a Comparison and write it atomically."""

from __future__ import annotations

import datetime as dt
import math
import os
from pathlib import Path
from typing import Any

import plotly.io as pio

from estimator.atomic import write_text_atomic
from estimator.catalog.loader import Catalog, load_catalog
from estimator.plan.sensitivity import sensitivities
from estimator.present.report import charts
from estimator.present.report.facts import Summary, assumption_rows, method_rows, names, ratio_text, summary, time_text
from estimator.present.report.style import CSS
from estimator.units import si, usd

PLOTLYJS = ("inline", "cdn")
MAX_TABLE_ROWS = 200
esc = charts.esc


def _cell(column: str, value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        if "usd" in column:
            return usd(value)
        if abs(value) >= 1e4:
            return si(value).strip()
        return f"{value:,.4g}"
    return esc(value)


def _table(columns: list[str], rows: list[list[str]], cls: str = "") -> str:
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{v}</td>" for v in r) + "</tr>" for r in rows)
    return f'<div class="scroll {cls}-wrap"><table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def summary_html(s: Summary) -> str:
    cards = []
    if s.cheapest:
        c = s.cheapest
        cards.append(f'<div class="card"><div class="k">Cheapest route</div>'
                     f'<div class="v" data-value="{c["cost_usd"]!r}">{usd(c["cost_usd"])}</div>'
                     f'<div class="sub"><b>{esc(c["name"])}</b> · takes {time_text(c.get("wall_clock_days"))}</div></div>')
    if s.fastest:
        f = s.fastest
        cards.append(f'<div class="card"><div class="k">Fastest route</div>'
                     f'<div class="v" data-value="{f["wall_clock_days"]!r}">{time_text(f["wall_clock_days"])}</div>'
                     f'<div class="sub"><b>{esc(f["name"])}</b> · costs {usd(f["cost_usd"])}</div></div>')
    if s.ratios:
        cheapest = (s.cheapest or {}).get("name")
        r = next((x for x in s.ratios if x["fine_tuning"] == cheapest), s.ratios[0])
        days = f' and takes <b>{ratio_text(r["days_ratio"])}</b> as long' if r.get("days_ratio") is not None else ""
        cards.append(f'<div class="card wide"><div class="k">From scratch vs fine-tuning</div>'
                     f'<div class="v" data-value="{r["cost_ratio"]!r}">{ratio_text(r["cost_ratio"])} the cost</div>'
                     f'<div class="sub"><b>{esc(r["scratch"])}</b> costs {usd(r["scratch_cost_usd"])}{days} '
                     f'({time_text(r["scratch_days"])}) vs <b>{esc(r["fine_tuning"])}</b></div></div>')
    else:
        cards.append('<div class="card wide"><div class="k">From scratch vs fine-tuning</div>'
                     '<div class="sub">No from-scratch scenario in this comparison.</div></div>')
    out = [f'<p class="lead">{esc(s.lead)}</p><div class="cards">{"".join(cards)}</div>']
    if s.ratios:
        one = len({r["scratch"] for r in s.ratios}) == 1
        rows = [[esc(r["fine_tuning"]), usd(r["cost_usd"]), time_text(r["days"]),
                 *([] if one else [esc(r["scratch"])]), f'{ratio_text(r["cost_ratio"])} as much',
                 f'{ratio_text(r.get("days_ratio"))} as long' if r.get("days_ratio") is not None else "time not stated"]
                for r in s.ratios]
        head = ["Fine-tuning route", "Cost", "Time", *([] if one else ["Compared with"]),
                "Scratch costs", "Scratch takes"]
        caption = f'<p class="cap">Each route against <b>{esc(s.ratios[0]["scratch"])}</b>:</p>' if one else ""
        out.append(caption + _table(head, rows, "ratios"))
    items = "".join(f"<li>{esc(a)}</li>" for a in s.assumptions)
    out.append(f'<h3>Key assumptions</h3><ul class="assume">{items}</ul>')
    notes = [f"<li><b>{esc(n)}</b> is not a usable route: {esc(why)}.</li>" for n, why in s.not_viable]
    notes += [f"<li>{esc(n[:1].upper() + n[1:])}.</li>" for n in s.notes]
    if notes:
        out.append(f'<ul class="notes">{"".join(notes)}</ul>')
    return "".join(out)


def scenario_table_html(comparison) -> str:
    frame = comparison.to_frame()
    cols = [str(c) for c in frame.columns]
    records = frame.to_dict("records")
    rows = [[_cell(c, r.get(c)) for c in cols] for r in records[:MAX_TABLE_ROWS]]
    more = (f'<p class="muted">{len(records) - MAX_TABLE_ROWS:,} more rows not shown: '
            f'<code>estimator compare --format csv</code> lists them all.</p>' if len(records) > MAX_TABLE_ROWS else "")
    return _table(cols, rows, "scenarios") + more


def _used_by(names_: list[str], total: int) -> str:
    if len(names_) == total > 1:
        return "all scenarios"
    if len(names_) <= 2:
        return esc("; ".join(names_))
    return f'<span title="{esc("; ".join(names_))}">{len(names_)} of {total} scenarios</span>'


def assumptions_html(rows: list[dict[str, Any]]) -> str:
    body = [[esc(r["quantity"]), esc(r["value"]), esc(r["kind"]), esc(r["entry"]), esc(r["source"]),
             esc(r["as_of"]) + ('<br><span class="stale">over 12 months old</span>' if r["stale"] else ""),
             _used_by(r["used_by"], r["of"])] for r in rows]
    stale = sum(r["stale"] for r in rows)
    lead = (f'<p><span class="stale">{stale} figure(s) used here are over 12 months old</span> (prices and '
            f'energy rates): check them before quoting.</p>' if stale else "")
    return lead + _table(["Quantity", "Value", "Kind", "Rule or entry", "Source", "As of", "Used by"], body, "sources")


def method_html(rows: list[dict[str, Any]]) -> str:
    chain = [r for r in rows if r["plain"]]
    rest = [r for r in rows if not r["plain"]]

    def li(r: dict[str, Any]) -> str:
        name = f'{esc(r["plain"])} <code>{esc(r["quantity"])}</code>' if r["plain"] else f'<code>{esc(r["quantity"])}</code>'
        return (f'<li>{name}: {esc(r["formula"])} <span class="muted">({esc(r["unit"])}; used by '
                f'{esc(", ".join(r["methods"]))}; source: {esc(r["source"])})</span></li>')

    intro = ("<p>Cost on rented GPUs is the GPU-hours times the price per GPU-hour. GPU-hours are the number of GPUs "
             "times the wall-clock time; the time is the training compute divided by what the GPUs deliver "
             "(their peak speed times the utilisation, MFU). Training compute is about 6 calculations per parameter "
             "per token (4 for LoRA/QLoRA, which do not update the base weights). A hosted API bills the training "
             "tokens times its price per token. Each formula below is the one the estimate used.</p>")
    return (intro + f'<ol class="method">{"".join(li(r) for r in chain)}</ol>'
            f'<details><summary>All other rules ({len(rest)})</summary><ol class="method">'
            f'{"".join(li(r) for r in rest)}</ol></details>')


def _figures(comparison, labels: list[str], cat: Catalog) -> list[tuple[str, str, Any]]:
    sens = sensitivities(comparison.estimates, cat, labels)
    figs = [
        ("chart-cost", "cost", charts.cost_per_scenario(labels, comparison.estimates)),
        ("chart-time-cost", "time vs cost", charts.time_vs_cost(comparison, labels)),
        ("chart-breakdown", "breakdown", charts.cost_breakdown(labels, comparison.estimates)),
        ("chart-memory", "memory", charts.memory_per_gpu(labels, comparison.estimates)),
        ("chart-tokens", "token lengths", charts.token_histogram(getattr(comparison, "profile", None))),
        ("chart-sensitivity", "sensitivity", charts.tornado(sens)),
    ]
    return [f for f in figs if f[2] is not None]


def render_report(comparison, *, plotlyjs: str = "inline", catalog: Catalog | None = None,
                  title: str | None = None) -> str:
    """The report as one HTML string (see write_report)."""
    if plotlyjs not in PLOTLYJS:
        raise ValueError(f"plotlyjs must be one of {', '.join(PLOTLYJS)}, got {plotlyjs!r}")
    cat = catalog or comparison.catalog or load_catalog()  # the catalog the estimates were computed with
    labels = names(comparison)
    s = summary(comparison)
    heading = title or s.title
    divs = []
    for i, (div_id, _, fig) in enumerate(_figures(comparison, labels, cat)):
        include: Any = False if i else (True if plotlyjs == "inline" else "cdn")
        divs.append(f'<div class="chart">{pio.to_html(fig, full_html=False, include_plotlyjs=include, div_id=div_id, config={"displaylogo": False, "responsive": True})}</div>')
    try:
        from importlib.metadata import version

        ver = version("estimator")
    except Exception:  # noqa: BLE001 - running from a source tree
        ver = "dev"
    today = dt.date.today().isoformat()
    n = len(comparison.scenarios)
    grid = getattr(comparison, "grid", None)
    sub = f"{n} scenario{'s' if n != 1 else ''}" + (f" and {len(grid):,} grid points" if grid is not None else "")
    sub += f" · estimated {today} with estimator {esc(ver)}"
    if comparison.source:
        sub += f" · from <code>{esc(comparison.source)}</code>"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(heading)}</title><style>{CSS}</style></head>
<body><main>
<header><h1>{esc(heading)}</h1><p class="muted">{sub}</p></header>
<section id="summary"><h2>Summary</h2>{summary_html(s)}</section>
<section id="scenarios"><h2>All scenarios</h2><p class="muted">The same numbers as <code>estimator compare</code>
(<code>Comparison.to_frame()</code>); units are in the column names.</p>{scenario_table_html(comparison)}</section>
<section id="charts"><h2>Charts</h2>{"".join(divs)}</section>
<section id="assumptions"><h2>Assumptions and sources</h2>{assumptions_html(assumption_rows(comparison, cat))}</section>
<section id="method"><h2>Method</h2>{method_html(method_rows(comparison))}</section>
</main></body></html>
"""


def write_report(comparison, path: str | os.PathLike = "reports/comparison.html", *, plotlyjs: str = "inline",
                 catalog: Catalog | None = None, title: str | None = None) -> Path:
    """Write the report to `path` atomically (temp file in the same folder, then os.replace); return the path.

    plotlyjs: "inline" embeds plotly.js (opens offline, ~5 MB); "cdn" loads it from the plotly CDN (small file).
    """
    return write_text_atomic(path, render_report(comparison, plotlyjs=plotlyjs, catalog=catalog, title=title))
