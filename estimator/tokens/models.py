"""How to count for a catalog model: its settings, and its real tokenizer when one is already on this machine.

A model's tokenizer.json is used, without any flag, when it is found (first match wins):

1. ``tokenizer.file`` in the model's catalog entry (e.g. in a user catalog given with
   ``--catalog`` or ``$ESTIMATOR_CATALOG``), a path to a tokenizer.json;
2. the Hugging Face hub cache (``$HF_HUB_CACHE``, else ``$HF_HOME/hub``, else
   ``~/.cache/huggingface/hub``), in ``models--ORG--NAME/snapshots/REV/tokenizer.json`` for the
   model's repository: ``tokenizer.hf_repo`` if the entry declares one, else the
   huggingface.co repository its ``source`` cites.

Nothing is ever downloaded. Otherwise the count keeps the catalog's approximation (nearest
bundled encoding times ``factor``), with the factor's measured error when we have one.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_HF_REPO = re.compile(r"huggingface\.co/([A-Za-z0-9][\w.-]*/[\w.-]+)")


@dataclass
class ModelCount:
    """Everything count_tokens takes from a model: settings, and where an exact tokenizer came from."""

    settings: dict[str, Any]
    tokenizer_file: str | None = None
    tokenizer_source: str | None = None
    factor_check: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)


def hub_cache() -> Path:
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"])
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]) / "hub"
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "huggingface" / "hub"


def hf_repos(spec: Any) -> list[str]:
    declared = getattr(spec.tokenizer, "hf_repo", None) if spec.tokenizer is not None else None
    if declared:
        return [declared]
    return list(dict.fromkeys(m.rstrip(".") for m in _HF_REPO.findall(spec.source or "")))


def cached_tokenizer(repo: str, cache: Path | None = None) -> Path | None:
    """tokenizer.json of ``repo`` in the hub cache: the snapshot refs/main points at, else the newest."""
    root = (cache or hub_cache()) / f"models--{repo.replace('/', '--')}"
    snapshots = root / "snapshots"
    if not snapshots.is_dir():
        return None
    ref = root / "refs" / "main"
    if ref.is_file():
        main = snapshots / ref.read_text().strip() / "tokenizer.json"
        if main.is_file():
            return main
    found = [p for p in snapshots.glob("*/tokenizer.json") if p.is_file()]
    return max(found, key=lambda p: p.stat().st_mtime) if found else None


def find_tokenizer(spec: Any) -> tuple[str, str] | None:
    """(path, how it was found) of the model's own tokenizer.json on this machine, or None."""
    declared = getattr(spec.tokenizer, "file", None) if spec.tokenizer is not None else None
    if declared:
        path = Path(os.path.expandvars(declared)).expanduser()
        if path.is_file():
            return str(path), f"the catalog entry's tokenizer.file ({path})"
    for repo in hf_repos(spec):
        path = cached_tokenizer(repo)
        if path is not None:
            return str(path), f"the Hugging Face cache ({repo}: {path})"
    return None


def model_count(model_id: str, catalogs=(), encoding: str | None = None, use_local_tokenizer: bool = True) -> ModelCount:
    """Settings for counting for ``model_id`` (tokenizer_settings and the catalog's context and API cap)."""
    from estimator.catalog import load_catalog
    from estimator.planning.dataset_tokens import tokenizer_settings
    from estimator.tokens.factors import factor_check

    cat = load_catalog(list(catalogs))
    spec = cat.model(model_id)
    api = cat.api_for(spec.id)
    settings, notes = tokenizer_settings(spec, "api" if spec.api_only else "lora")
    settings = settings | {"context": spec.context, "example_cap": api.max_example_tokens if api is not None else None}
    out = ModelCount(settings, notes=notes)
    if encoding is not None and encoding != settings["encoding"]:
        settings["factor"] = 1.0  # the model's factor is relative to its own nearest encoding
        return out
    found = find_tokenizer(spec) if use_local_tokenizer and not spec.api_only else None
    if found is not None:
        out.tokenizer_file, out.tokenizer_source = found
        settings.update(factor=1.0, approximate=False)
    elif settings["approximate"]:
        out.factor_check = factor_check(spec, settings["encoding"], settings["factor"])
    return out
