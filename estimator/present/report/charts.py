"""Plotly figures of a Comparison: cost per scenario, time vs cost, what the money pays for, memory per GPU.
Renderers only: every number comes from the Estimates or the grid; strings from user files go through
axes.text before they reach plotly (its labels read <b>, <br>, <a> as markup).
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from estimator.present.report.axes import (
    coords,
    finite,
    layout,
    log_room,
    money,
    money_axis,
    text,
    time_axis,
    wide,
)
from estimator.present.report.facts import grid_label, is_viable, pareto_front, time_text

UNUSABLE = "not a usable model: far too few tokens"
UNUSABLE_SHORT = "not usable"
MAX_POINTS = 5000  # scatter points drawn (all Pareto points are always kept)
MAX_LABELS = 12  # points labelled by name in the time-vs-cost chart (more: hover only)
COLORS = {"pretrain": "#c0392b", "full": "#2e86c1", "lora": "#17a589", "qlora": "#7d3c98", "api": "#d68910"}
COMPONENTS = (("weights", "#2e86c1"), ("gradients", "#f5b041"), ("optimizer", "#af7ac5"), ("activations", "#48c9b0"))
# the time-vs-cost chart's fixed vertical geometry (px), so its labels can be stacked without overlapping
SCATTER = {"height": 500, "b": 70, "gap": 17}


def cost_per_scenario(labels: list[str], estimates: list) -> go.Figure | None:
    rows = [(n, e) for n, e in zip(labels, estimates) if finite(e.cost_usd)]
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
    labels_text = [money(c) + ("" if is_viable(e) else f" ({UNUSABLE})") for c, (_, e) in zip(costs, rows)]
    names = [text(n) for n, _ in rows]
    fig = go.Figure(go.Bar(
        y=names, x=costs, orientation="h", marker_color=[COLORS.get(e.method, "#888") for _, e in rows],
        error_x=error_x, marker_opacity=[1.0 if is_viable(e) else 0.35 for _, e in rows],
        text=None if has_range else labels_text, textposition="outside", cliponaxis=False,
        customdata=labels_text, hovertemplate="%{y}<br>%{customdata}<extra></extra>", showlegend=False))
    ends = [max(c, q["p90"]) if q else c for q, c in zip(spread, costs)]
    if has_range:  # labels to the right of the whiskers, not on top of them
        fig.add_trace(go.Scatter(y=names, x=ends, mode="text", text=["  " + t for t in labels_text],
                                 textposition="middle right", showlegend=False, hoverinfo="skip", cliponaxis=False))
    log = wide(costs)
    lows = [q["p10"] for q in spread if q and finite(q["p10"]) and q["p10"] > 0]
    fig.update_xaxes(type="log" if log else "linear", title="cost (USD" + (", log scale: each step is 10×)" if log else ")"),
                     **money_axis([*costs, *ends, *lows], log))
    fig.update_yaxes(autorange="reversed")
    return layout(fig, "Cost per scenario", "colour = method; faded = not a usable route; log axis when costs differ "
                  "by more than 100×" + ("; whiskers = P10–P90 over the assumption ranges (MFU, price, memory headroom)"
                                         if has_range else ""),
                  height=max(320, 60 + 48 * len(rows)))


def _scatter_points(comparison, labels: list[str]) -> tuple[list[dict[str, Any]], str]:
    grid = getattr(comparison, "grid", None)
    points = []
    if grid is not None and len(grid) and "wall_clock_days" in grid.columns:
        for r in grid.to_dict("records"):
            if r.get("fits", True) is False or not (finite(r.get("wall_clock_days")) and finite(r.get("cost_usd"))):
                continue
            points.append({"label": grid_label(r), "days": r["wall_clock_days"], "cost": r["cost_usd"],
                           "method": r.get("method", ""), "viable": True})
        return points, "grid points (hardware × provider × GPU count)"
    for n, e in zip(labels, comparison.estimates):
        days = e.values.get("wall_clock_days")
        if finite(days) and finite(e.cost_usd):
            points.append({"label": n, "days": days, "cost": e.cost_usd, "method": e.method, "viable": is_viable(e)})
    return points, "scenarios"


def stack_labels(wanted: list[float], top: float, bottom: float, gap: float) -> list[float]:
    """Vertical label positions (px) as close as possible to `wanted`, at least `gap` apart, within [top, bottom].

    Labels on separate lines cannot overlap whatever the chart's width, which the page sets at display time.
    """
    order = sorted(range(len(wanted)), key=lambda i: wanted[i])
    placed = [0.0] * len(wanted)
    prev = top - gap
    for i in order:  # downwards: push each label below the one above
        placed[i] = prev = max(wanted[i], prev + gap)
    nxt = bottom + gap
    for i in reversed(order):  # upwards: pull back those pushed past the bottom
        placed[i] = nxt = min(placed[i], nxt - gap)
    return placed


def _label_annotations(points: list[dict[str, Any]], xs: list[float], ys: list[float], x_range: list[float],
                       y_range: list[float], top: float) -> list[dict]:
    plot_h = SCATTER["height"] - top - SCATTER["b"]
    wanted = [top + (1 - (y - y_range[0]) / (y_range[1] - y_range[0])) * plot_h for y in ys]
    placed = stack_labels(wanted, top + 8, top + plot_h - 8, SCATTER["gap"])
    out = []
    for p, x, y, want, at in zip(points, xs, ys, wanted, placed):
        left = (x - x_range[0]) / (x_range[1] - x_range[0]) > 0.5  # right half: label to the left of the point
        out.append(dict(x=x, y=y, xref="x", yref="y", text=text(p["label"]) + ("" if p["viable"] else
                                                                                 f" ({UNUSABLE_SHORT})"),
                        showarrow=True, arrowhead=0, arrowwidth=1, arrowcolor="#99a3a4", standoff=7,
                        ax=-18 if left else 18, ay=at - want, xanchor="right" if left else "left", yanchor="middle",
                        font={"size": 11, "color": "#1c2833"}, bgcolor="rgba(255,255,255,0.8)"))
    return out


def time_vs_cost(comparison, labels: list[str]) -> go.Figure | None:
    points, what = _scatter_points(comparison, labels)
    if not points:
        return None
    usable = [i for i, p in enumerate(points) if p["viable"]]
    front = [usable[j] for j in pareto_front([(points[i]["days"], points[i]["cost"]) for i in usable])]
    step = max(1, len(points) // MAX_POINTS)
    shown = sorted(set(front) | set(range(0, len(points), step)))
    fig = go.Figure()
    for method in dict.fromkeys(points[i]["method"] for i in shown):
        idx = [i for i in shown if points[i]["method"] == method]
        fig.add_trace(go.Scatter(
            x=[points[i]["days"] for i in idx], y=[points[i]["cost"] for i in idx], mode="markers", name=text(method),
            marker={"size": 11, "color": COLORS.get(method, "#888"),
                    "opacity": [0.85 if points[i]["viable"] else 0.3 for i in idx]},
            customdata=[f"{text(points[i]['label'])}<br>{money(points[i]['cost'])}, {time_text(points[i]['days'])}"
                        for i in idx], hovertemplate="%{customdata}<extra></extra>"))
    fig.add_trace(go.Scatter(
        x=[points[i]["days"] for i in front], y=[points[i]["cost"] for i in front], mode="lines+markers",
        name="best trade-offs<br>(Pareto front)", line={"color": "#222", "dash": "dot"},
        marker={"size": 16, "symbol": "circle-open", "color": "#222"}, hoverinfo="skip"))
    days, costs = [p["days"] for p in points], [p["cost"] for p in points]
    log_x, log_y = wide(days), wide(costs)
    xs, x_range = coords(days, log_x)
    ys, y_range = coords(costs, log_y)
    named = len(shown) <= MAX_LABELS
    fig.update_xaxes(type="log" if log_x else "linear", title="wall-clock time" + (" (log scale)" if log_x else ""),
                     automargin=False, tickangle=0, range=x_range, **time_axis(days, log_x, x_range))
    fig.update_yaxes(type="log" if log_y else "linear", title="cost (USD" + (", log scale)" if log_y else ")"),
                     range=y_range, **money_axis(costs, log_y, max(0.0, y_range[0]), y_range[1]))
    note = f"{len(points)} {what}" + (f", {len(shown)} drawn" if len(shown) < len(points) else "")
    if not named:
        note += "; hover over a point for its name"
    missing = [n for n, e in zip(labels, comparison.estimates) if not finite(e.values.get("wall_clock_days"))]
    if missing:
        note += f"; not shown (no training time stated): {text(', '.join(missing))}"
    fig = layout(fig, "Time vs cost: no route beats one on the dotted line on both", note, height=SCATTER["height"])
    fig.update_layout(margin={"b": SCATTER["b"]})
    if named:  # the title's height is known now: the labels' vertical slots depend on it
        fig.update_layout(annotations=_label_annotations([points[i] for i in shown], [xs[i] for i in shown],
                                                         [ys[i] for i in shown], x_range, y_range,
                                                         fig.layout.margin.t))
    return fig


def cost_breakdown(labels: list[str], estimates: list) -> go.Figure | None:
    rows = [(n, e) for n, e in zip(labels, estimates) if finite(e.cost_usd)]
    if not rows:
        return None
    series = (
        ("GPU rental (compute)", "#2e86c1", [e.cost_usd if e.method != "api" else None for _, e in rows]),
        ("of which electricity", "#f5b041",
         [e.values.get("energy_cost_usd") if e.method != "api" else None for _, e in rows]),
        ("hosted API fees", "#d68910", [e.values.get("api_cost_usd") if e.method == "api" else None for _, e in rows]),
    )
    fig = go.Figure()
    all_values = []
    for name, color, values in series:
        if not any(finite(v) for v in values):
            continue
        all_values += [v for v in values if finite(v)]
        fig.add_trace(go.Bar(y=[text(n) for n, _ in rows], x=values, name=name, orientation="h", marker_color=color,
                             text=[money(v) if finite(v) else "" for v in values], textposition="outside",
                             cliponaxis=False, hovertemplate="%{y}: %{text}<extra>" + name + "</extra>"))
    log = wide(all_values)
    fig.update_layout(barmode="group")
    fig.update_xaxes(type="log" if log else "linear", title="USD" + (" (log scale)" if log else ""),
                     range=log_room(all_values) if log else None, **money_axis(all_values, log))
    fig.update_yaxes(autorange="reversed")
    return layout(fig, "What the money pays for", "electricity: an estimate of the share of the rental price that "
                  "pays for power; it is not added on top", height=max(340, 80 + 60 * len(rows)))


def memory_per_gpu(labels: list[str], estimates: list) -> go.Figure | None:
    rows = [(n, e, e.memory_breakdown_gb()) for n, e in zip(labels, estimates) if e.method != "api"]
    rows = [r for r in rows if r[2]]
    if not rows:
        return None
    y = [f"{text(n)} ({e.values.get('gpus', 0):.0f} × {text(e.gpu_id)})" for n, e, _ in rows]
    fig = go.Figure()
    for comp, color in COMPONENTS:
        fig.add_trace(go.Bar(y=y, x=[m.get(comp, 0) for _, _, m in rows], name=comp, orientation="h",
                             marker_color=color, hovertemplate="%{y}<br>" + comp + ": %{x:.1f} GB<extra></extra>"))
    for key, name, color in (("usable", "usable for training", "#c0392b"), ("capacity", "card capacity", "#222")):
        fig.add_trace(go.Scatter(y=y, x=[m[key] for _, _, m in rows], mode="markers", name=name,
                                 marker={"symbol": "line-ns-open", "size": 26, "color": color, "line": {"width": 3}},
                                 hovertemplate=name + ": %{x:.1f} GB<extra></extra>"))
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title="GB per GPU", rangemode="tozero")
    fig.update_yaxes(autorange="reversed")
    return layout(fig, "Memory per GPU, by component, against the card's capacity",
                  "model states are split across GPUs (ZeRO-3); each bar must end left of the red mark",
                  height=max(320, 80 + 55 * len(rows)))
