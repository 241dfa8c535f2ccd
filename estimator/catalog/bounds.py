"""What values an overridable quantity may take: checked for --set, scenario files, grids and user tables."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from estimator.catalog.loader import Catalog
from estimator.errors import ConfigurationError, close_matches
from estimator.units import parse_number

# Quantities that are not assumption tables but may be overridden: (low, high, integer, low_exclusive).
QUANTITIES: dict[str, tuple[float, float, bool, bool]] = {
    "mfu": (0.0, 1.0, False, True),
    "hfu": (0.0, 1.0, False, True),
    "gpus": (1, 1e8, True, False),
    "epochs": (0.01, 1e5, False, False),
    "price_usd_per_gpu_hour": (0.0, 1e4, False, False),
    "purchase_usd_per_gpu": (0.0, 1e7, False, False),
    "pue": (1.0, 5.0, False, False),
    "grid_kgco2_per_kwh": (0.0, 5.0, False, False),
    "electricity_usd_per_kwh": (0.0, 10.0, False, False),
    "peak_tflops": (0.0, 1e6, False, True),
    "tdp_w": (0.0, 1e5, False, True),
    "gpu_memory_gb": (0.0, 1e5, False, True),
    "training_usd_per_1m_tokens": (0.0, 1e5, False, False),
    "billed_tokens_per_epoch": (0.0, 1e18, False, True),
    "n_params": (0.0, 1e15, False, True),
    "n_active": (0.0, 1e15, False, True),
    "vocab": (1, 1e8, True, False),
    "layers": (1, 1e5, True, False),
    "hidden": (1, 1e7, True, False),
    "heads": (1, 1e5, True, False),
    # memory rules a run may pin directly (bytes per parameter; bytes)
    "optimizer_bytes_per_param": (0.0, 32.0, False, False),
    "embedding_bytes_per_param": (0.0, 8.0, False, False),
    "layer_params": (0.0, 1e15, False, True),
    # hosted services and serving (issue 11)
    "training_hours": (0.0, 1e6, False, True),
    "training_usd_per_hour": (0.0, 1e5, False, False),
    "provisioned_usd_per_hour": (0.0, 1e6, False, False),
    "provisioned_units": (1, 1e6, True, False),
    "hosting_usd_per_hour": (0.0, 1e5, False, False),
    "storage_usd_per_month": (0.0, 1e6, False, False),
    "serving_input_usd_per_1m_tokens": (0.0, 1e4, False, False),
    "serving_output_usd_per_1m_tokens": (0.0, 1e4, False, False),
    "gpu_bandwidth_tbps": (0.0, 1e3, False, True),
}


def known_names(cat: Catalog) -> list[str]:
    from estimator.rules import REGISTRY

    return sorted(set(REGISTRY.rules) | set(cat.assumptions) | set(QUANTITIES))


def check_keys(values: dict[str, Any], fields: tuple[str, ...], cat: Catalog, line: Any, where: str) -> None:
    """Every key of a scenario-file mapping is a scenario field or a quantity (a nested `set:`/`overrides:` mapping
    holds quantities): otherwise one error at the KEY's line, `line(key_path) -> 'file:line'`."""
    names = known_names(cat)
    for key, value in values.items():
        if key in ("set", "overrides") and isinstance(value, dict):
            check_keys(value, (), cat, lambda sub, key=key: line((key, *sub)), where)
            continue
        if key in fields or key in names:
            continue
        close = close_matches(str(key), list(dict.fromkeys([*fields, *names])), n=3)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise ConfigurationError(f"{line((key,))}: unknown key '{key}' in {where}{hint}")


def check_value(name: str, value: Any, cat: Catalog, where: str = "override") -> Any:
    """Parse and check one override value (scalar or array); return it parsed. One-line error otherwise."""
    if name not in known_names(cat):
        close = close_matches(name, known_names(cat), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ConfigurationError(f"unknown quantity '{name}' in {where}{hint}")
    prefix = f"{where} " if where else ""  # '--set mfu=0: ...', or just 'gpus=1e+09: ...'
    table = cat.assumptions.get(name)
    from estimator.choices import CHOICES, check_choice, normalize_lora_targets

    if name == "lora_targets":  # a preset or a comma-separated list of module names
        values = [normalize_lora_targets(str(v)) for v in np.atleast_1d(np.asarray(value, dtype=object))]
        return values[0] if np.ndim(value) == 0 else np.asarray(values, dtype=object)
    if (table is not None and table.choices) or name in CHOICES:
        choices = table.choices if table is not None and table.choices else CHOICES[name]
        values = [check_choice(name, v, choices, where) for v in np.atleast_1d(np.asarray(value, dtype=object))]
        return values[0] if np.ndim(value) == 0 else np.asarray(values, dtype=object)
    numbers = []
    for v in np.atleast_1d(np.asarray(value, dtype=object)).flat:
        try:
            numbers.append(parse_number(v))
        except ValueError:
            shown, why = (str(v).lower(), "a boolean is not a number") if isinstance(v, bool) else (repr(v), "expected a number")
            raise ConfigurationError(f"{prefix}{name}={shown}: {why}") from None
    parsed = np.asarray(numbers, dtype=float).reshape(np.shape(value))
    if table is not None:
        low, high = table.bounds or (-math.inf, math.inf)
        integer, low_exclusive = table.integer, False
    else:
        low, high, integer, low_exclusive = QUANTITIES.get(name, (0.0, math.inf, False, True))
    flat = np.atleast_1d(parsed)
    for v in flat:
        ok = math.isfinite(v) and (v > low if low_exclusive else v >= low) and v <= high
        if ok and integer and v != round(v):
            raise ConfigurationError(f"{prefix}{name}={_show(v)}: must be a whole number")
        if not ok:
            rng = f"{'>' if low_exclusive else '>='} {_show(low)}" + (f" and <= {_show(high)}" if math.isfinite(high) else "")
            raise ConfigurationError(f"{prefix}{name}={_show(v)}: must be {rng}")
    return parsed.item() if parsed.ndim == 0 else parsed


def check_scenario(scenario: Any, cat: Catalog) -> None:
    """A scenario's GPU count and epochs obey the bounds `--set gpus=` / `--set epochs=` obey: one set of bounds
    whether a value comes from --gpus, a scenario file, a grid or an override."""
    for name, value in (("gpus", scenario.gpus), ("epochs", scenario.epochs)):
        if value is not None:
            check_value(name, value, cat, "")


def check_deadline_gpus(gpus: float, hours: float, cat: Catalog) -> None:
    """The GPU count a deadline asks for obeys the same bound as --gpus."""
    high = QUANTITIES["gpus"][1]
    if not math.isfinite(gpus) or gpus > high:
        need = f"{_show(gpus)} GPUs, over" if math.isfinite(gpus) else "more GPUs than"
        raise ConfigurationError(f"a {_show(hours)} h deadline needs {need} the limit of {_show(high)}: "
                                 "give a longer deadline or fewer tokens")


def _show(v: float) -> str:
    return f"{v:g}"
