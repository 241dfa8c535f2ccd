"""The one registry every rule module adds to, and helpers that work on scalars and arrays."""

from __future__ import annotations

import numpy as np

from estimator.rules.registry import Registry

REGISTRY = Registry()
rule = REGISTRY.rule

PEFT = ("lora", "qlora")


def is_in(value, names) -> np.ndarray:
    """Elementwise membership for a string or an array of strings."""
    return np.isin(np.asarray(value, dtype=object), list(names))


def scalar(value):
    """0-d arrays back to Python scalars; arrays unchanged."""
    arr = np.asarray(value)
    return arr.item() if arr.ndim == 0 else arr
