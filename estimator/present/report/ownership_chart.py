"""The rent-vs-buy chart: cumulative cost per GPU of owning (bought up front, then energy) against renting the same
busy hours, month by month, with each break-even marked. A renderer only: estimator.planning.curves builds it."""

from __future__ import annotations

import math

import plotly.graph_objects as go

from estimator.present.report.axes import layout, legend_below, money, money_axis, text

OWNED_COLOR = "#1c2833"
RENT_COLORS = ("#2e86c1", "#e67e22", "#17a589", "#7d3c98", "#c0392b")


def months_text(m: float) -> str:
    return "never (renting costs less than the energy)" if not math.isfinite(m) else f"{m:,.1f} months"


def cumulative_cost(curves) -> go.Figure:
    f, marks = curves.frame, curves.marks
    fig = go.Figure()
    own = f[f["provider"] == "owned"]
    fig.add_trace(go.Scatter(x=own["month"], y=own["usd_per_gpu"], mode="lines", name="own (bought): cluster cost "
                             f"up front, then energy ({money(curves.values['owned_usd_per_gpu_hour'])}/GPU-h amortised)",
                             line={"color": OWNED_COLOR, "width": 3},
                             hovertemplate="own, month %{x:.1f}: %{y:$,.0f}<extra></extra>"))
    for i, row in enumerate(marks.to_dict("records")):
        color = RENT_COLORS[i % len(RENT_COLORS)]
        line = f[f["line"] == row["line"]]
        label = (f"{text(row['line'])} ({money(row['rental_usd_per_gpu_hour'])}/GPU-h): buying pays off after "
                 f"{months_text(row['breakeven_months'])}")
        fig.add_trace(go.Scatter(x=line["month"], y=line["usd_per_gpu"], mode="lines", name=label,
                                 line={"color": color, "width": 2, "dash": "solid" if i == 0 else "dash"},
                                 legendgroup=row["line"],
                                 hovertemplate=text(row["line"]) + ", month %{x:.1f}: %{y:$,.0f}<extra></extra>"))
        if math.isfinite(row["breakeven_months"]):
            fig.add_trace(go.Scatter(x=[row["breakeven_months"]], y=[row["usd_per_gpu"]], mode="markers",
                                     name=f"break-even vs {text(row['line'])}", showlegend=False,
                                     legendgroup=row["line"],
                                     marker={"symbol": "x", "size": 13, "color": color, "line": {"width": 1}},
                                     hovertemplate=f"break-even vs {text(row['line'])}: "
                                                   f"{months_text(row['breakeven_months'])}<extra></extra>"))
    fig.update_xaxes(title="months of use", range=[0, curves.values["horizon_months"]], rangemode="tozero")
    fig.update_yaxes(title="cumulative cost per GPU (USD)", **money_axis(list(f["usd_per_gpu"]), False))
    fig = layout(fig, f"Rent or buy {text(curves.values['gpu'])}: cumulative cost per GPU",
                 "buying pays the whole cluster (GPUs, server share, network) at month 0, then energy; renting pays "
                 "the same busy hours; × marks where buying becomes cheaper. Per GPU: × 8 for one server",
                 height=440)
    return legend_below(fig, 1 + len(marks), per_row=1)
