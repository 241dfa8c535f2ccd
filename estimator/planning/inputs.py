"""The two checks every entry point applies to its inputs before resolving: which catalog (a Catalog, user files
or the bundled one) and the --set overrides (parsed and range-checked against the catalog's bounds)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from estimator.catalog.loader import Catalog, load_catalog


def resolve_catalog(catalog: Catalog | Sequence[str] | str | None) -> Catalog:
    if isinstance(catalog, Catalog):
        return catalog
    if catalog is None:
        return load_catalog()
    return load_catalog([catalog] if isinstance(catalog, str) else list(catalog))


def checked_overrides(overrides: dict[str, Any], cat: Catalog) -> dict[str, Any]:
    """Parse and range-check every override (one-line error naming the value and the allowed range)."""
    from estimator.catalog.bounds import check_value

    return {key: check_value(key, value, cat, "--set") for key, value in overrides.items()}
