"""A scenario's model: a catalog id or an inline spec, and whether it supports the method asked for."""

from __future__ import annotations

from typing import Any

from estimator.catalog.loader import Catalog
from estimator.errors import ConfigurationError, EstimatorError
from estimator.planning.givens import complete_catalog_model, inline_model


def model_for(model: str | dict[str, Any], cat: Catalog) -> tuple[Any, list[str]]:
    """(ModelSpec, warnings) for a catalog id (aliases and case accepted) or an inline spec dict."""
    if isinstance(model, dict):
        return inline_model(model)
    if "/" in str(model):  # a hosted service id ('together/llama-3.1-8b-lora') names its model
        from estimator.planning.hosted import is_service_id

        if is_service_id(model, cat):
            return complete_catalog_model(cat.model(cat.service(model).model))
    return complete_catalog_model(cat.model(model))


def method_error(spec: Any, method: str, cat: Catalog) -> EstimatorError | None:
    """Why `spec` cannot be trained with `method` (None if it can)."""
    if method == "api" and cat.api_for(spec.id) is None:
        offered = ", ".join(cat.api_models())
        return ConfigurationError(f"{spec.id} has no hosted fine-tuning API in the catalog (models with one: {offered})")
    if method not in spec.methods and not (method == "api" and cat.api_for(spec.id) is not None):
        if spec.api_only:
            return ConfigurationError(f"{spec.id} is offered only through a hosted fine-tuning API (weights are not "
                                      f"public): use method 'api'")
        return ConfigurationError(f"{spec.id} does not support method '{method}' (supports {', '.join(spec.methods)})")
    return None
