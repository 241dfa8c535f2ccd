"""Turn a Scenario and the catalog into the given quantities the rules start from."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import replace
from typing import Any

import numpy as np
from pydantic import ValidationError

from estimator.catalog.loader import Catalog
from estimator.catalog.schema import Hardware, ModelSpec
from estimator.errors import ConfigurationError
from estimator.planning.engine import Given, Origin

# Brown et al. 2020 (GPT-3), Table 2.1: (params, layers, d_model, heads). Used only to give
# an inline model that states its size but not its shape a published shape of that size.
GPT3_SHAPES = [  # (params, n_layers, d_model, n_heads, d_head)
    (125e6, 12, 768, 12, 64), (350e6, 24, 1024, 16, 64), (760e6, 24, 1536, 16, 96), (1.3e9, 24, 2048, 24, 128),
    (2.7e9, 32, 2560, 32, 80), (6.7e9, 32, 4096, 32, 128), (13e9, 40, 5140, 40, 128), (175e9, 96, 12288, 96, 128),
]
GPT3_SOURCE = "Brown et al. 2020 (GPT-3) Table 2.1: shape of the model with the nearest parameter count"
DEFAULT_GPU = "h100-sxm"


def fill_shape(data: dict[str, Any]) -> list[str]:
    """Give a model that states only its size the published shape of the GPT-3 model nearest in size
    (and GPT-2/3's vocabulary when none is given).

    Also checks that a stated size and shape agree (within 10× of 12·L·h², Kaplan et al. 2020
    Table 1: N ≈ 12·n_layer·d_model² without embeddings): '--params 7' with 32 × 4096 is a typo.
    """
    warnings = []
    for key in ("layers", "hidden", "heads"):
        if data.get(key) is not None and (not isinstance(data[key], (int, float)) or data[key] <= 0):
            raise ConfigurationError(f"model field '{key}' must be a positive whole number, got {data[key]!r}")
    missing = [k for k in ("layers", "hidden", "heads") if data.get(k) is None]
    n = float(data["params"])
    if missing:
        _, layers, hidden, heads, head_dim = min(GPT3_SHAPES, key=lambda s: abs(math.log(s[0] / n)))
        shape = {"layers": layers, "hidden": hidden, "heads": heads}
        if data.get("hidden") is not None and "heads" in missing:
            shape["heads"] = max(1, int(data["hidden"]) // 128)  # head size 128, as most models since GPT-3
        for key in missing:
            data[key] = shape[key]
        if "heads" in missing and "hidden" in missing and not data.get("head_dim"):
            data["head_dim"] = head_dim  # GPT-3's d_head is not d_model / n_heads for every size
        warnings.append(f"model shape not given ({', '.join(missing)}): using {GPT3_SOURCE} "
                        f"(layers {data['layers']}, hidden {data['hidden']}, heads {data['heads']})")
    if "layers" not in missing and "hidden" not in missing:
        implied = 12.0 * data["layers"] * data["hidden"] ** 2
        if data.get("experts"):  # MoE: attention 4·h² plus every expert's (and shared expert's) MLP per layer
            copies = data["experts"] + (data.get("shared_experts") or 0)
            mlp = (3 if data.get("ffn_type", "swiglu") == "swiglu" else 2) * data["hidden"] * (data.get("ffn") or 4 * data["hidden"])
            implied = data["layers"] * (4.0 * data["hidden"] ** 2 + copies * mlp)
        if not 0.1 <= n / implied <= 10:
            raise ConfigurationError(
                f"params {n:.3g} does not match the shape ({data['layers']} layers × hidden {data['hidden']} "
                f"implies about {implied:.3g}: 12·L·h², MoE L·(4h² + experts·MLP)); check the units (e.g. 7B, not 7)")
    if data.get("vocab") is None:
        data["vocab"] = 50257
        warnings.append("vocab not given: using 50,257 (GPT-2/GPT-3 BPE) for the logits memory")
    return warnings


def inline_model(spec: dict[str, Any]) -> tuple[ModelSpec, list[str]]:
    """A model given as a dict ({'params': 7e9, 'layers': 32, ...}); missing shape filled from GPT-3."""
    from estimator.units import parse_number

    data = dict(spec)
    try:
        for key in ("params", "active_params"):
            if key in data and data[key] is not None:
                data[key] = parse_number(data[key])
    except ValueError as exc:
        raise ConfigurationError(f"inline model: {exc}") from None
    if data.get("params") is None or data["params"] <= 0:
        raise ConfigurationError("an inline model needs a positive 'params' (e.g. {'params': 7e9})")
    warnings = fill_shape(data)
    data.setdefault("id", "custom")
    data.setdefault("name", data.get("id", "custom"))
    data.setdefault("source", "inline model spec given by the user")
    data.setdefault("as_of", dt.date.today().isoformat())
    try:
        return ModelSpec.model_validate(data), warnings
    except ValidationError as exc:
        err = exc.errors()[0]
        field_name = ".".join(str(p) for p in err["loc"]) or "model"
        raise ConfigurationError(f"inline model, field '{field_name}': {err['msg'].removeprefix('Value error, ')}") from None


def complete_catalog_model(model: ModelSpec) -> tuple[ModelSpec, list[str]]:
    """A catalog model missing its shape (a user file may give only params) gets the GPT-3 shape."""
    if model.api_only or (model.layers and model.hidden and model.heads):
        return model, []
    data = model.model_dump()
    warnings = fill_shape(data)
    return ModelSpec.model_validate(data), [f"{model.id}: {w}" for w in warnings]


def model_givens(model: ModelSpec, origin: str) -> dict[str, Given]:
    src = f"{model.source} ({origin})" if origin else model.source
    where = (Origin("models", model.id, model.source, model.as_of),)
    heads = model.heads or 1
    head_dim = model.head_dim or ((model.hidden or 0) / heads if model.hidden else 0)
    ffn_type_matrices = 3 if model.ffn_type == "swiglu" else 2
    ffn = model.ffn or ((8 / 3 if model.ffn_type == "swiglu" else 4) * (model.hidden or 0))
    experts = (model.experts or 1) + (model.shared_experts or 0)
    active_experts = (model.experts_per_token or 1 if model.experts else 1) + (model.shared_experts or 0)
    g: dict[str, Given] = {
        "n_params": Given(float(model.params), "params", src, "catalog", f"{model.id}.params"),
        "n_active": Given(model.n_active, "params", src, "catalog",
                          f"{model.id}.active_params (MoE)" if model.active_params else f"{model.id}.params (dense)"),
        "layers": Given(model.layers, "layers", src, "catalog", f"{model.id}.layers"),
        "hidden": Given(model.hidden, "d_model", src, "catalog", f"{model.id}.hidden"),
        "heads": Given(heads, "heads", src, "catalog", f"{model.id}.heads"),
        "q_dim": Given(heads * head_dim, "dims", src, "catalog", "heads × head_dim"),
        "kv_dim": Given((model.kv_heads or heads) * head_dim, "dims", src, "catalog", "kv_heads × head_dim"),
        "ffn": Given(ffn, "dims", src, "catalog", f"{model.id}.ffn" if model.ffn else "8/3·h (SwiGLU) or 4·h (GELU)"),
        "ffn_matrices": Given(ffn_type_matrices, "matrices", src, "catalog", f"{model.ffn_type}: gate/up/down" if ffn_type_matrices == 3 else "gelu: up/down"),
        "mlp_experts": Given(experts, "experts", src, "catalog", "routed + shared experts (1 if dense)"),
        "mlp_active_experts": Given(active_experts, "experts", src, "catalog",
                                    "experts per token + shared experts (1 if dense)"),
        "vocab": Given(model.vocab or 50257, "tokens", src, "catalog", f"{model.id}.vocab"),
        # a model given by its size alone states no context: its training seq_len is not capped (NaN)
        "context": Given(float(model.context) if model.context else float("nan"), "tokens", src, "catalog",
                         f"{model.id}.context" if model.context else "not stated: seq_len not capped"),
        "tied_embeddings": Given(model.tied_embeddings, "", src, "catalog", f"{model.id}.tied_embeddings"),
        "model_family": Given(model.family or model.id, "", src, "catalog", f"{model.id}.family"),
    }
    return {k: replace(v, origins=where) for k, v in g.items()}


def hardware_givens(hw: Hardware, origin: str, dtype: str) -> dict[str, Given]:
    src = f"{hw.source} ({origin})" if origin else hw.source
    peak, used = hw.peak(dtype)
    if math.isnan(peak):
        have = ", ".join(k for k, v in hw.peak_tflops.items() if v)
        raise ConfigurationError(f"{hw.id} has no published dense {dtype} peak; it offers {have} (use --set dtype=...)")
    note = f"{hw.id}.peak_tflops.{used}" + (f" ({dtype} not supported, {used} used)" if used != dtype else "")
    if hw.tdp_w is None:
        tdp = Given(float("nan"), "W", f"{hw.id} has no published power figure", "catalog", f"{hw.id}.tdp_w")
    else:
        tdp = Given(hw.tdp_w, "W", src, "catalog", f"{hw.id}.tdp_w")
    where = (Origin("hardware", hw.id, hw.source, hw.as_of),)
    g = {
        "gpu_memory_gb": Given(hw.memory_gb, "GB", src, "catalog", f"{hw.id}.memory_gb"),
        "peak_tflops": Given(peak, "TFLOP/s", src, "catalog", note),
        "tdp_w": tdp,
        "gpu_generation": Given(hw.generation, "", src, "catalog", f"{hw.id}.generation"),
        "gpu_vendor": Given(hw.vendor, "", src, "catalog", f"{hw.id}.vendor"),
    }
    return {k: replace(v, origins=where) for k, v in g.items()}


OWNED = "owned"


def owned_givens(hw: Hardware, cat: Catalog | None = None) -> dict[str, Given]:
    """Owned GPUs: no rental price; the owned-cost rules need a purchase price (capex table, the hardware entry, or
    --set purchase_usd_per_gpu)."""
    row = cat.capex_for(hw.id) if cat is not None else None
    if row is not None:
        return {"purchase_usd_per_gpu": Given(row.usd_per_gpu, "USD", f"{row.source} (as of {row.as_of})", "catalog",
                                              f"capex {row.id}: {row.system}",
                                              (Origin("capex", row.id, row.source, row.as_of),))}
    if hw.purchase_usd is None:
        return {"purchase_usd_per_gpu": Given(float("nan"), "USD", f"{hw.id} has no purchase price", "catalog",
                                              f"{hw.id}.purchase_usd (not listed)")}
    return {"purchase_usd_per_gpu": Given(hw.purchase_usd, "USD", hw.source, "catalog", f"{hw.id}.purchase_usd",
                                          (Origin("hardware", hw.id, hw.source, hw.as_of),))}


def price_givens(cat: Catalog, gpu_id: str, provider: str | None, tier: str) -> tuple[dict[str, Given], list[str]]:
    """The listed rental prices for (GPU, provider, tier): one price for a named provider, every provider's otherwise."""
    how, rows = cat.price_rows(gpu_id, provider, tier)
    warnings = []
    if not rows:
        warnings.append(f"no {tier} price for {gpu_id} in the catalog: cost not computed "
                        f"(add one with --catalog, see docs/catalog.md)")
        return {"listed_usd_per_gpu_hour": Given(float("nan"), "USD/GPU-hour", how, "catalog", "no price")}, warnings
    today = dt.date.today()
    stale = [f"{r.provider} ({r.as_of})" for r in rows if (today - r.as_of_date).days > 365]
    if stale:
        warnings.append(f"{len(stale)} of {len(rows)} {gpu_id} {tier} prices used are over 12 months old: "
                        f"{', '.join(stale)}")
    sources = "; ".join(f"{r.provider} ${r.usd_per_gpu_hour:g} ({r.source}, as of {r.as_of})" for r in rows)
    origins = tuple(Origin("gpu_prices", (r.provider, r.gpu, r.tier), r.source, r.as_of) for r in rows)
    prices = np.array([r.usd_per_gpu_hour for r in rows], dtype=float)
    return {"listed_usd_per_gpu_hour": Given(prices[None, :] if len(rows) > 1 else float(prices[0]), "USD/GPU-hour", sources,
                                             "catalog", how, origins)}, warnings


def energy_givens(cat: Catalog, region: str | None) -> dict[str, Given]:
    reg = cat.energy_region(region)
    default = cat.energy_region(None)
    out = {}
    for name, unit in (("pue", "ratio"), ("grid_kgco2_per_kwh", "kgCO2e/kWh"), ("electricity_usd_per_kwh", "USD/kWh")):
        value = getattr(reg, name)
        src, label = reg.source, f"energy region {reg.id}"
        if value is None:
            value, src, label = getattr(default, name), default.source, f"energy region {default.id} (not in {reg.id})"
        used = reg if getattr(reg, name) is not None else default
        out[name] = Given(value, unit, f"{src} (as of {reg.as_of})", "catalog", label,
                          (Origin("energy", used.id, used.source, used.as_of),))
    return out
