"""Rent or buy: the owned $/GPU-hour of a GPU type and the months of use after which buying beats each rental tier.

Both numbers come from the owned-hardware rules (rules/owned.py), evaluated once over every rental price listed for
the GPU (one row per provider and tier).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from estimator.catalog.loader import Catalog
from estimator.errors import ConfigurationError
from estimator.planning import assumptions as at
from estimator.planning.engine import Evaluation, Given, Step, evaluate
from estimator.planning.givens import energy_givens, hardware_givens, owned_givens
from estimator.planning.providers import assumption_provider
from estimator.planning.traced import explain_steps
from estimator.rules import REGISTRY

TARGETS = ["owned_usd_per_gpu_hour", "owned_cluster_usd_per_gpu", "owned_energy_usd_per_hour", "breakeven_months"]


@dataclass
class RentVsBuy:
    gpu: str
    owned_usd_per_gpu_hour: float
    cluster_usd_per_gpu: float
    rows: list[dict[str, Any]]  # provider, tier, rental_usd_per_gpu_hour, breakeven_months
    steps: list[Step] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"gpu": self.gpu, "owned_usd_per_gpu_hour": self.owned_usd_per_gpu_hour,
                "cluster_usd_per_gpu": self.cluster_usd_per_gpu, "breakeven": self.rows}

    def explain(self) -> str:
        return explain_steps(f"owned {self.gpu}: $/GPU-hour and break-even vs renting", self.steps, self.values,
                             self.warnings)


def owned_inputs(cat: Catalog, gpu: str, region: str | None, overrides: dict[str, Any]) -> tuple[dict, dict, Any]:
    """Givens and assumption providers the owned-hardware rules need for one GPU type."""
    hw = cat.gpu(gpu)
    dtype = str(overrides.get("dtype") or at.lookup(cat.assumption("dtype"), "dtype", {}).value)
    given: dict[str, Given] = {"dtype": Given(dtype, "", "the 'dtype' table or --set", "input", "precision")}
    given |= hardware_givens(hw, cat.origin("hardware", hw.id), dtype)
    given |= energy_givens(cat, region)
    given |= owned_givens(hw, cat)
    if not np.isfinite(given["purchase_usd_per_gpu"].value) and "purchase_usd_per_gpu" not in overrides:
        raise ConfigurationError(f"owned {hw.id} needs a purchase price: --set purchase_usd_per_gpu=N, or add a capex "
                                 f"row for {hw.id} with --catalog")
    providers = {name: assumption_provider(cat, name) for name in cat.assumptions if name != "dtype"}
    return given, providers, hw


def rent_vs_buy(gpu: str, cat: Catalog, *, region: str | None = None, overrides: dict[str, Any] | None = None,
                tier: str | None = None) -> RentVsBuy:
    """Owned $/GPU-hour and break-even months against every listed rental price of `gpu` (optionally one tier)."""
    overrides = dict(overrides or {})
    given, providers, hw = owned_inputs(cat, gpu, region, overrides)
    rentals = [p for p in cat.prices_for(hw.id, tier)]
    if not rentals:
        raise ConfigurationError(f"no rental price listed for {hw.id}{f' ({tier})' if tier else ''}: nothing to "
                                 f"compare owning against")
    given["rental_usd_per_gpu_hour"] = Given(np.array([p.usd_per_gpu_hour for p in rentals]), "USD/GPU-hour",
                                             "price table (one row per provider and tier)", "catalog", "rental prices")
    ev: Evaluation = evaluate(REGISTRY, TARGETS, given, {k: v for k, v in overrides.items() if k != "dtype"},
                              providers)
    months = np.broadcast_to(np.asarray(ev.values["breakeven_months"], dtype=float), (len(rentals),))
    rows = [{"provider": p.provider, "tier": p.tier, "rental_usd_per_gpu_hour": p.usd_per_gpu_hour,
             "breakeven_months": float(m), "as_of": p.as_of} for p, m in zip(rentals, months)]
    rows.sort(key=lambda r: (r["breakeven_months"], r["provider"]))
    values = {k: (np.asarray(v).item() if np.ndim(v) == 0 else v) for k, v in ev.values.items()}
    steps = [s for s in ev.trace_for(TARGETS) if s.name != "breakeven_months" and s.name != "rental_usd_per_gpu_hour"]
    return RentVsBuy(hw.id, float(values["owned_usd_per_gpu_hour"]), float(values["owned_cluster_usd_per_gpu"]), rows,
                     steps, values)
