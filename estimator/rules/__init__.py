"""Formulas, one small pure function per quantity, grouped by concern.

Importing this package registers every rule in `REGISTRY`.
"""

from estimator.rules import (  # noqa: F401  (registration)
    api_billing,
    compute,
    cost,
    dataset,
    memory,
    offload,
    owned,
    scaling,
    serving,
    throughput,
)
from estimator.rules.base import REGISTRY

__all__ = ["REGISTRY"]
