"""estimator: what it costs to train a language model from scratch vs fine-tune one.

    import estimator
    e = estimator.estimate(method="pretrain", model="llama-2-7b", tokens=2e12, gpu="a100-80gb", gpus=2048)
    e.gpu_hours, e.cost_usd; print(e.explain())
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["estimate", "Estimate", "compare", "Comparison", "grid", "sensitivity", "fit", "validate", "write_report",
           "plan", "Plan", "serve", "ServingPlan", "rent_vs_buy",
           "Scenario", "load_catalog", "Catalog", "count_tokens", "DatasetProfile",
           "EstimatorError", "CatalogError", "UnknownIdError", "ConfigurationError", "DatasetError"]

from estimator.errors import CatalogError, ConfigurationError, DatasetError, EstimatorError, UnknownIdError

if TYPE_CHECKING:
    from estimator.catalog.loader import Catalog, load_catalog
    from estimator.planning.budget import Plan, plan
    from estimator.planning.comparison import Comparison, compare
    from estimator.planning.estimation import estimate
    from estimator.planning.fit import fit
    from estimator.planning.grid import grid
    from estimator.planning.ownership import rent_vs_buy
    from estimator.planning.result import Estimate
    from estimator.planning.scenario import Scenario
    from estimator.planning.sensitivity import sensitivity
    from estimator.planning.serving import ServingPlan, serve
    from estimator.planning.validation import validate
    from estimator.present.report import write_report
    from estimator.tokens import DatasetProfile, count_tokens

_LAZY = {
    "estimate": ("planning.estimation", "estimate"), "Estimate": ("planning.result", "Estimate"),
    "Scenario": ("planning.scenario", "Scenario"), "load_catalog": ("catalog", "load_catalog"),
    "Catalog": ("catalog", "Catalog"), "count_tokens": ("tokens", "count_tokens"),
    "DatasetProfile": ("tokens", "DatasetProfile"), "compare": ("planning.comparison", "compare"),
    "Comparison": ("planning.comparison", "Comparison"), "grid": ("planning.grid", "grid"),
    "sensitivity": ("planning.sensitivity", "sensitivity"), "fit": ("planning.fit", "fit"),
    "validate": ("planning.validation", "validate"), "write_report": ("present.report", "write_report"),
    "plan": ("planning.budget", "plan"), "Plan": ("planning.budget", "Plan"),
    "serve": ("planning.serving", "serve"), "ServingPlan": ("planning.serving", "ServingPlan"),
    "rent_vs_buy": ("planning.ownership", "rent_vs_buy"),
}


def __dir__() -> list[str]:
    """The public names, lazy ones included (for completion)."""
    return sorted(set(globals()) | set(__all__))


def __getattr__(name: str) -> Any:
    """Import heavy modules (numpy, pandas, pydantic) only when first used."""
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(f".{module}", __name__), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'estimator' has no attribute '{name}'")
