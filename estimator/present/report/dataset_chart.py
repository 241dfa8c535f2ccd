"""The dataset chart: the profile's tokens-per-example histogram with the billing limit and the training
sequence length marked. Every number comes from the DatasetProfile."""

from __future__ import annotations

import math
from typing import Any

import plotly.graph_objects as go

from estimator.present.report.axes import finite, layout
from estimator.present.report.facts import count_text


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
        if finite(v) and v > 0]
    buckets = _buckets_to(max([v for _, v, _ in limits], default=0), buckets)
    cats = [f"{b.get('lo', 0):,}–{b.get('hi', 0):,}" for b in buckets]
    # a profile standing for a larger job (--examples, or a sample) draws its counted histogram at that size
    scale = float((data.get("sample") or {}).get("factor") or 1.0)
    fig = go.Figure(go.Bar(x=cats, y=[b["count"] * scale for b in buckets], marker_color="#2e86c1", name="examples",
                           hovertemplate="%{x} tokens: %{y:,.0f} examples<extra></extra>"))
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
    if scale != 1.0:
        counted = sum(b["count"] for b in buckets)
        stats += f"; bars: the {counted:,} counted examples × {scale:,.4g}"
    over = data.get("over_limit_examples")
    if over:
        stats += f"; {over:,} over the per-example limit"
    return layout(fig, "Dataset: tokens per example", stats)
