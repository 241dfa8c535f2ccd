"""Read one catalog YAML file into validated entries (each with its line), and cross-check a merged catalog.

Only runs that validate YAML import this (a run whose bundled tables come from the cache never does): every
problem is one 'file:line: table 'entry', field 'f': what' line, as `estimator catalog validate` prints them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from estimator.catalog.schema import TABLES, TOP_KEYS, Assumption, entry_key, key_label
from estimator.catalog.yamlio import line_of, load_yaml
from estimator.errors import close_matches

if TYPE_CHECKING:
    from estimator.catalog.loader import Catalog


def read_table_file(path: str, text: str | None = None) -> tuple[dict[str, list[tuple[Any, BaseModel, int | None]]], list[str]]:
    """Validate one file; return ({table: [(key, entry, line)]}, problems)."""
    data, lines = load_yaml(path, text)
    problems: list[str] = []
    out: dict[str, list[tuple[Any, BaseModel, int | None]]] = {}
    if data is None:
        return out, [f"{path}:1: empty file: expected one of the keys {', '.join(TOP_KEYS)}"]
    if not isinstance(data, dict):
        return out, [f"{path}:{line_of(lines, ())}: expected a mapping with keys such as {', '.join(TOP_KEYS)}"]
    for table, entries in data.items():
        where = f"{path}:{line_of(lines, (table,))}"
        if table not in TOP_KEYS:
            close = close_matches(str(table), TOP_KEYS, n=2)
            hint = f"; did you mean {', '.join(close)}?" if close else f"; expected one of {', '.join(TOP_KEYS)}"
            problems.append(f"{where}: unknown table '{table}'{hint}")
            continue
        if table == "assumptions":
            if not isinstance(entries, dict):
                problems.append(f"{where}: 'assumptions' must map names to rule tables")
                continue
            items = [((name,), name, value) for name, value in entries.items()]
            schema: type[BaseModel] = Assumption
        else:
            if not isinstance(entries, list):
                problems.append(f"{where}: '{table}' must be a list of entries")
                continue
            items = [((i,), None, value) for i, value in enumerate(entries)]
            schema = TABLES[table]
        for sub, name, value in items:
            at = (table, *sub)
            line = line_of(lines, at)
            if not isinstance(value, dict):
                problems.append(f"{path}:{line}: {table}[{sub[0]}]: expected a mapping, got {type(value).__name__}")
                continue
            label = name or value.get("id") or value.get("model") or (
                "/".join(str(value.get(k)) for k in ("provider", "gpu", "tier")) if table == "gpu_prices" else f"#{sub[0] + 1}")
            try:
                entry = schema.model_validate(value)
            except ValidationError as exc:
                for err in exc.errors():
                    loc = tuple(err["loc"])
                    field_name = ".".join(str(p) for p in loc) or "(entry)"
                    got = err.get("input")
                    shown = repr(got) if len(repr(got)) <= 80 else repr(got)[:77] + "..."
                    got_text = "" if isinstance(got, dict) or err["type"] == "missing" else f" (got {shown})"
                    msg = err["msg"].removeprefix("Value error, ")
                    problems.append(f"{path}:{line_of(lines, (*at, *loc))}: {table} '{label}', field '{field_name}': {msg}{got_text}")
                continue
            key = name if table == "assumptions" else entry_key(table, entry)
            out.setdefault(table, []).append((key, entry, line))
    return out, problems


def cross_check(cat: Catalog) -> list[str]:
    problems = []
    for key, price in cat.gpu_prices.items():
        if price.gpu not in cat.hardware:
            problems.append(f"{cat.origin('gpu_prices', key)}: gpu_prices '{key_label(key)}', field 'gpu': unknown GPU id "
                            f"'{price.gpu}'" + _did_you_mean(price.gpu, cat.hardware))
    for key, row in cat.capex.items():
        if row.gpu not in cat.hardware:
            problems.append(f"{cat.origin('capex', key)}: capex '{key}', field 'gpu': unknown GPU id '{row.gpu}'"
                            + _did_you_mean(row.gpu, cat.hardware))
    for key, api in cat.apis.items():
        if api.model not in cat.models:
            problems.append(f"{cat.origin('apis', key)}: apis '{key}', field 'model': unknown model id '{api.model}'"
                            + _did_you_mean(api.model, cat.models))
    return problems


def _did_you_mean(wanted: str, table: Iterable[str]) -> str:
    close = close_matches(wanted, list(table), n=3)
    return f"; did you mean {', '.join(close)}?" if close else ""
