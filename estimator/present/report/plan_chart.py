"""The plan chart: the scaling fit's predicted loss against model size at one compute budget (D = C/(6N)), with the
compute-optimal size marked. A renderer only: the series and the marks come from estimator.planning.curves."""

from __future__ import annotations

import math

import plotly.graph_objects as go

from estimator.present.report.axes import count_axis, count_tick, layout, text
from estimator.present.report.facts import count_text

MARK_STYLE = ({"symbol": "star", "size": 18, "color": "#c0392b"}, {"symbol": "circle", "size": 12, "color": "#2e86c1"},
              {"symbol": "diamond", "size": 12, "color": "#7d3c98"})
LABEL_OFFSETS = ((-40, -50), (40, 50), (40, -90), (-40, 90))  # (ax, ay) px: neighbouring marks label on opposite sides


def mark_text(row) -> str:
    return (f"{count_text(row['params'])} parameters on {count_text(row['train_tokens'])} tokens "
            f"({row['tokens_per_param']:,.3g} per parameter), predicted loss {row['predicted_loss']:.3f}")


def loss_vs_size(curves, title_note: str) -> go.Figure:
    """Loss vs N (log axis) with the optimum (star) and any other marked sizes (the compared model, a plan)."""
    f, marks = curves.frame, curves.marks
    fig = go.Figure(go.Scatter(
        x=f["params"], y=f["predicted_loss"], mode="lines", name="predicted loss at this compute",
        line={"color": "#1c2833", "width": 2.5},
        customdata=[f"{count_tick(n)} params, {count_tick(d)} tokens ({r:,.3g} per param)" for n, d, r in
                    zip(f["params"], f["train_tokens"], f["tokens_per_param"])],
        hovertemplate="%{customdata}<br>loss %{y:.3f}<extra></extra>"))
    for i, row in enumerate(marks.to_dict("records")):
        style = MARK_STYLE[min(i, len(MARK_STYLE) - 1)]
        name = text(row["label"])
        fig.add_trace(go.Scatter(x=[row["params"]], y=[row["predicted_loss"]], mode="markers", name=name,
                                 marker=style, hovertemplate=f"{name}<br>{mark_text(row)}<extra></extra>"))
        ax, ay = LABEL_OFFSETS[i % len(LABEL_OFFSETS)]
        fig.add_annotation(x=_log(row["params"]), y=row["predicted_loss"], text=f"<b>{name}</b>: {count_tick(row['params'])}",
                           showarrow=True, arrowhead=0, arrowcolor="#99a3a4", ax=ax, ay=ay,
                           xanchor="right" if ax < 0 else "left", font={"size": 11}, bgcolor="rgba(255,255,255,0.85)")
    sizes = list(f["params"])  # a fixed range: plotly would widen it to fit the labels
    fig.update_xaxes(type="log", title="model size (parameters, log scale); tokens D = C / (6N)",
                     range=[_log(min(sizes)), _log(max(sizes))],
                     **count_axis(sizes))
    lo, hi = float(f["predicted_loss"].min()), float(f["predicted_loss"].max())
    fig.update_yaxes(title="predicted loss (nats/token)", range=[lo - 0.35 * (hi - lo), hi + 0.03 * (hi - lo)])
    fig.update_layout(showlegend=False)
    return layout(fig, f"Predicted loss vs model size at {flop_text(curves.values['compute_flops'])}",
                  f"{title_note}; D = C / (6N) tokens for N parameters; scaling fit '{curves.values['scaling']}'; "
                  "the loss is the fit's prediction, not a promise", height=460)


def _log(x: float) -> float:
    return math.log10(x)


SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def flop_text(c: float) -> str:
    """7.738e21 -> '7.74 × 10²¹ FLOP' (no exponent notation, no zetta prefix)."""
    exp = math.floor(math.log10(c))
    return f"{c / 10 ** exp:.3g} × 10{str(exp).translate(SUPERSCRIPT)} FLOP"
