"""Rows fine-tuned through a hosted API: price and per-example limit from the catalog, billed tokens by the rules."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from estimator.planning.engine import Given, Origin, evaluate
from estimator.planning.parts import API_OUTPUTS, Part, common_givens, dataset_columns
from estimator.planning.providers import assumption_provider
from estimator.planning.stacking import number_given, override_column, stack
from estimator.rules import REGISTRY


def _api_givens(cat, spec, model, hours_given: bool = False) -> tuple[dict[str, Given], list[str]]:
    """The service's billing and serving prices (plan/hosted.py) and its per-example token limit."""
    from estimator.planning.hosted import resolve_service, service_givens

    _, api = resolve_service(model if isinstance(model, str) else spec.id, cat)
    src = f"{api.source} (as of {api.as_of}; {cat.origin('apis', api.id)})"
    where = (Origin("apis", api.id, api.source, api.as_of),)
    cap = api.max_example_tokens
    given, warnings = service_givens(api, cat, hours_given)
    given = {k: replace(v, origins=where) if v.kind == "catalog" else v for k, v in given.items()}
    given["max_example_tokens"] = Given(float(cap) if cap else np.inf, "tokens", src, "catalog",
                                        f"{api.id} per-example token limit" if cap else "no per-example limit", where)
    return given, warnings


def api_part(res, index: np.ndarray) -> Part:
    cat = res.cat
    rows = res.rows.take(index)
    given = common_givens(res, rows, index)
    codes = res.model_codes[index]
    distinct = sorted(set(codes.tolist()))
    models = res.rows.text["model"][0]
    per = {c: _api_givens(cat, res.specs[c], models[c], "training_hours" in rows.overrides) for c in distinct}
    given |= stack([per[c][0] for c in distinct], np.searchsorted(distinct, codes))
    for j, c in enumerate(codes):
        i = index[j]
        res.warnings.add(np.array([i]), per[c][1])
        ignored = [f for f, v in (("gpu", rows.column("gpu")[j]), ("gpus", rows.numbers["gpus"][j]),
                                  ("provider", rows.column("provider")[j]),
                                  ("deadline", rows.numbers["deadline_hours"][j]))
                   if v is not None and v == v]
        if ignored:
            res.warnings.add(np.array([i]), [f"ignored for a hosted API: {', '.join(ignored)}"])
    tokens = number_given(rows.numbers["tokens"], "tokens", "tokens per epoch as given (no per-example cap applied)")
    if tokens is not None:
        given["billed_tokens_per_epoch"] = tokens
    epochs = number_given(rows.numbers["epochs"], "epochs", "epochs")
    if epochs is not None:
        given["epochs"] = epochs
    if any(d is not None for d in rows.text["dataset"][0]):
        caps = np.broadcast_to(np.asarray(given["max_example_tokens"].value, dtype=float), (rows.n,))
        given |= dataset_columns(res, rows, index, lambda j: ("api", float(caps[j])))
    overrides = {k: override_column(v) for k, v in rows.overrides.items()}
    providers = {name: assumption_provider(cat, name) for name in cat.assumptions if name != "dtype"}
    ev = evaluate(REGISTRY, API_OUTPUTS, given, overrides, providers)
    return Part("api", index, ev, list(API_OUTPUTS))
