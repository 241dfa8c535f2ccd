"""Formulas, one small pure function per quantity, grouped by concern.

Importing this package registers every rule in `REGISTRY`.
"""

from estimator.rules import api_billing, compute, cost, dataset, memory, throughput  # noqa: F401  (registration)
from estimator.rules.base import REGISTRY

__all__ = ["REGISTRY"]
