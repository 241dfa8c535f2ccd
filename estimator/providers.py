"""Providers: quantities looked up or solved for (assumption tables, GPU count) rather than computed by a formula."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import assumptions as at
from .catalog import Catalog
from .engine import Evaluation, Given
from .rules.base import scalar


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


def deadline_provider(cat: Catalog, deadline_hours: float, overrides: dict[str, Any]):
    """Fewest GPUs (at least those that fit) that finish within the deadline; MFU depends on the count."""
    needs = ("gpus_to_fit", "train_flops", "peak_flops_per_gpu", "method", "gpu_generation", "gpu_vendor",
             "n_params", "model_family")

    def mfu_at(ev: Evaluation, g: Any) -> Any:
        if "mfu" in overrides:
            return overrides["mfu"]
        facts = {k: ev.values[k] for k in needs if k not in ("gpus_to_fit", "train_flops", "peak_flops_per_gpu")}
        facts["gpus"] = g
        base = overrides.get("mfu_base")
        if base is None:
            table = cat.assumption("mfu_base")
            base = at.lookup(table, "mfu_base", {k: facts[k] for k in at.facts_needed(table)}).value
        eff = overrides.get("method_efficiency")
        if eff is None:
            table = cat.assumption("method_efficiency")
            eff = at.lookup(table, "method_efficiency", {k: facts[k] for k in at.facts_needed(table)}).value
        return np.asarray(base, dtype=float) * np.asarray(eff, dtype=float)

    def provide(ev: Evaluation) -> Given:
        g = np.asarray(ev.values["gpus_to_fit"], dtype=float)
        for _ in range(20):
            need = np.ceil(ev.values["train_flops"] / (deadline_hours * 3600.0 * ev.values["peak_flops_per_gpu"]
                                                        * mfu_at(ev, g)) - 1e-9)
            new = np.maximum(g, need)
            if np.array_equal(new, g):
                break
            g = new
        return Given(scalar(g), "GPUs", f"deadline {deadline_hours:g} h", "rule",
                     "gpus = max(gpus_to_fit, ⌈C / (deadline · peak · MFU(gpus))⌉)")

    provide.needs = needs  # type: ignore[attr-defined]
    return provide
