"""Providers: quantities looked up or solved for (assumption tables, GPU count) rather than computed by a formula."""

from __future__ import annotations

from typing import Any

import numpy as np

from estimator.catalog.loader import Catalog
from estimator.plan import assumptions as at
from estimator.plan.engine import Evaluation, Given
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
    capped = np.minimum(g.value, ev.values["context"])
    formula = g.formula + " capped at the model context" if np.any(capped != g.value) else g.formula
    return Given(scalar(capped), g.unit, g.source, g.kind, formula)


def fit_provider():
    def provide(ev: Evaluation) -> Given:
        return Given(ev.values["gpus_to_fit"], "GPUs", "fewest GPUs whose per-GPU memory fits (ZeRO sharding)",
                     "rule", "gpus = gpus_to_fit")

    provide.needs = ("gpus_to_fit",)  # type: ignore[attr-defined]
    return provide


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


def deadline_provider(cat: Catalog, deadline_hours: Any, given: dict[str, Given], overrides: dict[str, Any],
                      providers: dict[str, Any]):
    """Fewest GPUs (at least those that fit) that finish within the deadline.

    MFU depends on the GPU count through the assumption tables, so each band between the tables' GPU
    thresholds is tried at its own MFU (evaluated through the rules, as the estimate itself does) and
    the smallest count that meets the deadline wins.
    """
    from estimator.plan.engine import evaluate
    from estimator.rules import REGISTRY

    needs = ("gpus_to_fit", "train_flops", "peak_flops_per_gpu")
    bands = [1.0, *gpu_breakpoints(cat)]

    def mfu_at(g: Any) -> np.ndarray:
        sub = {k: v for k, v in providers.items() if k != "gpus"}
        ev = evaluate(REGISTRY, ["mfu"], {**given, "gpus": Given(g, "GPUs")},
                      {k: v for k, v in overrides.items() if k != "gpus"}, sub)
        return np.asarray(ev.values["mfu"], dtype=float)

    def provide(ev: Evaluation) -> Given:
        fit = np.asarray(ev.values["gpus_to_fit"], dtype=float)
        flops, peak = ev.values["train_flops"], ev.values["peak_flops_per_gpu"]
        seconds = np.asarray(deadline_hours, dtype=float) * 3600.0
        shape = np.broadcast_shapes(np.shape(fit), np.shape(flops), np.shape(peak), np.shape(seconds))
        best = np.full(shape, np.inf)
        with np.errstate(all="ignore"):
            for band in bands:
                start = np.maximum(fit, band)
                g = np.maximum(start, np.ceil(flops / (seconds * peak * mfu_at(start)) - 1e-9))
                g = np.where(np.isfinite(g), g, np.inf)
                ok = flops / (g * peak * mfu_at(np.where(np.isfinite(g), g, 1.0))) <= seconds * (1 + 1e-9)
                best = np.where(ok & (g < best), g, best)
        label = f"{float(deadline_hours):g} h" if np.ndim(deadline_hours) == 0 else "per row"
        return Given(scalar(best), "GPUs", f"deadline {label}", "rule",
                     "gpus = fewest ≥ gpus_to_fit with C / (gpus · peak · MFU(gpus)) ≤ deadline, per MFU band")

    provide.needs = needs  # type: ignore[attr-defined]
    return provide
