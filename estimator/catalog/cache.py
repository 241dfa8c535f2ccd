"""A per-user cache of the validated bundled catalog, so a process does not re-parse and re-validate YAML it
has already checked.

The bundled tables are the same for every run of one installed version, yet parsing and validating them
(PyYAML + pydantic) is a third of a single estimate's run time. The first run validates them as usual and
pickles the resulting Catalog to `<cache dir>/catalog-<key>.pickle`; later runs load that file. The key is a
SHA-256 of every bundled file's text, the source of the modules that define the pickled objects (schema,
loader, choices) and the pydantic and Python versions, so editing a table or the schema, upgrading, or
switching interpreters never reads a stale entry. User catalog files (`--catalog`,
ESTIMATOR_CATALOG) are never cached: they are validated on every run, on top of the cached bundled tables.

The cache directory is ESTIMATOR_CACHE_DIR, else $XDG_CACHE_HOME/estimator, else ~/.cache/estimator. Setting
ESTIMATOR_CACHE_DIR to an empty string turns the cache off. A cache that cannot be read (corrupt, truncated,
from another build) is ignored and rewritten; one that cannot be written is skipped silently, since it only
saves time. Files are written atomically (temp file, then rename), so two concurrent runs never see half a
file.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ENV_VAR = "ESTIMATOR_CACHE_DIR"
PREFIX = "catalog-"
SHAPING_MODULES = ("catalog/schema.py", "catalog/schema_base.py", "catalog/loader.py", "choices.py")  # relative to the estimator package


def cache_dir() -> Path | None:
    """Where the cache lives, or None when ESTIMATOR_CACHE_DIR is set to an empty string (cache off)."""
    if ENV_VAR in os.environ:
        value = os.environ[ENV_VAR].strip()
        return Path(value).expanduser() if value else None
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "estimator"


def cache_key(texts: list[tuple[str, str]]) -> str:
    """SHA-256 over the bundled files (name and text), the code that shapes the pickled objects, and versions."""
    import pydantic
    import pydantic_core

    here = Path(__file__).resolve().parent
    code = [(f"code:{name}", (here.parent / name).read_text(encoding="utf-8")) for name in SHAPING_MODULES]
    digest = hashlib.sha256()
    digest.update(f"pydantic={pydantic.VERSION}\npydantic-core={pydantic_core.__version__}\n".encode())
    digest.update(f"python={sys.version}\npickle={pickle.HIGHEST_PROTOCOL}\n".encode())
    for name, text in [*code, *texts]:
        digest.update(f"{name}\n{len(text)}\n".encode())
        digest.update(text.encode("utf-8"))
    return digest.hexdigest()[:32]


def _read(path: Path) -> Any | None:
    try:
        with path.open("rb") as f:
            return pickle.load(f)
    except Exception:  # missing, corrupt, truncated or from another build: rebuild
        return None


def _write(path: Path, value: Any) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
        for old in path.parent.glob(f"{PREFIX}*.pickle"):  # entries of earlier versions of the tables
            if old != path:
                old.unlink(missing_ok=True)
    except Exception:
        Path(tmp).unlink(missing_ok=True)


def cached(texts: list[tuple[str, str]], build: Callable[[], Any], expected: type) -> Any:
    """`build()`'s result for these bundled texts: from the cache when a valid entry exists, else built and stored."""
    folder = cache_dir()
    if folder is None:
        return build()
    try:
        path = folder / f"{PREFIX}{cache_key(texts)}.pickle"
    except OSError:  # the shaping modules' source is not readable (a bytecode-only install): no cache
        return build()
    value = _read(path)
    if isinstance(value, expected):
        return value
    value = build()
    _write(path, value)
    return value
