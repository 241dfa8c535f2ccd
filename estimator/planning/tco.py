"""Serving what each route trained, over a horizon: the cost of keeping the model available and answering the
traffic, and total cost of ownership (training + serving) per route.

Hosted routes: the service's serving rules (per-token prices, hourly hosting, provisioned throughput, storage) in
rules/api_billing.py. Own-GPU routes: estimator.serve() of the model on the same GPU type and provider.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from estimator.catalog.loader import Catalog
from estimator.errors import ConfigurationError, EstimatorError
from estimator.planning.engine import Given, evaluate
from estimator.planning.hosted import missing_serving_prices, resolve_service, service_givens
from estimator.rules import REGISTRY

API_TARGETS = ["monthly_input_tokens", "monthly_output_tokens", "api_serving_usd_per_month"]


@dataclass(frozen=True)
class Traffic:
    requests_per_day: float = 0.0
    input_tokens: float = 1000.0
    output_tokens: float = 1000.0
    months: float = 12.0


def hosted_serving(model: str, traffic: Traffic, cat: Catalog, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Serving cost of a hosted service's tuned model over the horizon (NaN where the catalog lacks a price)."""
    _, api = resolve_service(model, cat)
    given, _ = service_givens(api, cat)
    for name, value, unit in (("requests_per_day", traffic.requests_per_day, "requests/day"),
                              ("input_tokens", traffic.input_tokens, "tokens"),
                              ("output_tokens", traffic.output_tokens, "tokens")):
        given[name] = Given(value, unit, "input", "input", name)
    ev = evaluate(REGISTRY, API_TARGETS, given, {k: v for k, v in (overrides or {}).items()
                                                 if k in given or k in REGISTRY.rules}, {})
    monthly = float(np.asarray(ev.values["api_serving_usd_per_month"]).reshape(-1)[0])
    missing = [m for m in missing_serving_prices(api) if m not in (overrides or {})]
    note = api.serving.replace("_", " ")
    if missing and (traffic.requests_per_day > 0 or api.serving == "provisioned_throughput"):
        monthly = float("nan")
        note += f"; price not in the catalog (--set {missing[0]}=...)"
    return {"serving_usd": monthly * traffic.months, "serving_basis": note, "service": api.id,
            "service_source": f"{api.source} (as of {api.as_of})", "source": _site(api.source)}


def _site(source: str) -> str:
    """The first web address a source names (its site), for a narrow table column."""
    import re

    m = re.search(r"(?:[a-z0-9-]+\.)+(?:ai|com|org|net|io|dev)\b", source)
    return m.group(0) if m else source[:24]


def self_hosted_serving(model: str, gpu: str | None, provider: str | None, tier: str, traffic: Traffic,
                        cat: Catalog, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    from estimator.planning.serving import serve

    try:
        s = serve(model, gpu=gpu, provider=provider, tier=tier, input_tokens=traffic.input_tokens,
                  output_tokens=traffic.output_tokens, requests_per_day=traffic.requests_per_day or None,
                  months=traffic.months, overrides={k: v for k, v in (overrides or {}).items() if k == "dtype"},
                  catalog=cat)
    except EstimatorError as exc:
        reason = str(exc).splitlines()[0]
        if traffic.requests_per_day:
            try:  # one replica serves: then the traffic, not the model, is what no setup can carry - bad input
                serve(model, gpu=gpu, provider=provider, tier=tier, input_tokens=traffic.input_tokens,
                      output_tokens=traffic.output_tokens, overrides={k: v for k, v in (overrides or {}).items()
                                                                      if k == "dtype"}, catalog=cat)
            except EstimatorError:
                pass
            else:
                raise ConfigurationError(f"--requests-per-day {traffic.requests_per_day:,.0f}: {reason}") from None
        return {"serving_usd": float("nan"), "serving_basis": f"not servable: {reason}"}
    return {"serving_usd": s.serving_cost_usd, "serving_basis": f"{s.gpus} × {s.gpu} always on ({s.dtype})"}


def serving_for(scenarios, estimates, traffic: Traffic, cat: Catalog,
                overrides: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """One serving row per compared route: serving_usd over the horizon, basis, and TCO (training + serving)."""
    out = []
    for s, e in zip(scenarios, estimates):
        if e.method == "api":
            row = hosted_serving(s.model if isinstance(s.model, str) else e.model_id, traffic, cat, overrides)
        elif isinstance(s.model, dict):
            row = {"serving_usd": float("nan"), "serving_basis": "a model given by its size alone has no architecture (layers, KV heads) to size its serving from"}
        else:
            row = self_hosted_serving(e.model_id, e.gpu_id, s.provider, s.tier, traffic, cat, overrides)
        row["serving_usd"] = _float(row["serving_usd"])
        row["tco_usd"] = _float(e.cost_usd) + row["serving_usd"]
        out.append(row)
    return out


def _float(x: Any) -> float:
    try:
        return float(np.asarray(x, dtype=float).reshape(-1)[0])
    except (TypeError, ValueError, IndexError):
        return float("nan")


def breakeven_notes(scenarios, estimates, traffic: Traffic, cat: Catalog) -> list[str]:
    """Where a hosted service tunes the same model a GPU route serves: the traffic above which self-hosting on
    that route's GPU type is cheaper (rules/serving.py `breakeven_requests_per_day`)."""
    notes = []
    for b in serving_breakevens(scenarios, estimates, traffic, cat):
        if np.isfinite(b["requests_per_day"]):
            notes.append(f"self-hosting {b['model']} on {b['where']} costs less than {b['service']} above "
                         f"{b['requests_per_day']:,.0f} requests/day of {traffic.input_tokens:,.0f} + "
                         f"{traffic.output_tokens:,.0f} tokens")
        else:
            notes.append(f"{b['service']} stays cheaper than self-hosting {b['model']} on {b['where']} at any traffic")
    return notes


def serving_breakevens(scenarios, estimates, traffic: Traffic, cat: Catalog) -> list[dict[str, Any]]:
    """The figures behind breakeven_notes: per hosted per-token service of the model the first GPU route tunes,
    the break-even requests/day (inf: hosting stays cheaper) against serving on that route's GPU, provider and tier."""
    from estimator.planning.serving import serve

    gpu_routes = [(s, e) for s, e in zip(scenarios, estimates) if e.method in ("lora", "qlora", "full")]
    if not gpu_routes:
        return []
    s0, e0 = gpu_routes[0]
    try:
        one = serve(e0.model_id, gpu=e0.gpu_id, provider=s0.provider, tier=s0.tier, input_tokens=traffic.input_tokens,
                    output_tokens=traffic.output_tokens, catalog=cat)
    except EstimatorError:
        return []
    out = []
    for s, e in zip(scenarios, estimates):
        if e.method != "api" or e.model_id != e0.model_id:
            continue
        _, api = resolve_service(s.model if isinstance(s.model, str) else e.model_id, cat)
        inf = api.inference_usd_per_1m_tokens
        if api.serving == "provisioned_throughput" or inf is None or inf.input is None or inf.output is None:
            continue
        given, _ = service_givens(api, cat)
        given |= {"requests_per_day": Given(0.0), "input_tokens": Given(traffic.input_tokens),
                  "output_tokens": Given(traffic.output_tokens),
                  "self_hosted_replica_monthly_usd": Given(one.monthly_serving_usd, "USD/month", "estimator serve"),
                  "replica_requests_per_day": Given(one.replica_output_tokens_per_second * 86400.0
                                                    / traffic.output_tokens, "requests/day", "estimator serve"),
                  "hosted_usd_per_request": Given((traffic.input_tokens * inf.input + traffic.output_tokens * inf.output)
                                                  / 1e6, "USD", api.source)}
        ev = evaluate(REGISTRY, ["breakeven_requests_per_day"], given, {},
                      {"hosted_fixed_monthly_usd": _alias("api_fixed_serving_usd_per_month")})
        out.append({"service": api.id, "model": e0.model_id, "gpu": one.gpu, "provider": s0.provider, "tier": s0.tier,
                    "requests_per_day": float(np.asarray(ev.values["breakeven_requests_per_day"]).reshape(-1)[0]),
                    "where": f"{one.gpus_per_replica} × {one.gpu} ({one.dtype}, ${one.monthly_serving_usd:,.0f}/month)"})
    return out


def _alias(name: str):
    def provide(ev):
        return Given(ev.values[name], "USD/month", f"= {name}", "rule", name)

    provide.needs = (name,)  # type: ignore[attr-defined]
    return provide
