"""The serving chart: monthly cost of serving the trained model against traffic (requests/day), per route, with
the break-even traffic between a hosted service and own GPUs marked. A renderer only: the series come from
estimator.planning.curves.serving_curves (the rules compare's serving table uses)."""

from __future__ import annotations

import math

import plotly.graph_objects as go

from estimator.present.report.axes import count_axis, layout, legend_below, money, money_axis, text

COLORS = ("#d68910", "#2e86c1", "#17a589", "#7d3c98", "#c0392b", "#5d6d7e", "#af601a", "#1f618d")


def monthly_vs_traffic(curves) -> go.Figure | None:
    f, marks = curves.frame, curves.marks
    if not len(f):
        return None
    fig = go.Figure()
    for i, (line, part) in enumerate(f.groupby("line", sort=False)):
        own = part["kind"].iloc[0] == "own"
        fig.add_trace(go.Scatter(
            x=part["requests_per_day"], y=part["usd_per_month"], mode="lines", name=text(line),
            line={"color": "#1c2833" if own else COLORS[i % len(COLORS)], "width": 3 if own else 2,
                  "shape": "hv" if own else "linear"},
            hovertemplate=text(line) + "<br>%{x:,.0f} requests/day: %{y:$,.2f}/month<br>routes: "
                          + text(part["routes"].iloc[0]) + "<extra></extra>"))
    shown = marks[marks["requests_per_day"].map(math.isfinite)] if len(marks) else marks
    for row in shown.to_dict("records"):
        fig.add_trace(go.Scatter(
            x=[row["requests_per_day"]], y=[row["usd_per_month"]], mode="markers",
            name=f"break-even: {text(row['service'])} vs own GPUs at {row['requests_per_day']:,.0f} requests/day",
            marker={"symbol": "diamond", "size": 13, "color": "#c0392b", "line": {"color": "#fff", "width": 1}},
            hovertemplate=f"above {row['requests_per_day']:,.0f} requests/day, {text(row['where'])} costs less than "
                          f"{text(row['service'])} ({money(row['usd_per_month'])}/month at the break-even)"
                          "<extra></extra>"))
    traffic = curves.values["traffic_requests_per_day"]
    if traffic > 0:
        fig.add_vline(x=traffic,  # shapes take data values on a log axis, annotations log10
                      line={"color": "#5d6d7e", "dash": "dot", "width": 1.5})
        lo, hi = math.log10(f["requests_per_day"].min()), math.log10(f["requests_per_day"].max())
        right_half = (math.log10(traffic) - lo) / (hi - lo or 1.0) > 0.6  # label on the side with room
        fig.add_annotation(x=math.log10(traffic), y=1, yref="paper", text=f"this comparison: {traffic:,.0f}/day",
                           showarrow=False, xanchor="right" if right_half else "left", yanchor="top", font={"size": 11, "color": "#424949"},
                           bgcolor="rgba(255,255,255,0.85)")
    values = [v for v in f["usd_per_month"] if math.isfinite(v) and v > 0]
    fig.update_xaxes(type="log", title="traffic (requests/day, log scale)", **count_axis(list(f["requests_per_day"])))
    fig.update_yaxes(type="log", title="serving cost (USD per month, log scale)", **money_axis(values, True))
    fig = layout(fig, "Serving cost per month vs traffic",
                 f"each request {curves.values['input_tokens']:,.0f} input + {curves.values['output_tokens']:,.0f} "
                 "output tokens; hosted services bill per token (plus any fixed monthly fee); own GPUs keep whole "
                 "replicas on all the time (steps: one more replica)", height=460)
    return legend_below(fig, len(fig.data), per_row=2)
