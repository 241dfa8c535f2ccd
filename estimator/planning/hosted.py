"""Hosted fine-tuning services: which service a scenario means, and the givens its billing rules start from."""

from __future__ import annotations

import math

from estimator.catalog.loader import Catalog
from estimator.catalog.schema import ApiPrice, ModelSpec
from estimator.errors import ConfigurationError, UnknownIdError
from estimator.planning.engine import Given


def resolve_service(model: str, cat: Catalog) -> tuple[ModelSpec, ApiPrice]:
    """A model id (its default service) or a service id ('together/llama-3.1-8b-lora') -> (model, service)."""
    if isinstance(model, str) and "/" in model:
        api = cat.service(model)
        return cat.model(api.model), api
    spec = cat.model(model)
    api = cat.api_for(spec.id)
    if api is None:
        raise ConfigurationError(f"{spec.id} has no hosted fine-tuning service in the catalog (models with one: "
                                 f"{', '.join(cat.api_models())})")
    return spec, api


def is_service_id(model: object, cat: Catalog) -> bool:
    if not isinstance(model, str) or "/" not in model:
        return False
    try:
        cat.service(model)
    except UnknownIdError:
        return False
    return True


def service_givens(api: ApiPrice, cat: Catalog, hours_given: bool = False) -> tuple[dict[str, Given], list[str]]:
    """Billing and serving prices of one service as givens (NaN where the catalog has no figure)."""
    src = f"{api.source} (as of {api.as_of}; {cat.origin('apis', api.id)})"
    nan = float("nan")
    inf = api.inference_usd_per_1m_tokens

    def g(value, unit, label):
        return Given(nan if value is None else value, unit, src, "catalog", f"{api.id} {label}")

    out = {
        "api_billing": Given(api.billing, "", src, "catalog", f"{api.id} billing"),
        "api_serving": Given(api.serving, "", src, "catalog", f"{api.id} serving"),
        # the price of the other billing model does not apply (not missing): 0, labelled so (api_cost_usd picks)
        "training_usd_per_1m_tokens": g(api.training_usd_per_1m_tokens, "USD/1M tokens", "training price")
        if api.billing == "per_token" else Given(0.0, "USD/1M tokens", src, "catalog", "not billed per token"),
        "training_usd_per_hour": g(api.training_usd_per_hour, "USD/hour", "training price per hour")
        if api.billing == "per_training_hour" else Given(0.0, "USD/hour", src, "catalog", "not billed per hour"),
        "min_job_usd": Given(api.min_job_usd or 0.0, "USD", src, "catalog", f"{api.id} minimum fee per job"),
        "hosting_usd_per_hour": Given(api.hosting_usd_per_hour or 0.0, "USD/hour", src, "catalog",
                                      f"{api.id} hosting fee"),
        "storage_usd_per_month": Given(api.storage_usd_per_month or 0.0, "USD/month", src, "catalog",
                                       f"{api.id} storage fee"),
        "provisioned_usd_per_hour": g(api.provisioned_usd_per_hour, "USD/hour",
                                      "provisioned throughput per model unit")
        if api.serving == "provisioned_throughput" else Given(0.0, "USD/hour", src, "catalog", "not provisioned"),
        "provisioned_units": Given(1.0, "units", "assumption: one model unit (add more with --set provisioned_units=N)",
                                   "assumption", "model units"),
        "serving_input_usd_per_1m_tokens": g(inf.input if inf else None, "USD/1M tokens", "input price"),
        "serving_output_usd_per_1m_tokens": g(inf.output if inf else None, "USD/1M tokens", "output price"),
        "training_hours": Given(nan, "hours", "not predictable from the dataset for this service", "input",
                                "training hours (give with --set training_hours=H)"),
    }
    warnings = []
    if api.billing == "per_training_hour" and not hours_given:
        warnings.append(f"{api.id} bills training by the hour (${api.training_usd_per_hour:g}/h): the hours cannot be "
                        f"predicted from the dataset; give them with --set training_hours=H")
    if api.availability:
        warnings.append(f"Hosted fine-tuning of {api.model} may not be open to you: {api.availability}")
    return out, warnings


def missing_serving_prices(api: ApiPrice) -> list[str]:
    """Serving prices the catalog lacks for this service (the monthly serving cost is NaN until they are given)."""
    if api.serving == "provisioned_throughput":
        return [] if api.provisioned_usd_per_hour is not None else ["provisioned_usd_per_hour"]
    inf = api.inference_usd_per_1m_tokens
    if inf is None or inf.input is None or inf.output is None or math.isnan(inf.input):
        return ["serving_input_usd_per_1m_tokens", "serving_output_usd_per_1m_tokens"]
    return []
