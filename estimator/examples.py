"""The bundled example dataset (package data), used when `estimator compare` runs with no arguments."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def example_dataset() -> Path:
    """Path of the bundled chat fine-tuning example (built from the catalog; see scripts/make_example_dataset.py)."""
    return Path(str(resources.files("estimator.data.examples") / "catalog_qa.jsonl"))
