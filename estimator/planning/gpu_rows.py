"""Rows trained on GPUs: hardware, prices, energy and dataset columns, then one pass of the rules."""

from __future__ import annotations

import numpy as np

from estimator.errors import ConfigurationError, EstimatorError
from estimator.planning import assumptions as at
from estimator.planning.engine import Given, evaluate
from estimator.planning.givens import DEFAULT_GPU, OWNED, energy_givens, hardware_givens, owned_givens, price_givens
from estimator.planning.parts import GPU_OUTPUTS, Part, common_givens, dataset_columns
from estimator.planning.providers import assumption_provider, cap_seq_len, gpus_provider
from estimator.planning.stacking import column_given, number_given, override_column, stack
from estimator.rules import REGISTRY

OWNED_ONLY = ("purchase_usd_per_gpu", "amortization_years", "owned_utilization")


def _per_distinct(res, index, rows, fields, build):
    """build(*values) -> (givens, warnings) once per distinct combination of `fields`; errors mark the rows."""
    combos, codes = rows.distinct(*fields)
    dicts = []
    for c, combo in enumerate(combos):
        members = index[codes == c]
        try:
            givens, warns = build(*combo)
        except EstimatorError as exc:
            givens, warns = {}, []
            for i in members:
                res.errors[i] = exc
        res.warnings.add(members, warns)
        dicts.append(givens)
    keys = {k for d in dicts for k in d}
    filler = {k: next(d[k] for d in dicts if k in d) for k in keys}
    for d in dicts:  # a failed combination: NaN (or None) on its rows, the rows carry the error
        for k in keys - set(d):
            d[k] = Given(None if isinstance(filler[k].value, str) else np.nan, filler[k].unit, "not available")
    return stack(dicts, codes) if dicts else {}


def gpu_part(res, index: np.ndarray, extra_targets: tuple[str, ...] = ()) -> Part | None:
    cat = res.cat
    rows = res.rows.take(index)
    given = common_givens(res, rows, index)
    overrides = {k: override_column(v) for k, v in rows.overrides.items()}

    gpus_text, gpu_codes = rows.text["gpu"]
    if any(g is None for g in gpus_text):
        missing = np.array([g is None for g in gpus_text])[gpu_codes]
        res.warnings.add(index[missing], [f"no GPU given: using {cat.gpu(DEFAULT_GPU).id}"])
        rows.text["gpu"] = ([g if g is not None else DEFAULT_GPU for g in gpus_text], gpu_codes)
    default_dtype = str(at.lookup(cat.assumption("dtype"), "dtype", {}).value)
    dtypes, dtype_codes = rows.text["dtype"]
    rows.text["dtype"] = ([d if d is not None else default_dtype for d in dtypes], dtype_codes)
    given["dtype"] = column_given(rows, "dtype", "", "input", "training precision (scenario or the 'dtype' table)")
    given |= _per_distinct(res, index, rows, ("gpu", "dtype"),
                           lambda g, d: (hardware_givens(cat.gpu(g), cat.origin("hardware", cat.gpu(g).id), d), []))

    owned = np.array([str(p or "").lower() == OWNED for p in rows.column("provider")])
    given["owned"] = Given(bool(owned[0]) if (owned == owned[0]).all() else owned, "", "scenario", "input",
                           "provider 'owned' (bought GPUs) or rented")

    def price(g, p, t):
        if str(p or "").lower() == OWNED:
            return owned_givens(cat.gpu(g), cat) | {"listed_usd_per_gpu_hour": Given(np.nan, "USD/GPU-hour", "owned GPUs")}, []
        listed, warns = price_givens(cat, cat.gpu(g).id, p, t)
        return listed | {"purchase_usd_per_gpu": Given(np.nan, "USD", "rented GPUs")}, warns

    given |= _per_distinct(res, index, rows, ("gpu", "provider", "tier"), price)
    _owned_checks(res, index, rows, owned, given)
    given |= _per_distinct(res, index, rows, ("region",), lambda r: (energy_givens(cat, r), []))
    ok = np.array([res.errors[i] is None for i in index])
    if not ok.all():  # rows whose GPU, price or region failed carry their error; evaluate the others
        return gpu_part(res, index[ok], extra_targets) if ok.any() else None
    given["packing"] = column_given(rows, "packing", "", "input", "pack examples into full sequences")
    for name, unit, formula in (("tokens", "tokens", "tokens per epoch"), ("epochs", "epochs", "epochs")):
        g = number_given(rows.numbers[name], unit, formula)
        if g is not None:
            given[name] = g

    providers = {name: assumption_provider(cat, name) for name in cat.assumptions if name != "dtype"}
    providers["seq_len"] = assumption_provider(cat, "seq_len", cap_seq_len, ("context",))
    gpus = number_given(rows.numbers["gpus"], "GPUs", "gpus")
    if gpus is not None:
        given["gpus"] = gpus
    if gpus is None or gpus.partial:
        providers["gpus"] = gpus_provider(cat, rows.numbers["deadline_hours"], given, overrides, providers)

    if any(d is not None for d in rows.text["dataset"][0]):
        pre = evaluate(REGISTRY, ["seq_len", "micro_batch"], given, overrides, providers)
        seq, mb = (np.broadcast_to(np.asarray(pre.values[k], dtype=float), (rows.n,)) for k in ("seq_len", "micro_batch"))
        packing = rows.column("packing")
        given |= dataset_columns(res, rows, index, lambda j: ("gpu", int(seq[j]), int(mb[j]), bool(packing[j])))

    targets = list(dict.fromkeys([*GPU_OUTPUTS, *extra_targets]))
    ev = evaluate(REGISTRY, targets, given, overrides, providers)
    return Part("gpu", index, ev, targets)


def _owned_checks(res, index, rows, owned, given) -> None:
    """Owned rows need a purchase price; owned-only settings on rented rows are noted; tiers do not apply."""
    if "purchase_usd_per_gpu" not in given:  # every price lookup failed: the rows carry that error
        return
    purchase = np.broadcast_to(np.asarray(given["purchase_usd_per_gpu"].value, dtype=float), (rows.n,))
    set_purchase = _set_mask(rows.overrides.get("purchase_usd_per_gpu"), rows.n)
    gpus = rows.column("gpu")
    for j in np.flatnonzero(owned & np.isnan(purchase) & ~set_purchase):
        if res.errors[index[j]] is None:
            hw = res.cat.gpu(gpus[j]).id
            res.errors[index[j]] = ConfigurationError(
                f"owned {hw} needs a purchase price: --set purchase_usd_per_gpu=N, or add a capex row for {hw} "
                f"with --catalog")
    tiers, tier_codes = rows.text["tier"]
    for c, tier in enumerate(tiers):
        if tier != "on_demand":
            res.warnings.add(index[owned & (tier_codes == c)], [f"tier {tier} is ignored for owned GPUs"])
    for k in OWNED_ONLY:
        res.warnings.add(index[~owned & _set_mask(rows.overrides.get(k), rows.n)],
                         [f"{k} only applies with --provider owned"])


def _set_mask(value, n: int) -> np.ndarray:
    """Rows on which an override is set."""
    if value is None:
        return np.zeros(n, dtype=bool)
    if isinstance(value, np.ndarray) and value.ndim:
        if value.dtype == object:
            return np.array([not (v is None or (isinstance(v, float) and v != v)) for v in value])
        return ~np.isnan(value.astype(float))
    return np.ones(n, dtype=bool)
