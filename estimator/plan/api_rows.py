"""Rows fine-tuned through a hosted API: price and per-example limit from the catalog, billed tokens by the rules."""

from __future__ import annotations

import numpy as np

from estimator.plan.engine import Given, Origin, evaluate
from estimator.plan.providers import assumption_provider
from estimator.plan.resolution import API_OUTPUTS, Part, common_givens, dataset_columns
from estimator.plan.stacking import number_given, override_column, stack
from estimator.rules import REGISTRY


def _api_givens(cat, spec) -> dict[str, Given]:
    api = cat.api_for(spec.id)
    src = f"{api.source} (as of {api.as_of}; {cat.origin('apis', spec.id)})"
    where = (Origin("apis", api.model, api.source, api.as_of),)
    cap = api.max_example_tokens
    return {
        "training_usd_per_1m_tokens": Given(api.training_usd_per_1m_tokens, "USD/1M tokens", src, "catalog",
                                            f"{api.model} training price", where),
        "max_example_tokens": Given(float(cap) if cap else np.inf, "tokens", src, "catalog",
                                    f"{api.model} per-example token limit" if cap else "no per-example limit", where),
    }


def api_part(res, index: np.ndarray) -> Part:
    cat = res.cat
    rows = res.rows.take(index)
    given = common_givens(res, rows, index)
    codes = res.model_codes[index]
    distinct = sorted(set(codes.tolist()))
    given |= stack([_api_givens(cat, res.specs[c]) for c in distinct], np.searchsorted(distinct, codes))
    for j, c in enumerate(codes):
        api = cat.api_for(res.specs[c].id)
        i = index[j]
        if api.availability:
            res.warnings.add(np.array([i]), [f"Hosted fine-tuning of {api.model} may not be open to you: {api.availability}"])
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
