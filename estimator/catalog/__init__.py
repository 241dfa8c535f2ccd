"""The catalog: YAML tables (models, hardware, prices, APIs, energy, assumption rule tables) validated and merged."""

from estimator.catalog.loader import Catalog, load_catalog, validate_file

__all__ = ["Catalog", "load_catalog", "validate_file"]
