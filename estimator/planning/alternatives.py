"""The fine-tuning alternative to pretraining: which catalog models fine-tune on a dataset within a budget.

Every candidate is an ordinary estimate (estimator.estimate) per model and method, and one per hosted service.
"""

from __future__ import annotations

from typing import Any

from estimator.catalog.loader import Catalog
from estimator.errors import EstimatorError

METHODS = ("full", "lora", "qlora")
MAX_PARAMS = 1e12  # skip models no single fine-tuning run in the catalog's hardware would be planned for


def finetune_alternatives(dataset: Any, budget_usd: float, *, gpu: str, provider: str | None, tier: str,
                          region: str | None, catalog: Catalog, models: list[str] | None = None) -> list[dict[str, Any]]:
    """One row per (model, method) and per hosted service: cost, GPUs, days, within budget; sorted by cost."""
    from estimator.planning.estimation import estimate

    rows: list[dict[str, Any]] = []
    ids = models or [m.id for m in catalog.models.values() if not m.api_only and (m.params or 0) <= MAX_PARAMS
                     and any(x in m.methods for x in METHODS)]
    for model_id in ids:
        spec = catalog.model(model_id)
        for method in (m for m in METHODS if m in spec.methods):
            try:
                e = estimate(method=method, model=model_id, dataset=dataset, gpu=gpu, provider=provider, tier=tier,
                             region=region, catalog=catalog)
            except EstimatorError as exc:
                rows.append({"route": f"{model_id} {method}", "model": model_id, "method": method, "cost_usd": None,
                             "within_budget": False, "note": str(exc).splitlines()[0]})
                continue
            rows.append({"route": f"{model_id} {method}", "model": model_id, "method": method,
                         "cost_usd": e.cost_usd, "gpus": e.values["gpus"], "wall_clock_days": e.values["wall_clock_days"],
                         "within_budget": bool(e.cost_usd <= budget_usd), "note": ""})
    for service_id, api in catalog.apis.items():
        if api.billing != "per_token":
            continue
        try:
            e = estimate(method="api", model=service_id, dataset=dataset, catalog=catalog)
        except EstimatorError as exc:
            rows.append({"route": service_id, "model": api.model, "method": "api", "cost_usd": None,
                         "within_budget": False, "note": str(exc).splitlines()[0]})
            continue
        rows.append({"route": service_id, "model": api.model, "method": "api", "cost_usd": e.cost_usd, "gpus": None,
                     "wall_clock_days": None, "within_budget": bool(e.cost_usd <= budget_usd),
                     "note": "; ".join(w for w in e.warnings if "not be open" in w)[:120]})
    rows.sort(key=lambda r: (r["cost_usd"] is None, r["cost_usd"] or 0.0))
    return rows
