"""The headline facts of a Comparison: cheapest and fastest routes to train, the lowest total with serving, and
what pretraining from scratch costs against each fine-tuning route. Every figure is read from the estimates, the
grid and the serving rows; nothing is recomputed."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def finite(x: Any) -> bool:
    """A real, finite number (not None, NaN or inf)."""
    return isinstance(x, (int, float)) and math.isfinite(x)


def headline(comparison) -> dict[str, Any]:
    """Cheapest and fastest routes to train, the lowest total (training + serving over the horizon), and
    scratch-vs-fine-tuning ratios (dollars and days)."""
    named = [(s.name or e.method, e) for s, e in zip(comparison.scenarios, comparison.estimates)]
    # a scratch run far below compute-optimal tokens would not give a usable model: not a "route"
    viable = [(n, e) for n, e in named if not (e.method == "pretrain" and e.values.get("tokens_vs_optimal", 1) < 0.5)]
    options = [{"name": n, "cost_usd": e.cost_usd, "wall_clock_days": e.values.get("wall_clock_days")}
               for n, e in viable]
    if comparison.grid is not None and len(comparison.grid):
        g = comparison.grid[comparison.grid["fits"].astype(bool)]
        if "tokens_vs_optimal" in g.columns:
            g = g[~((g["method"] == "pretrain") & (g["tokens_vs_optimal"] < 0.5))]
        g = g[np.isfinite(g["cost_usd"].astype(float))]
        if len(g):  # only the grid's own cheapest and fastest rows can win (no per-row Python)
            cost, days = g["cost_usd"].astype(float).to_numpy(), g["wall_clock_days"].astype(float).to_numpy()
            picks = {int(np.lexsort((days, cost))[0])}
            if np.isfinite(days).any():
                near = np.flatnonzero(days <= np.nanmin(days) * (1 + 1e-3))
                picks.add(int(near[np.lexsort((days[near], cost[near]))[0]]))
            options += [{"name": g["name"].iloc[k], "cost_usd": float(cost[k]), "wall_clock_days": float(days[k])}
                        for k in sorted(picks)]
    out: dict[str, Any] = {}
    priced = [o for o in options if finite(o["cost_usd"])]
    if priced:
        out["cheapest"] = min(priced, key=lambda o: (o["cost_usd"], o["wall_clock_days"] or 0.0))  # ties: faster
        timed = [o for o in priced if finite(o["wall_clock_days"])]
        if timed:
            # equal times (to 0.1%) go to the cheaper route: a faster-by-rounding $47 row never beats a $12 one
            quickest = min(o["wall_clock_days"] for o in timed)
            tied = [o for o in timed if o["wall_clock_days"] <= quickest * (1 + 1e-3)]
            out["fastest_on_gpus"] = min(tied, key=lambda o: (o["cost_usd"], o["wall_clock_days"]))
    scratch = [(n, e) for n, e in named if e.method == "pretrain"]
    tuned = [(n, e) for n, e in named if e.method != "pretrain"]
    ratios = []
    for sn, se in scratch:
        for tn, te in tuned:
            ratio = {"scratch": sn, "fine_tuning": tn,
                     "cost_ratio": se.cost_usd / te.cost_usd if finite(se.cost_usd) and finite(te.cost_usd)
                     and te.cost_usd else None}
            if finite(te.values.get("wall_clock_days")):
                ratio["days_ratio"] = se.values["wall_clock_days"] / te.values["wall_clock_days"]
            ratios.append(ratio)
    out["ratios"] = ratios
    if comparison.serving and comparison.traffic is not None:  # what a route costs once it also serves the traffic
        own = {e.model_id for _, e in named if e.method != "api"}  # the model the GPU routes tune
        totals = [{"name": n, "tco_usd": row["tco_usd"], "cost_usd": e.cost_usd, "serving_usd": row["serving_usd"],
                   "months": comparison.traffic.months, "model": e.model_id,
                   "other_model": bool(own) and e.model_id not in own}
                  for (n, e), row in zip(named, comparison.serving) if (n, e) in viable and finite(row.get("tco_usd"))]
        if totals:
            out["lowest_tco"] = min(totals, key=lambda o: o["tco_usd"])
    return out
