"""Plotly figures of a Comparison. Renderers only: every number comes from the Estimates, the grid,
the dataset profile or estimator.sensitivity; names are HTML-escaped before they reach plotly.
"""

from __future__ import annotations

import html
import math
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from estimator.present.report.facts import count_text, grid_label, is_viable, pareto_front, time_text
from estimator.units import usd

UNUSABLE = "not a usable model: far too few tokens"
UNUSABLE_SHORT = "not usable"

WIDE_SPAN = 100.0  # log axis when max/min exceeds this
MAX_POINTS = 5000  # scatter points drawn (all Pareto points are always kept)
COLORS = {"pretrain": "#c0392b", "full": "#2e86c1", "lora": "#17a589", "qlora": "#7d3c98", "api": "#d68910"}
COMPONENTS = (("weights", "#2e86c1"), ("gradients", "#f5b041"), ("optimizer", "#af7ac5"), ("activations", "#48c9b0"))


def esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _wide(values: list[float]) -> bool:
    pos = [v for v in values if _finite(v) and v > 0]
    return bool(pos) and max(pos) / min(pos) > WIDE_SPAN


def _layout(fig: go.Figure, title: str, subtitle: str = "", height: int = 420) -> go.Figure:
    text = f"<b>{title}</b>" + (f"<br><span style='font-size:12px;color:#555'>{subtitle}</span>" if subtitle else "")
    fig.update_layout(title={"text": text, "x": 0, "xanchor": "left"}, template="plotly_white", height=height,
                      margin={"l": 10, "r": 30, "t": 90, "b": 50}, font={"size": 13},
                      legend={"traceorder": "normal"})
    return fig


def cost_per_scenario(labels: list[str], estimates: list) -> go.Figure | None:
    rows = [(n, e) for n, e in zip(labels, estimates) if _finite(e.cost_usd)]
    if not rows:
        return None
    costs = [e.cost_usd for _, e in rows]
    spread = [(e.uncertainty or {}).get("cost_usd") for _, e in rows]
    has_range = any(q and q["p90"] > q["p10"] for q in spread)
    error_x = None
    if has_range:  # P10-P90 of the Monte Carlo over the assumption ranges, around the point estimate
        error_x = dict(type="data", symmetric=False, color="#333", thickness=1.5, width=6,
                       array=[max(0.0, q["p90"] - c) if q else 0 for q, c in zip(spread, costs)],
                       arrayminus=[max(0.0, c - q["p10"]) if q else 0 for q, c in zip(spread, costs)])
    labels_text = [usd(c) + ("" if is_viable(e) else f" ({UNUSABLE})") for c, (_, e) in zip(costs, rows)]
    fig = go.Figure(go.Bar(
        y=[esc(n) for n, _ in rows], x=costs, orientation="h", marker_color=[COLORS.get(e.method, "#888") for _, e in rows],
        error_x=error_x,
        marker_opacity=[1.0 if is_viable(e) else 0.35 for _, e in rows],
        text=None if has_range else labels_text, textposition="outside", cliponaxis=False,
        customdata=labels_text, hovertemplate="%{y}<br>%{customdata}<extra></extra>", showlegend=False))
    if has_range:  # labels to the right of the whiskers, not on top of them
        ends = [max(c, q["p90"]) if q else c for q, c in zip(spread, costs)]
        fig.add_trace(go.Scatter(y=[esc(n) for n, _ in rows], x=ends, mode="text", text=["  " + t for t in labels_text],
                                 textposition="middle right", showlegend=False, hoverinfo="skip", cliponaxis=False))
    log = _wide(costs)
    fig.update_xaxes(type="log" if log else "linear", title="cost (USD" + (", log scale: each step is 10×)" if log else ")"),
                     tickprefix="$")
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, "Cost per scenario", "colour = method; faded = not a usable route; log axis when costs differ "
                   "by more than 100×" + ("; whiskers = P10–P90 over the assumption ranges (MFU, price, memory headroom)"
                                          if has_range else ""),
                   height=max(320, 60 + 48 * len(rows)))


def _scatter_points(comparison, labels: list[str]) -> tuple[list[dict[str, Any]], str]:
    grid = getattr(comparison, "grid", None)
    points = []
    if grid is not None and len(grid) and "wall_clock_days" in grid.columns:
        for r in grid.to_dict("records"):
            if r.get("fits", True) is False or not (_finite(r.get("wall_clock_days")) and _finite(r.get("cost_usd"))):
                continue
            points.append({"label": grid_label(r), "days": r["wall_clock_days"], "cost": r["cost_usd"],
                           "method": r.get("method", ""), "viable": True})
        return points, "grid points (hardware × provider × GPU count)"
    for n, e in zip(labels, comparison.estimates):
        days = e.values.get("wall_clock_days")
        if _finite(days) and _finite(e.cost_usd):
            points.append({"label": n, "days": days, "cost": e.cost_usd, "method": e.method, "viable": is_viable(e)})
    return points, "scenarios"


def time_vs_cost(comparison, labels: list[str]) -> go.Figure | None:
    points, what = _scatter_points(comparison, labels)
    if not points:
        return None
    usable = [i for i, p in enumerate(points) if p["viable"]]
    front = [usable[j] for j in pareto_front([(points[i]["days"], points[i]["cost"]) for i in usable])]
    keep = set(front)
    step = max(1, len(points) // MAX_POINTS)
    keep |= set(range(0, len(points), step))
    shown = sorted(keep)
    few = len(shown) <= 12
    span_x = _span([p["days"] for p in points])
    fig = go.Figure()
    for method in dict.fromkeys(points[i]["method"] for i in shown):
        idx = [i for i in shown if points[i]["method"] == method]
        fig.add_trace(go.Scatter(
            x=[points[i]["days"] for i in idx], y=[points[i]["cost"] for i in idx],
            mode="markers+text" if few else "markers", name=esc(method),
            marker={"size": 11, "color": COLORS.get(method, "#888"),
                    "opacity": [0.85 if points[i]["viable"] else 0.3 for i in idx]},
            text=[esc(points[i]["label"]) + ("" if points[i]["viable"] else f" ({UNUSABLE_SHORT})") if few else ""
                  for i in idx], textposition=[_text_side(points[i]["days"], span_x) for i in idx],
            textfont={"size": 11}, cliponaxis=False,
            customdata=[f"{esc(points[i]['label'])}<br>{usd(points[i]['cost'])}, {time_text(points[i]['days'])}"
                        for i in idx],
            hovertemplate="%{customdata}<extra></extra>"))
    fig.add_trace(go.Scatter(
        x=[points[i]["days"] for i in front], y=[points[i]["cost"] for i in front], mode="lines+markers",
        name="best trade-offs<br>(Pareto front)", line={"color": "#222", "dash": "dot"},
        marker={"size": 16, "symbol": "circle-open", "color": "#222"}, hoverinfo="skip"))
    log_x, log_y = _wide([p["days"] for p in points]), _wide([p["cost"] for p in points])
    fig.update_xaxes(type="log" if log_x else "linear", title="wall-clock time (days" + (", log scale)" if log_x else ")"))
    fig.update_yaxes(type="log" if log_y else "linear", title="cost (USD" + (", log scale)" if log_y else ")"),
                     tickprefix="$")
    note = f"{len(points)} {what}" + (f", {len(shown)} drawn" if len(shown) < len(points) else "")
    missing = [n for n, e in zip(labels, comparison.estimates) if not _finite(e.values.get("wall_clock_days"))]
    if missing:
        note += f"; not shown (no training time stated): {esc(', '.join(missing))}"
    return _layout(fig, "Time vs cost: no route beats one on the dotted line on both", note, height=480)


def _span(values: list[float]) -> tuple[float, float]:
    pos = [v for v in values if _finite(v) and v > 0] or [1.0]
    return math.log10(min(pos)), math.log10(max(pos))


def _text_side(x: float, span: tuple[float, float]) -> str:
    """Labels of points in the right half go to their left, so they stay inside the plot."""
    lo, hi = span
    return "bottom left" if hi > lo and (math.log10(x) - lo) / (hi - lo) > 0.5 else "bottom right"


def cost_breakdown(labels: list[str], estimates: list) -> go.Figure | None:
    rows = [(n, e) for n, e in zip(labels, estimates) if _finite(e.cost_usd)]
    if not rows:
        return None
    series = (
        ("GPU rental (compute)", "#2e86c1", [e.cost_usd if e.method != "api" else None for _, e in rows]),
        ("of which electricity (included in rental)", "#f5b041",
         [e.values.get("energy_cost_usd") if e.method != "api" else None for _, e in rows]),
        ("hosted API fees", "#d68910", [e.values.get("api_cost_usd") if e.method == "api" else None for _, e in rows]),
    )
    fig = go.Figure()
    all_values = []
    for name, color, values in series:
        if not any(_finite(v) for v in values):
            continue
        all_values += [v for v in values if _finite(v)]
        fig.add_trace(go.Bar(y=[esc(n) for n, _ in rows], x=values, name=name, orientation="h", marker_color=color,
                             text=[usd(v) if _finite(v) else "" for v in values], textposition="outside",
                             cliponaxis=False, hovertemplate="%{y}: %{text}<extra>" + name + "</extra>"))
    log = _wide(all_values)
    fig.update_layout(barmode="group")
    fig.update_xaxes(type="log" if log else "linear", title="USD" + (" (log scale)" if log else ""), tickprefix="$")
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, "What the money pays for",
                   "electricity is an estimate of the share of the rental price; it is not added on top",
                   height=max(340, 80 + 60 * len(rows)))


def memory_per_gpu(labels: list[str], estimates: list) -> go.Figure | None:
    rows = [(n, e, e.memory_breakdown_gb()) for n, e in zip(labels, estimates) if e.method != "api"]
    rows = [r for r in rows if r[2]]
    if not rows:
        return None
    y = [f"{esc(n)} ({e.values.get('gpus', 0):.0f} × {esc(e.gpu_id)})" for n, e, _ in rows]
    fig = go.Figure()
    for comp, color in COMPONENTS:
        fig.add_trace(go.Bar(y=y, x=[m.get(comp, 0) for _, _, m in rows], name=comp, orientation="h",
                             marker_color=color, hovertemplate="%{y}<br>" + comp + ": %{x:.1f} GB<extra></extra>"))
    fig.add_trace(go.Scatter(y=y, x=[m["usable"] for _, _, m in rows], mode="markers", name="usable for training",
                             marker={"symbol": "line-ns-open", "size": 26, "color": "#c0392b", "line": {"width": 3}},
                             hovertemplate="usable: %{x:.1f} GB<extra></extra>"))
    fig.add_trace(go.Scatter(y=y, x=[m["capacity"] for _, _, m in rows], mode="markers", name="card capacity",
                             marker={"symbol": "line-ns-open", "size": 26, "color": "#222", "line": {"width": 3}},
                             hovertemplate="capacity: %{x:.0f} GB<extra></extra>"))
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title="GB per GPU", rangemode="tozero")
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, "Memory per GPU, by component, against the card's capacity",
                   "model states are split across GPUs (ZeRO-3); each bar must end left of the red mark",
                   height=max(320, 80 + 55 * len(rows)))


def _profile_dict(profile: Any) -> dict[str, Any]:
    if profile is None:
        return {}
    data = profile.to_dict() if hasattr(profile, "to_dict") else profile
    return data if isinstance(data, dict) else {}


def _buckets_to(limit_max: float, buckets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The histogram's power-of-two buckets, extended with empty ones up to the largest limit drawn."""
    out = list(buckets)
    while out and out[-1].get("hi", 0) > 0 and limit_max > out[-1]["hi"] and len(out) < 40:
        lo = out[-1]["hi"] + 1
        out.append({"lo": lo, "hi": 2 * lo - 1, "count": 0})
    return out


def _position(limit: float, buckets: list[dict[str, Any]]) -> float | None:
    """Fractional category index of `limit` on the power-of-two bucket axis."""
    for i, b in enumerate(buckets):
        lo, hi = b.get("lo", 0), b.get("hi", 0)
        if lo <= limit <= hi:
            if lo <= 0 or hi <= lo:
                return float(i)
            return i - 0.5 + (math.log2(limit) - math.log2(lo)) / (math.log2(hi + 1) - math.log2(lo))
    if buckets and limit < buckets[0].get("lo", 0):
        return -0.5
    return None


def token_histogram(profile: Any) -> go.Figure | None:
    data = _profile_dict(profile)
    length = data.get("length") or {}
    buckets = [b for b in (length.get("histogram") or []) if isinstance(b, dict) and "count" in b]
    if not buckets:
        return None
    computed = data.get("computed_tokens") or {}
    limits = [(name, float(v), color) for name, v, color in (
        ("per-example limit (billed up to)", data.get("example_cap"), "#c0392b"),
        ("training sequence length (longer examples truncated)", computed.get("seq_len"), "#7d3c98"))
        if _finite(v) and v > 0]
    buckets = _buckets_to(max([v for _, v, _ in limits], default=0), buckets)
    cats = [f"{b.get('lo', 0):,}–{b.get('hi', 0):,}" for b in buckets]
    fig = go.Figure(go.Bar(x=cats, y=[b["count"] for b in buckets], marker_color="#2e86c1", name="examples",
                           hovertemplate="%{x} tokens: %{y:,} examples<extra></extra>"))
    for k, (name, value, color) in enumerate(limits):
        pos = _position(value, buckets)
        if pos is None:
            continue
        fig.add_shape(type="line", x0=pos, x1=pos, y0=0, y1=1, yref="paper", line={"color": color, "dash": "dash", "width": 2})
        fig.add_annotation(x=pos, y=1 - 0.08 * k, yref="paper", text=f"{name}: {value:,.0f} tokens", showarrow=False,
                           xanchor="right", xshift=-4, yanchor="top", bgcolor="rgba(255,255,255,0.85)",
                           font={"color": color, "size": 12})
    fig.update_xaxes(title="tokens per example (power-of-two buckets)", type="category")
    fig.update_yaxes(title="examples")
    stats = (f"{count_text(data.get('examples') or 0)} examples, median {length.get('median'):,.0f} tokens, "
             f"longest {length.get('max'):,} tokens") if length.get("median") is not None else ""
    over = data.get("over_limit_examples")
    if over:
        stats += f"; {over:,} over the per-example limit"
    return _layout(fig, "Dataset: tokens per example", stats)


def _input_text(swing) -> str:
    def one(v: float) -> str:
        if swing.factor == "mfu":
            return f"{v:.0%}"
        if swing.factor == "price":
            return usd(v)
        if swing.factor == "tokens":
            return count_text(v)
        return f"{v:g}"
    return f"{one(swing.low_input)} → {one(swing.high_input)}"


def tornado(items: list) -> go.Figure | None:
    """items: estimator.sensitivity.Sensitivity, one subplot each."""
    items = [s for s in items if s.swings and _finite(s.base_cost_usd)]
    if not items:
        return None
    cols = 2 if len(items) > 1 else 1
    rows = math.ceil(len(items) / cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[f"<b>{esc(s.name)}</b>: {usd(s.base_cost_usd)}"
                                                               for s in items],
                        horizontal_spacing=0.25, vertical_spacing=min(0.3, 0.45 / rows))
    for k, s in enumerate(items):
        r, c = k // cols + 1, k % cols + 1
        swings = [w for w in s.swings if _finite(w.cost_at_low) and _finite(w.cost_at_high)]
        y = [f"{w.label.split(' (')[0]}<br>{_input_text(w)}" for w in swings]
        ends = []
        for end, color, attr in (("cost at the low end of the input's range", "#2e86c1", "cost_at_low"),
                                 ("cost at the high end of the input's range", "#e67e22", "cost_at_high")):
            values = [getattr(w, attr) for w in swings]
            ends += values
            fig.add_trace(go.Bar(y=y, x=[v - s.base_cost_usd for v in values], base=s.base_cost_usd, orientation="h",
                                 name=end, marker_color=color, showlegend=False,
                                 text=[usd(v) for v in values], textposition="outside", cliponaxis=False,
                                 textfont={"size": 11},
                                 hovertemplate="%{y}<br>cost %{text}<extra></extra>"), row=r, col=c)
        lo, hi = min([*ends, s.base_cost_usd]), max([*ends, s.base_cost_usd])
        pad = 0.22 * (hi - lo or abs(hi) or 1.0)
        fig.add_vline(x=s.base_cost_usd, line={"color": "#222", "width": 1}, row=r, col=c)
        fig.update_yaxes(autorange="reversed", row=r, col=c)
        fig.update_xaxes(tickprefix="$", range=[lo - pad, hi + pad], row=r, col=c)
    fig.update_layout(barmode="overlay")
    ranges = "<span style='color:#2e86c1'><b>Blue</b></span>: cost with the input at the low end of its range; " \
             "<span style='color:#e67e22'><b>orange</b></span>: at the high end; thin line: the estimate.<br>" \
             "Ranges: MFU P10–P90 of the matched published rule (±25% if none); price: cheapest to dearest " \
             "provider for that GPU; tokens ±25%; epochs ±1."
    fig = _layout(fig, "Sensitivity: how cost moves when one input moves (the others held)", ranges,
                  height=170 + 250 * rows)
    fig.update_layout(margin={"t": 165})
    return fig
