"""Load, validate and merge the YAML tables (bundled + user files) and look entries up."""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from estimator.catalog.schema import (
    TABLES,
    ApiPrice,
    Assumption,
    Capex,
    EnergyRegion,
    GpuPrice,
    Hardware,
    ModelSpec,
    ScalingLaw,
    key_label,
)
from estimator.errors import CatalogError, UnknownIdError, close_matches

SPEC_FILES = ("models.yaml", "hardware.yaml", "assumptions.yaml", "scaling_laws.yaml")
PRICING_FILES = ("gpu_prices.yaml", "apis.yaml", "energy.yaml", "capex.yaml")
ENV_VAR = "ESTIMATOR_CATALOG"


def normalize(name: str) -> str:
    """Case- and separator-insensitive key: 'Llama_2 7B' -> 'llama-2-7b'."""
    return "-".join(str(name).strip().lower().replace("_", " ").replace("/", " / ").split()).replace("-/-", "/")


@dataclass
class Catalog:
    """All tables, merged. Look entries up with `model()`, `gpu()`, `api_for()`, `price()`."""

    models: dict[str, ModelSpec] = field(default_factory=dict)
    hardware: dict[str, Hardware] = field(default_factory=dict)
    gpu_prices: dict[tuple[str, str, str], GpuPrice] = field(default_factory=dict)
    apis: dict[str, ApiPrice] = field(default_factory=dict)
    energy: dict[str, EnergyRegion] = field(default_factory=dict)
    capex: dict[str, Capex] = field(default_factory=dict)
    scaling_laws: dict[str, ScalingLaw] = field(default_factory=dict)
    assumptions: dict[str, Assumption] = field(default_factory=dict)
    origins: dict[tuple[str, Any], str] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    # ---- lookups -------------------------------------------------------------------
    def _lookup(self, kind: str, table: dict[str, Any], wanted: str) -> Any:
        if not isinstance(wanted, str) or not wanted.strip():
            raise UnknownIdError(kind, str(wanted))
        key = normalize(wanted)
        names: dict[str, str] = {}
        for entry_id, entry in table.items():
            names[normalize(entry_id)] = entry_id
            for alias in getattr(entry, "aliases", []) or []:
                names.setdefault(normalize(alias), entry_id)
        if key in names:
            return table[names[key]]
        close = close_matches(key, list(names), n=3, cutoff=0.6)
        matches = list(dict.fromkeys(names[c] for c in close))
        raise UnknownIdError(kind, wanted, matches, sorted(table) if len(table) <= 12 else None)

    def model(self, wanted: str) -> ModelSpec:
        return self._lookup("model", self.models, wanted)

    def gpu(self, wanted: str) -> Hardware:
        return self._lookup("GPU", self.hardware, wanted)

    def energy_region(self, wanted: str | None = None) -> EnergyRegion:
        if wanted is None:
            defaults = [e for e in self.energy.values() if e.default]
            if not defaults:
                raise CatalogError("no energy region is marked default: true")
            return defaults[-1]
        return self._lookup("energy region", self.energy, wanted)

    def apis_for(self, model_id: str) -> list[ApiPrice]:
        """Every hosted fine-tuning service offered for a model (catalog order)."""
        return [a for a in self.apis.values() if a.model == model_id]

    def api_for(self, model_id: str) -> ApiPrice | None:
        """The model's default hosted service: its first per-token supervised fine-tuning row."""
        rows = self.apis_for(model_id)
        sft = [a for a in rows if a.billing == "per_token" and a.method == "sft"]
        return (sft or rows or [None])[0]

    def api_models(self) -> list[str]:
        return sorted({a.model for a in self.apis.values()})

    def service(self, wanted: str) -> ApiPrice:
        """A hosted service by id ('together/llama-3.1-8b-lora')."""
        return self._lookup("hosted service", self.apis, wanted)

    def capex_for(self, gpu_id: str) -> Capex | None:
        """The GPU's default purchase-price row (marked default, else the first listed)."""
        rows = [c for c in self.capex.values() if c.gpu == gpu_id]
        return ([c for c in rows if c.default] or rows or [None])[0]

    def scaling_law(self, wanted: str) -> ScalingLaw:
        return self._lookup("scaling law", self.scaling_laws, wanted)

    def providers(self) -> list[str]:
        return sorted({p for p, _, _ in self.gpu_prices})

    def prices_for(self, gpu_id: str, tier: str | None = None) -> list[GpuPrice]:
        return [p for (prov, g, t), p in sorted(self.gpu_prices.items()) if g == gpu_id and (tier is None or t == tier)]

    def price_rows(self, gpu_id: str, provider: str | None, tier: str = "on_demand") -> tuple[str, list[GpuPrice]]:
        """The price rows an estimate uses, and how they were chosen: a named provider's (gpu, tier) row, or
        every provider's row for (gpu, tier) (the `rental_usd_per_gpu_hour` rule takes their median)."""
        if provider is not None:
            prov = normalize(provider)
            if prov not in self.providers():
                self._lookup("provider", {p: None for p in self.providers()}, provider)
            row = self.gpu_prices.get((prov, gpu_id, tier))
            if row is None:
                offered = sorted(t for (p, g, t) in self.gpu_prices if p == prov and g == gpu_id)
                others = sorted(p for (p, g, t) in self.gpu_prices if g == gpu_id and t == tier)
                hint = f"; {prov} lists {gpu_id} tiers: {', '.join(offered)}" if offered else ""
                hint += f"; providers with {gpu_id} {tier}: {', '.join(others)}" if others else ""
                raise CatalogError(f"no {tier} price for {gpu_id} at {prov}{hint}")
            return f"{prov} {tier}", [row]
        rows = self.prices_for(gpu_id, tier)
        if not rows:
            return f"no {tier} price listed for {gpu_id}", []
        return f"median of {len(rows)} {tier} prices ({', '.join(r.provider for r in rows)})", rows

    def assumption(self, name: str) -> Assumption:
        if name not in self.assumptions:
            raise UnknownIdError("assumption", name, close_matches(name, list(self.assumptions), n=3))
        return self.assumptions[name]

    def origin(self, table: str, key: Any) -> str:
        return self.origins.get((table, key), "")

    def frame(self, table: str):
        """One table as a pandas DataFrame (one row per entry)."""
        import pandas as pd

        entries = getattr(self, table)
        rows = []
        for key, entry in entries.items():
            row = {"key": key_label(key)} | entry.model_dump()
            if table == "assumptions":
                row = {"key": key, "unit": entry.unit, "rules": len(entry.rules), "description": entry.description}
            rows.append(row)
        return pd.DataFrame(rows)


# ---- loading ---------------------------------------------------------------------------
def _merge_file(cat: Catalog, path: str, text: str | None = None) -> list[str]:
    from estimator.catalog.reading import read_table_file

    tables, problems = read_table_file(path, text)
    seen: set[tuple[str, Any]] = set()
    for table, rows in tables.items():
        target = getattr(cat, table)
        for key, entry, line in rows:
            if (table, key) in seen:
                problems.append(f"{path}:{line}: {table} '{key_label(key)}' is defined twice in this file")
            seen.add((table, key))
            target[key] = entry
            cat.origins[(table, key)] = f"{path}:{line}"
    cat.files.append(str(path))
    return problems


def _bundled_files() -> list[tuple[str, str]]:
    """(display path, text) of every bundled table, read as package data."""
    out = []
    for package, names in (("estimator.specs", SPEC_FILES), ("estimator.pricing", PRICING_FILES)):
        try:
            root = resources.files(package)
        except ModuleNotFoundError:  # running from a source tree without install
            root = Path(__file__).resolve().parents[2] / "pricing"
        for name in names:
            res = root / name
            out.append((f"{package.replace('.', '/')}/{name}", res.read_text(encoding="utf-8")))
    return out


def _build_bundled(files: list[tuple[str, str]]) -> Catalog:
    from estimator.catalog.reading import cross_check

    cat = Catalog()
    problems: list[str] = []
    for display, text in files:
        problems += _merge_file(cat, display, text)
    problems += cross_check(cat)
    if problems:
        raise CatalogError(f"bundled catalog is invalid: {problems[0]}")
    return cat


@functools.lru_cache(maxsize=1)
def _bundled() -> Catalog:
    """The bundled tables, validated once per installed version (catalog/cache.py) and once per process."""
    from estimator.catalog.cache import cached

    files = _bundled_files()
    return cached(files, lambda: _build_bundled(files), Catalog)


def user_catalog_files(extra: Sequence[str | os.PathLike] = ()) -> list[str]:
    """Files from ESTIMATOR_CATALOG (os.pathsep-separated) then explicit ones, in merge order."""
    env = [p for p in os.environ.get(ENV_VAR, "").split(os.pathsep) if p.strip()]
    return [*env, *(str(p) for p in extra)]


def load_catalog(extra: Sequence[str | os.PathLike] = (), *, use_env: bool = True) -> Catalog:
    """Bundled tables merged with user files (later files win, by id)."""
    base = _bundled()
    files = user_catalog_files(extra) if use_env else [str(p) for p in extra]
    if not files:
        return base
    from estimator.catalog.reading import cross_check

    cat = Catalog(**{name: dict(getattr(base, name)) for name in (*TABLES, "assumptions")},
                  origins=dict(base.origins), files=list(base.files))
    problems: list[str] = []
    for path in files:
        problems += _merge_file(cat, path)
    problems += cross_check(cat)
    if problems:
        more = f" (and {len(problems) - 1} more; run 'estimator catalog validate')" if len(problems) > 1 else ""
        raise CatalogError(problems[0] + more)
    return cat


def validate_file(path: str | os.PathLike) -> list[str]:
    """Every problem in one user file (against the bundled tables), each 'file:line: field: what'."""
    cat = Catalog(**{name: dict(getattr(_bundled(), name)) for name in (*TABLES, "assumptions")},
                  origins=dict(_bundled().origins))
    try:
        problems = _merge_file(cat, str(path))
    except CatalogError as exc:
        return [str(exc)]
    from estimator.catalog.reading import cross_check

    return problems + cross_check(cat)
