"""Human-readable terminal tables (units in the cells) from comparison frames; raw numbers stay raw elsewhere."""

from __future__ import annotations

import math
from typing import Any

from estimator.units import si, usd


def days_text(x: Any) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    hours = x * 24
    if hours < 1:
        return f"{hours * 60:.1f} min" if hours * 60 >= 1 else f"{hours * 3600:.0f} s"
    if x < 2:
        return f"{hours:.1f} h"
    return f"{x:,.1f} days" if x < 1e6 else f"{x:.3g} days"


def _num(x: Any, fmt) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return fmt(x)


def human_rows(frame) -> list[dict[str, str]]:
    """One row per scenario: name, route, GPUs, time, GPU-hours, cost (fits 100 columns for short names)."""
    rows = []
    for r in frame.to_dict("records"):
        gpu = "" if r.get("gpu") in (None, "") or (isinstance(r.get("gpu"), float)) else r["gpu"]
        gpus = r.get("gpus")
        hw = f"{gpus:.0f} × {gpu}" if gpu and gpus is not None and not math.isnan(gpus) else gpu or "hosted"
        name = str(r.get("name"))
        error = isinstance(r.get("error"), str)  # a row that could not be estimated is not "does not fit"
        rows.append({
            "scenario": name if len(name) <= 50 else name[:49] + "…",
            "hardware": hw,
            "time": "no estimate" if error else "does not fit" if r.get("fits") is False else
            days_text(r.get("wall_clock_days")),
            "GPU-hours": _num(r.get("gpu_hours"), lambda x: (si(x) if x >= 1 else f"{x:.2g}") + " GPU-h"),
            "cost": _num(r.get("cost_usd"), usd),
        })
    return rows


def serving_rows(frame, months: float) -> list[dict[str, str]]:
    """Training + serving per route (compare with plan/tco.py figures): epochs, both costs, TCO, price source."""
    rows = []
    for r in frame.to_dict("records"):
        if "serving_usd" not in r or not isinstance(r.get("serving_basis"), str):
            continue  # grid rows vary the training only: serving is priced for the named routes
        name = str(r.get("name"))
        epochs = r.get("epochs")
        rows.append({
            "scenario": name if len(name) <= 48 else name[:47] + "…",
            "epochs": "" if epochs is None or epochs != epochs else f"{epochs:g}",
            "training": _num(r.get("cost_usd"), usd),
            f"serving {months:g} mo": _num(r.get("serving_usd"), usd),
            "TCO": _num(r.get("tco_usd"), usd),
            "price source": r.get("source") if isinstance(r.get("source"), str) else "",
        })
    return rows


def error_lines(frame, limit: int = 3) -> list[str]:
    """Why rows have no estimate: one line per distinct reason (the first `limit`), with how many rows."""
    if "error" not in frame.columns:
        return []
    counts = frame["error"].dropna().value_counts()
    out = [f"{n:,} row{'s' if n > 1 else ''} without an estimate: {reason}" for reason, n in counts.head(limit).items()]
    if len(counts) > limit:
        out.append(f"{len(counts) - limit} more reasons: see --format json (column 'error')")
    return out


def ratio_words(x: float) -> str:
    """3306.6 -> '3,307×', 1211033 -> '1.21 million×' (no false precision), 2.5 -> '2.5×', 0.41 -> '0.41×'."""
    if x >= 1e6:
        return f"{x / 1e6:,.3g} million×"
    return f"{x:,.0f}×" if x >= 10 else f"{x:.2g}×"


def headline_lines(headline: dict[str, Any]) -> list[str]:
    out = []
    if "cheapest" in headline:
        c = headline["cheapest"]
        out.append(f"cheapest to train: {c['name']} at {usd(c['cost_usd'])}" + (f", {days_text(c['wall_clock_days'])}" if
                                                                            c.get("wall_clock_days") else ""))
    if "fastest_on_gpus" in headline:
        f = headline["fastest_on_gpus"]
        out.append(f"fastest on GPUs: {f['name']} in {days_text(f['wall_clock_days'])} for {usd(f['cost_usd'])}")
    if "lowest_tco" in headline:
        t = headline["lowest_tco"]
        out.append(f"lowest total over {t['months']:g} months (training + serving): {t['name']} at {usd(t['tco_usd'])} "
                   f"({usd(t['cost_usd'])} + {usd(t['serving_usd'])})"
                   + (f", a different model ({t['model']}): check it is good enough" if t.get("other_model") else ""))
    scratch = "".join(x["scratch"] for x in headline.get("ratios", []))
    # one scratch route heads the ratios: the one at the published token count (what rebuilding the released model
    # costs) when the comparison has it, else the compute-optimal one, else each
    marker = next((m for m in ("as published", "compute-optimal") if m in scratch), None)
    for r in headline.get("ratios", []):
        if marker and marker not in r["scratch"]:
            continue
        if r["fine_tuning"].startswith("Hosted: "):  # one line per own-GPU route; hosted ratios are in the table
            continue
        parts = []
        if r.get("cost_ratio"):
            parts.append(f"{ratio_words(r['cost_ratio'])} the cost")
        if r.get("days_ratio"):
            parts.append(f"{ratio_words(r['days_ratio'])} the time")
        if parts:
            out.append(f"{r['scratch']} vs {r['fine_tuning']}: {', '.join(parts)}")
    if marker == "as published":  # compute-optimal too, against the cheapest own-GPU route (its largest ratio) only
        optimal = [r for r in headline["ratios"] if "compute-optimal" in r["scratch"] and r.get("cost_ratio")
                   and not r["fine_tuning"].startswith("Hosted: ")]
        if optimal:
            r = max(optimal, key=lambda x: x["cost_ratio"])
            out.append(f"{r['scratch']} vs {r['fine_tuning']}: {ratio_words(r['cost_ratio'])} the cost (on fewer "
                       "tokens than the released model saw)")
    return out
