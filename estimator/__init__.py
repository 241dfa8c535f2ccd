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
    from estimator.plan.comparison import Comparison, compare
    from estimator.plan.estimation import estimate
    from estimator.plan.fit import fit
    from estimator.plan.grid import grid
    from estimator.plan.result import Estimate
    from estimator.plan.scenario import Scenario
    from estimator.plan.sensitivity import sensitivity
    from estimator.plan.validation import validate
    from estimator.present.report import write_report
    from estimator.tokens import DatasetProfile, count_tokens

_LAZY = {
    "estimate": ("plan.estimation", "estimate"), "Estimate": ("plan.result", "Estimate"),
    "Scenario": ("plan.scenario", "Scenario"), "load_catalog": ("catalog", "load_catalog"),
    "Catalog": ("catalog", "Catalog"), "count_tokens": ("tokens", "count_tokens"),
    "DatasetProfile": ("tokens", "DatasetProfile"), "compare": ("plan.comparison", "compare"),
    "Comparison": ("plan.comparison", "Comparison"), "grid": ("plan.grid", "grid"),
    "sensitivity": ("plan.sensitivity", "sensitivity"), "fit": ("plan.fit", "fit"),
    "validate": ("plan.validation", "validate"), "write_report": ("present.report", "write_report"),
    "plan": ("plan", None), "Plan": ("plan.budget", "Plan"),
    "serve": ("plan.serving", "serve"), "ServingPlan": ("plan.serving", "ServingPlan"),
    "rent_vs_buy": ("plan.ownership", "rent_vs_buy"),
}


def __dir__() -> list[str]:
    """The public names, lazy ones included (for completion)."""
    return sorted(set(globals()) | set(__all__))


def __getattr__(name: str) -> Any:
    """Import heavy modules (numpy, pandas, pydantic) only when first used."""
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        mod = importlib.import_module(f".{module}", __name__)
        value = mod if attr is None else getattr(mod, attr)  # estimator.plan: the package is callable
        globals()[name] = value
        return value
    raise AttributeError(f"module 'estimator' has no attribute '{name}'")
