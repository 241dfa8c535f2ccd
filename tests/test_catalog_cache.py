"""The per-user cache of the validated bundled catalog (estimator/catalog/cache.py): a cached load equals a
fresh one, a bad or stale entry is never used, and the cache can be turned off or be unwritable without error."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from estimator.catalog import cache, loader


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path / "c"))
    loader._bundled.cache_clear()
    yield tmp_path / "c"
    loader._bundled.cache_clear()


def _fresh():
    return loader._build_bundled(loader._bundled_files())


def _entries(folder):
    return sorted(folder.glob(f"{cache.PREFIX}*.pickle"))


def test_cached_catalog_equals_a_fresh_validation(folder):
    first = loader._bundled()  # builds and stores
    assert len(_entries(folder)) == 1
    loader._bundled.cache_clear()
    second = loader._bundled()  # read back from the file
    fresh = _fresh()
    for table in ("models", "hardware", "gpu_prices", "apis", "energy", "capex", "scaling_laws", "assumptions"):
        assert getattr(second, table) == getattr(fresh, table) == getattr(first, table), table
    assert second.origins == fresh.origins
    assert second.model("llama-2-7b").params == fresh.model("llama-2-7b").params


def test_corrupt_entry_is_ignored_and_rewritten(folder):
    loader._bundled()
    (entry,) = _entries(folder)
    entry.write_bytes(b"\x80\x05not a pickle")
    loader._bundled.cache_clear()
    cat = loader._bundled()
    assert "llama-2-7b" in cat.models
    assert isinstance(pickle.loads(entry.read_bytes()), loader.Catalog)


def test_an_entry_of_another_type_is_not_used(folder):
    loader._bundled()
    (entry,) = _entries(folder)
    entry.write_bytes(pickle.dumps({"models": {}}))
    loader._bundled.cache_clear()
    assert "llama-2-7b" in loader._bundled().models


def test_key_follows_every_bundled_text():
    files = loader._bundled_files()
    edited = [(name, text + "\n# edited\n" if i == 0 else text) for i, (name, text) in enumerate(files)]
    renamed = [(name + "x", text) for name, text in files]
    keys = {cache.cache_key(files), cache.cache_key(edited), cache.cache_key(renamed)}
    assert len(keys) == 3
    assert cache.cache_key(files) == cache.cache_key(list(files))


def test_entry_of_older_tables_is_removed(folder):
    folder.mkdir(parents=True)
    stale = folder / f"{cache.PREFIX}{'0' * 32}.pickle"
    stale.write_bytes(b"old")
    loader._bundled()
    assert not stale.exists() and len(_entries(folder)) == 1


def test_empty_setting_turns_the_cache_off(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.ENV_VAR, "")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    loader._bundled.cache_clear()
    try:
        assert "llama-2-7b" in loader._bundled().models
    finally:
        loader._bundled.cache_clear()
    assert cache.cache_dir() is None and not list(tmp_path.rglob("*.pickle"))


def test_unwritable_cache_folder_is_skipped(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(cache.ENV_VAR, str(blocker / "sub"))  # cannot be created: its parent is a file
    loader._bundled.cache_clear()
    try:
        assert "llama-2-7b" in loader._bundled().models
    finally:
        loader._bundled.cache_clear()


def test_default_folder_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv(cache.ENV_VAR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.cache_dir() == tmp_path / "estimator"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache.cache_dir() == Path(os.path.expanduser("~")) / ".cache" / "estimator"


def test_user_files_are_validated_on_top_of_a_cached_bundle(folder, tmp_path):
    loader._bundled()
    loader._bundled.cache_clear()
    bad = tmp_path / "mine.yaml"
    bad.write_text("gpu_prices:\n  - {gpu: h100-sxm, provider: me, usd_per_gpu_hour: -1, source: x y z, as_of: 2026-01}\n")
    with pytest.raises(loader.CatalogError, match=r"mine.yaml:2"):
        loader.load_catalog([bad])
