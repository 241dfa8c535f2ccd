"""The sensitivity chart: one small tornado per scenario from estimator.planning.sensitivity (the cost with one
input at the low or high end of its range, the others held)."""

from __future__ import annotations

import plotly.graph_objects as go

from estimator.present.report.axes import finite, layout, money, money_axis, text
from estimator.present.report.facts import count_text


def _input_text(swing) -> str:
    def one(v: float) -> str:
        if swing.factor == "mfu":
            return f"{v:.0%}"
        if swing.factor == "price":
            return money(v)
        if swing.factor == "tokens":
            return count_text(v)
        return f"{v:g}"
    return f"{one(swing.low_input)} → {one(swing.high_input)}"


CAPTION = ("Ranges: MFU P10–P90 of the matched published rule (±25% if none); price: cheapest to dearest "
           "provider for that GPU; tokens ±25%; epochs ±1.")


def tornado_one(s) -> go.Figure | None:
    """One scenario's tornado (items of estimator.planning.sensitivity.Sensitivity)."""
    swings = [w for w in s.swings if finite(w.cost_at_low) and finite(w.cost_at_high)]
    if not swings or not finite(s.base_cost_usd):
        return None
    fig = go.Figure()
    y = [f"{w.label.split(' (')[0]}<br>{_input_text(w)}" for w in swings]
    ends = []
    for end, color, attr in (("cost at the low end of the input's range", "#2e86c1", "cost_at_low"),
                             ("cost at the high end of the input's range", "#e67e22", "cost_at_high")):
        values = [getattr(w, attr) for w in swings]
        ends += values
        fig.add_trace(go.Bar(y=y, x=[v - s.base_cost_usd for v in values], base=s.base_cost_usd, orientation="h",
                             name=end, marker_color=color, showlegend=False,
                             text=[money(v) for v in values], textposition="outside", cliponaxis=False,
                             textfont={"size": 11}, hovertemplate="%{y}<br>cost %{text}<extra></extra>"))
    lo, hi = min([*ends, s.base_cost_usd]), max([*ends, s.base_cost_usd])
    pad = 0.25 * (hi - lo or abs(hi) or 1.0)
    fig.add_vline(x=s.base_cost_usd, line={"color": "#222", "width": 1})
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(range=[lo - pad, hi + pad], **money_axis(ends, False, max(0.0, lo - pad), hi + pad))
    fig.update_layout(barmode="overlay")
    fig = layout(fig, f"{text(s.name)}: {money(s.base_cost_usd)}", height=110 + 62 * len(swings))
    fig.update_layout(margin={"t": 40, "b": 30}, title={"font": {"size": 14}})
    return fig


def tornadoes(items: list) -> list[go.Figure]:
    """A small tornado per scenario (the page lays them out two abreast, or one under 900 px)."""
    return [f for f in (tornado_one(s) for s in items) if f is not None]
