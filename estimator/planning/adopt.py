"""Refuse only what no setting fits: rows that do not fit take the first setting a trainer would reach for
that does (never one the user set), and every caller — estimate, compare, grid — sees the same rows."""

from __future__ import annotations

import json

import numpy as np

from estimator.errors import ConfigurationError


def adopt_fitting_settings(res, resolve):
    """Re-resolve the rows of `res` that do not fit with the setting that makes each fit (one more pass)."""
    from estimator.planning.checks import _plain, fits, resolve_fit
    from estimator.planning.fit import ALTERNATIVES, try_settings_many
    from estimator.planning.givens import DEFAULT_GPU

    rows = res.rows
    failing = []
    for part in res.parts:
        if part.kind == "gpu":
            ok = np.broadcast_to(fits(part.ev.values), part.index.shape)
            failing += [int(i) for i, good in zip(part.index, ok) if not good and res.errors[i] is None]
    if not failing:
        return res
    adopted: dict[int, dict] = {}
    notes: dict[int, str] = {}
    # rows with the same memory, GPU and user-set setting names get the same answer (Monte Carlo draws, prices and
    # token counts do not change what fits): one representative row per key, all their alternatives in one pass
    keys: dict[int, str] = {}
    first: dict[str, tuple] = {}
    for i in failing:
        scenario = rows.scenario(i)
        values = res.values(i)
        spec = res.specs[res.model_codes[i]]
        gpu_id = res.cat.gpu(scenario.gpu or DEFAULT_GPU).id
        keys[i] = json.dumps([spec.id, gpu_id, scenario.method, sorted(scenario.overrides), scenario.gpus is None,
                              *(float(values[k]) for k in ("gpus", "gpus_to_fit", "memory_required_gb",
                                                           "usable_bytes_per_gpu"))], default=str)
        first.setdefault(keys[i], (spec.id, gpu_id, scenario, values))
    reps = list(first.values())
    tried = try_settings_many([(s, {k: _plain(v) for k, v in v_.items()}) for _, _, s, v_ in reps], res.cat,
                              ALTERNATIVES)
    cache: dict[str, tuple[dict, str] | ConfigurationError] = {}
    for key, (spec_id, gpu_id, scenario, values), options in zip(first, reps, tried):
        try:
            cache[key] = resolve_fit(res.cat, spec_id, gpu_id, scenario, values, options)
        except ConfigurationError as exc:
            cache[key] = exc
    for i in failing:
        found = cache[keys[i]]
        if isinstance(found, ConfigurationError):
            res.errors[i] = found
            continue
        adopted[i], notes[i] = found
    if not adopted:
        return res
    again = resolve(rows.with_overrides(adopted), res.cat, adopt=False)
    for i in range(rows.n):
        again.errors[i] = again.errors[i] or res.errors[i]
        if i in notes:
            again.warnings[i].insert(0, notes[i])
    again.adopted = adopted
    return again
