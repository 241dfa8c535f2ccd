"""The base classes every catalog entry schema shares: strict numbers (no booleans), forbidden unknown fields,
and the `source` / `as_of` / `notes` / `confidence` provenance fields with their date check."""

from __future__ import annotations

import datetime as dt
import re
import typing
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

_AS_OF = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_ID = re.compile(r"^[a-z0-9][a-z0-9.\-]*$")


def _types(annotation: Any) -> set[Any]:
    """Every type named in an annotation (through Optional, unions, Annotated, dict/list/tuple arguments)."""
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is Annotated:
        return _types(args[0])
    return {annotation} | {t for a in args for t in _types(a)} if args else {annotation}


def _has_bool(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_bool(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_bool(v) for v in value)
    return isinstance(value, bool)


class _Strict(BaseModel):
    """Booleans are not numbers: `usd_per_gpu_hour: true` is an error, not $1.00.

    Validators are built on first use (defer_build), so a run that takes the bundled tables from the cache
    (catalog/cache.py) never pays for building them."""

    model_config = ConfigDict(defer_build=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_numbers(cls, v: Any, info: Any) -> Any:
        if _has_bool(v):
            types = _types(cls.model_fields[info.field_name].annotation)
            if types & {int, float} and not types & {bool, Any}:
                raise ValueError("expected a number, got a boolean (true/false/yes/no/on/off)")
        return v


class _Entry(_Strict):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True, allow_inf_nan=False)

    source: str = Field(min_length=3)
    as_of: str
    notes: str | None = None
    confidence: str | None = None

    @field_validator("as_of", mode="before")
    @classmethod
    def _as_of(cls, v: Any) -> str:
        if isinstance(v, (dt.date, dt.datetime)):
            v = v.isoformat()[:10]
        if isinstance(v, int):
            v = str(v)
        if not isinstance(v, str) or not _AS_OF.match(v):
            raise ValueError("expected a date YYYY-MM-DD, YYYY-MM or YYYY")
        parts = [int(p) for p in v.split("-")] + [1, 1]
        try:
            when = dt.date(parts[0], parts[1], parts[2])
        except ValueError:
            raise ValueError(f"'{v}' is not a calendar date") from None
        if when > dt.date.today():
            raise ValueError(f"as_of {v} is in the future")
        return v

    @property
    def as_of_date(self) -> dt.date:
        parts = [int(p) for p in self.as_of.split("-")] + [1, 1]
        return dt.date(parts[0], parts[1], parts[2])


def _check_id(v: str) -> str:
    if not _ID.match(v):
        raise ValueError("ids are lowercase letters, digits, '.', '-' (e.g. llama-3.1-8b)")
    return v
