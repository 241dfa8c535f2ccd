"""Providers: quantities looked up or solved for (assumption tables, GPU count) rather than computed by a formula."""

from __future__ import annotations

from typing import Any

import numpy as np

from estimator.catalog.loader import Catalog
from estimator.planning import assumptions as at
from estimator.planning.engine import Evaluation, Given
from estimator.rules.base import scalar


def assumption_provider(cat: Catalog, name: str, transform=None, extra_needs: tuple[str, ...] = ()):
    table = cat.assumption(name)
    facts = at.facts_needed(table)
    needs = tuple(dict.fromkeys((*facts, *extra_needs)))

    def provide(ev: Evaluation) -> Given:
        g = at.lookup(table, name, {k: ev.values[k] for k in facts})
        return transform(g, ev) if transform else g

    provide.needs = needs  # type: ignore[attr-defined]
    return provide


def cap_seq_len(g: Given, ev: Evaluation) -> Given:
    capped = np.fmin(g.value, ev.values["context"])  # fmin: a model without a stated context (NaN) caps nothing
    formula = g.formula + " capped at the model context" if np.any(capped != g.value) else g.formula
    return Given(scalar(capped), g.unit, g.source, g.kind, formula)


def gpu_breakpoints(cat: Catalog) -> list[float]:
    """GPU counts where an assumption table's `gpus` condition changes (e.g. '>=1024' -> 1024, '<=16' -> 17)."""
    import math

    points: set[float] = set()
    for table in cat.assumptions.values():
        for rule in table.rules:
            cond = rule.when.get("gpus")
            m = at.CMP.match(cond) if isinstance(cond, str) else None
            if not m:
                continue
            op, n = m.group(1), float(m.group(2))
            points.add({">=": math.ceil(n), ">": math.floor(n) + 1, "<=": math.floor(n) + 1, "<": math.ceil(n),
                        "==": n, "!=": n}[op])
            if op in ("==", "!="):
                points.add(n + 1)
    return sorted(p for p in points if p >= 1)


def gpus_provider(cat: Catalog, deadline_hours: Any, given: dict[str, Given], overrides: dict[str, Any],
                  providers: dict[str, Any]):
    """GPUs a row uses when it gives no count: the fewest that fit in memory, or with a deadline (NaN where a
    row has none) the fewest that fit and finish in time."""
    deadline = np.asarray(deadline_hours, dtype=float)
    has_deadline = ~np.isnan(deadline)

    def provide(ev: Evaluation) -> Given:
        fit = whole_servers(np.asarray(ev.values["gpus_to_fit"], dtype=float))
        if not has_deadline.any():
            return Given(scalar(fit), "GPUs", "fewest GPUs whose per-GPU memory fits (ZeRO sharding), whole 8-GPU "
                         "servers beyond one", "rule", "gpus = gpus_to_fit, rounded up to whole servers beyond 8")
        solved = solve_deadline(ev, deadline, given, overrides, providers, gpu_breakpoints(cat))
        value = np.where(has_deadline, solved, fit)
        label = f"{float(deadline):g} h" if deadline.ndim == 0 else "per row"
        return Given(scalar(value), "GPUs", f"deadline {label}" if has_deadline.all() else "fit, or the deadline per row",
                     "rule", "gpus = fewest ≥ gpus_to_fit with wall_clock_hours(gpus) ≤ deadline")

    provide.needs = ("gpus_to_fit",)  # type: ignore[attr-defined]
    return provide


NODE_GPUS = 8  # GPUs per server (DGX/HGX systems; 8-GPU cloud instances such as p5.48xlarge, ND H100 v5)


def solve_deadline(ev: Evaluation, deadline: np.ndarray, given: dict[str, Given], overrides: dict[str, Any],
                   providers: dict[str, Any], breakpoints: list[float], max_rounds: int = 60) -> np.ndarray:
    """Fewest GPUs (at least those that fit) whose wall clock, evaluated by the rules, meets the deadline.

    From each start (the fewest that fit, and every GPU count where an assumption table's `gpus` band
    begins), fixed-point iteration g ← max(g, ⌈g · T(g) / deadline⌉), with T the `wall_clock_hours` rule
    at g GPUs (utilisation may change with g, so each round re-evaluates it). Where GPU-hours g·T(g) do
    not fall as g grows, this climbs to the least count that meets the deadline; bands where utilisation
    steps are each searched from their start. The smallest count that meets the deadline wins, rounded up to
    whole 8-GPU servers once it needs more than one.
    """
    from estimator.planning.engine import evaluate
    from estimator.rules import REGISTRY

    sub = {k: v for k, v in providers.items() if k != "gpus"}
    known = {k: Given(v) for k, v in ev.values.items() if k in ("gpus_to_fit",)}

    def hours_at(g: np.ndarray) -> np.ndarray:
        run = evaluate(REGISTRY, ["wall_clock_hours"], {**given, **known, "gpus": Given(g, "GPUs")},
                       {k: v for k, v in overrides.items() if k != "gpus"}, sub)
        return np.asarray(run.values["wall_clock_hours"], dtype=float)

    fit = np.asarray(ev.values["gpus_to_fit"], dtype=float)
    shape = np.broadcast_shapes(fit.shape, deadline.shape)
    best = np.full(shape, np.inf)
    with np.errstate(all="ignore"):
        for start in [1.0, *breakpoints]:
            g = np.broadcast_to(np.maximum(fit, start), shape).copy()
            g[~np.isfinite(g)] = np.nan
            for _ in range(max_rounds):
                hours = np.broadcast_to(hours_at(np.where(np.isnan(g), 1.0, g)), shape)
                need = np.maximum(g, np.ceil(g * hours / deadline - 1e-9))
                need[~np.isfinite(need) | (need > 1e9)] = np.nan
                if np.array_equal(need, g, equal_nan=True):
                    break
                g = need
            ok = np.broadcast_to(hours_at(np.where(np.isnan(g), 1.0, g)), shape) <= deadline * (1 + 1e-9)
            best = np.where(ok & ~np.isnan(g) & (g < best), g, best)
    return whole_servers(best)


def whole_servers(gpus: np.ndarray) -> np.ndarray:
    """Beyond one server, clusters are rented and built in whole 8-GPU servers (NVIDIA DGX/HGX A100, H100, B200 hold
    8 GPUs; cloud multi-node instances are 8-GPU VMs): 9 GPUs means 2 servers, so the count is 16."""
    return np.where(gpus > NODE_GPUS, np.ceil(gpus / NODE_GPUS) * NODE_GPUS, gpus)
