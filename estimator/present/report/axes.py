"""Axis ticks, chart labels and the common layout of the report's plotly figures.

Ticks are computed here rather than left to plotly, so every money axis reads the same way ("$0.001",
"$10", "$1.5k", "$2M": a dollar sign, an SI-style suffix for thousands and up, never "µ" or "m" for
fractions of a dollar, never "e-05"), and time axes read in seconds, minutes, hours, days, not in "10µ" days.
"""

from __future__ import annotations

import math
import textwrap
from typing import Any

import plotly.graph_objects as go
from markupsafe import escape

from estimator.units import count, usd

SUBTITLE_CHARS = 95  # 12 px text: fits a chart on an 800 px page
WIDE_SPAN = 100.0  # log axis when max/min exceeds this
SECOND = 1 / 86400  # in days
TIME_TICKS = ((SECOND, "1 s", 1), (10 * SECOND, "10 s", 0), (60 * SECOND, "1 min", 1), (600 * SECOND, "10 min", 0),
              (1 / 24, "1 h", 1), (6 / 24, "6 h", 0), (1.0, "1 day", 1), (7.0, "1 week", 0), (30.0, "1 month", 1),
              (91.0, "3 months", 0), (365.0, "1 year", 1), (3650.0, "10 years", 1))  # (days, label, major)
MAX_TIME_TICKS = 6  # more in range: the major ones only
TIME_UNITS = (("days", 1.0), ("hours", 1 / 24), ("min", 1 / 1440), ("s", SECOND))


def text(value: Any) -> str:
    """A string from a user file, made safe for plotly's pseudo-HTML labels (<b>, <br>, <a> are markup there)."""
    return str(escape(str(value)))


def finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def wide(values: list[float]) -> bool:
    pos = [v for v in values if finite(v) and v > 0]
    return bool(pos) and max(pos) / min(pos) > WIDE_SPAN


def money(value: float) -> str:
    """A bar label: the CLI's usd(), except that sub-cent amounts never use exponent notation."""
    out = usd(value)
    if "e" in out and finite(value):
        digits = max(2, 1 - math.floor(math.log10(abs(value))))
        out = f"${value:.{digits}f}"
    return out


def _decimal(value: float, step: float) -> str:
    return f"{value:,.{_digits(step)}f}"


def money_tick(value: float, step: float) -> str:
    """'$0.005', '$20', '$1.5k', '$2M', '$1B' (step: the tick spacing, sets the decimals)."""
    sign, v = ("-" if value < 0 else ""), abs(value)
    if v == 0:
        return "$0"
    for factor, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if v >= factor:
            return f"{sign}${v / factor:,.{_digits(step / factor)}f}{suffix}"
    return f"{sign}${_decimal(v, step)}"


def _digits(step: float) -> int:
    return max(0, -math.floor(math.log10(step) + 1e-9)) if step < 1 else 0


def nice_ticks(lo: float, hi: float, count: int = 5) -> tuple[list[float], float]:
    """Round tick values (1, 2 or 5 × 10^k apart) covering [lo, hi]."""
    span = hi - lo if hi > lo else abs(hi) or 1.0
    raw = span / count
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw * 0.999)
    first = math.ceil(lo / step - 1e-9)
    ticks = [round(k * step, 12) for k in range(first, int(math.floor(hi / step + 1e-9)) + 1)]
    return ticks, step


def log_range(values: list[float], pad: float = 0.25) -> list[float]:
    pos = [v for v in values if finite(v) and v > 0] or [1.0]
    return [math.log10(min(pos)) - pad, math.log10(max(pos)) + pad]


def coords(values: list[float], log: bool, pad: float = 0.12) -> tuple[list[float], list[float]]:
    """Plotly's coordinates of `values` on a log or linear axis (log axes place annotations by log10),
    and an axis range with `pad` of the span (of the decades, on a log axis) on each side."""
    if log:
        a, b = log_range(values, 0.0)
        span = max(b - a, 1.0)
        return [math.log10(v) for v in values], [a - pad * span - 0.15, b + pad * span + 0.15]
    lo, hi = min(values), max(values)
    margin = pad * (hi - lo or abs(hi) or 1.0)
    return list(values), [lo - margin, hi + margin]


def money_axis(values: list[float], log: bool, lo: float | None = None, hi: float | None = None) -> dict[str, Any]:
    """tickvals/ticktext for a dollar axis over `values` (or over [lo, hi] on a linear axis)."""
    pos = [v for v in values if finite(v)]
    if not pos:
        return {}
    if log:
        a, b = log_range(pos, 0.0)
        first, last = math.floor(a), math.ceil(b)
        every = 2 if last - first > 8 else 1
        ks = range(first, last + 1, every)
        return {"tickvals": [10.0 ** k for k in ks], "ticktext": [money_tick(10.0 ** k, 10.0 ** k) for k in ks]}
    ticks, step = nice_ticks(min(0.0, min(pos)) if lo is None else lo, max(pos) if hi is None else hi)
    return {"tickvals": ticks, "ticktext": [money_tick(v, step) for v in ticks]}


def time_axis(values_days: list[float], log: bool, axis_range: list[float] | None = None) -> dict[str, Any]:
    """Ticks of a wall-clock axis whose values are days: '1 s', '1 h', '1 week' (log); '2 h', '4 h' (linear)."""
    pos = [v for v in values_days if finite(v) and v > 0]
    if not pos:
        return {}
    if log:
        a, b = axis_range or log_range(pos)
        marks = [(v, t) for v, t, _ in TIME_TICKS if a <= math.log10(v) <= b]
        if len(marks) > MAX_TIME_TICKS:
            marks = [(v, t) for v, t, major in TIME_TICKS if major and a <= math.log10(v) <= b]
        return {"tickvals": [v for v, _ in marks], "ticktext": [t for _, t in marks]}
    unit, size = next(((u, s) for u, s in TIME_UNITS if max(pos) / s >= 2), TIME_UNITS[-1])
    lo, hi = axis_range or (0.0, max(pos))
    ticks, step = nice_ticks(max(0.0, lo) / size, hi / size)
    return {"tickvals": [t * size for t in ticks], "ticktext": [_time_tick(t, step, unit) for t in ticks]}


def _time_tick(value: float, step: float, unit: str) -> str:
    return "1 day" if unit == "days" and value == 1 else f"{_decimal(value, step)} {unit}"


def layout(fig: go.Figure, title: str, subtitle: str = "", height: int = 420) -> go.Figure:
    """Title, and a subtitle wrapped at SUBTITLE_CHARS (plotly does not wrap; an 800 px page must not clip it)."""
    lines = textwrap.wrap(subtitle, SUBTITLE_CHARS, break_long_words=False, break_on_hyphens=False)
    head = f"<b>{title}</b>" + "".join(f"<br><span style='font-size:12px;color:#555'>{line}</span>" for line in lines)
    fig.update_layout(title={"text": head, "x": 0, "xanchor": "left", "y": 1, "yref": "container", "yanchor": "top",
                             "pad": {"t": 14}}, template="plotly_white", height=height,
                      margin={"l": 10, "r": 30, "t": 44 + 22 * len(lines), "b": 50}, font={"size": 13},
                      legend={"traceorder": "normal"})
    return fig


def log_room(values: list[float]) -> list[float]:
    """A log axis range with room right of the largest bar for its outside label."""
    a, b = log_range(values, 0.0)
    return [a - 0.3, b + max(0.8, 0.15 * (b - a))]


def count_tick(value: float) -> str:
    """10 -> '10', 2500 -> '2.5k', 1e6 -> '1M', 8e9 -> '8B', 2e12 -> '2T'."""
    return count(value, space="")


def count_axis(values: list[float]) -> dict[str, Any]:
    """Decade ticks of a log axis of counts (parameters, requests/day): '100M', '1B', '10B'."""
    pos = [v for v in values if finite(v) and v > 0]
    if not pos:
        return {}
    a, b = log_range(pos, 0.0)
    ks = range(math.ceil(a - 1e-9), math.floor(b + 1e-9) + 1)
    return {"tickvals": [10.0 ** k for k in ks], "ticktext": [count_tick(10.0 ** k) for k in ks]}


def legend_below(fig: go.Figure, entries: int, per_row: int = 2) -> go.Figure:
    """The legend under the plot, below the x-axis title (anchored to the figure's bottom edge, so it never
    covers the axis), with room for `entries` items wrapped `per_row` to a row at 800 px."""
    rows = math.ceil(entries / per_row)
    fig.update_layout(legend={"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0,
                              "xanchor": "left", "font": {"size": 12}},
                      margin={"b": 70 + 22 * rows}, height=(fig.layout.height or 420) + 22 * rows)
    return fig
