"""Evaluation of the rules over scenario columns, and the trace behind every number.

The engine evaluates on demand: asking for `cost_usd` pulls `gpu_hours`, which pulls
`wall_clock_hours`, and so on, each once, recording a trace step (formula, inputs, value,
provenance). Values are scalars (one scenario, or a quantity equal on every row) or numpy
arrays with one element per scenario row, so one pass serves an estimate, a grid, the
perturbed rows of a sensitivity analysis and the draws of a Monte Carlo run.

Precedence per quantity: override > given > provider > rule. An override or given may be
*partial* (NaN, or None for text, on the rows it does not cover): those rows fall through to
the next source, and the step remembers which rows came from where.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from estimator.errors import ConfigurationError
from estimator.rules.registry import Registry


@dataclass(frozen=True)
class Origin:
    """Where a value comes from, as data: the table and row, the source, its date and P10-P90 range."""

    table: str = ""  # catalog table ('models', 'gpu_prices', ...) or assumption table name; '' for user input
    row: Any = None  # the row's key in that table (an id, a (provider, gpu, tier) key, a 1-based rule number)
    source: str = "input"
    as_of: str | None = None
    range: tuple[float, float] | None = None


@dataclass(frozen=True)
class Given:
    """A value supplied from outside the rules: user input, catalog entry or assumption table.

    `origins`: where the value comes from (several for a value derived from several rows, e.g. a
    median of listed prices). A value that differs by row carries `variants` (one Given per
    distinct source) and `codes` (the variant of each row). `partial`: rows holding NaN/None
    are not given and fall through to the next source.
    """

    value: Any
    unit: str = ""
    source: str = "input"
    kind: str = "input"  # input | catalog | assumption | override | dataset | rule
    formula: str = ""
    origins: tuple[Origin, ...] = ()
    variants: tuple[Given, ...] = ()
    codes: Any = None
    partial: bool = False


@dataclass(frozen=True)
class Step:
    name: str
    value: Any
    unit: str
    kind: str  # rule | input | catalog | assumption | override | dataset
    formula: str
    inputs: tuple[str, ...]
    source: str
    origins: tuple[Origin, ...] = ()
    variants: tuple[Given, ...] = ()
    codes: Any = None
    parts: tuple[Any, ...] = ()  # (mask, step where mask, step elsewhere) for a partial given or override

    @property
    def origin(self) -> Origin | None:
        """The single origin of a one-row (or uniform) step."""
        return self.origins[0] if len(self.origins) == 1 else None

    @property
    def table(self) -> str:
        return self.origin.table if self.origin else ""

    @property
    def row(self) -> Any:
        return self.origin.row if self.origin else None

    @property
    def as_of(self) -> str | None:
        return self.origin.as_of if self.origin else None

    @property
    def range(self) -> tuple[float, float] | None:
        return self.origin.range if self.origin else None

    def at(self, i: int) -> Step:
        """This step as row `i` saw it: a scalar value and that row's own provenance."""
        if self.parts:
            covered, given_step, rest = self.parts
            return (given_step if bool(covered[i]) else rest).at(i)
        value = row_of(self.value, i)
        if self.variants:
            code = int(np.asarray(self.codes)[i] if np.ndim(self.codes) else self.codes)
            v = self.variants[code]
            return replace(self, value=value, unit=v.unit or self.unit, kind=v.kind, formula=v.formula, source=v.source,
                           origins=v.origins, variants=(), codes=None)
        return replace(self, value=value)


def row_of(value: Any, i: int) -> Any:
    """Row i of a column. A value with one leading row (shape (1, ...), e.g. one list of prices for every row)
    or no dimensions is the same on every row."""
    if not np.ndim(value):
        return value.item() if isinstance(value, (np.generic, np.ndarray)) else value
    v = value[0] if np.shape(value)[0] == 1 else value[i]
    return v.item() if isinstance(v, np.generic) else v


def _step_from(name: str, g: Given, inputs: tuple[str, ...] = ()) -> Step:
    return Step(name, g.value, g.unit, g.kind, g.formula, inputs, g.source, g.origins, g.variants, g.codes)


def missing(value: Any) -> Any:
    """Rows of a partial value that are not given: NaN for numbers, None for text."""
    arr = np.asarray(value)
    if arr.dtype == object:
        return np.frompyfunc(lambda v: v is None or (isinstance(v, float) and v != v), 1, 1)(arr).astype(bool)
    return np.isnan(arr.astype(float))


@dataclass
class Evaluation:
    values: dict[str, Any] = field(default_factory=dict)
    steps: dict[str, Step] = field(default_factory=dict)

    def trace_for(self, targets: list[str]) -> list[Step]:
        """Steps needed for `targets`, dependencies first."""
        ordered: list[Step] = []
        seen: set[str] = set()

        def visit(name: str) -> None:
            if name in seen or name not in self.steps:
                return
            seen.add(name)
            for dep in self.steps[name].inputs:
                visit(dep)
            ordered.append(self.steps[name])

        for t in targets:
            visit(t)
        return ordered


def evaluate(
    registry: Registry,
    targets: list[str],
    given: Mapping[str, Given],
    overrides: Mapping[str, Any] | None = None,
    providers: Mapping[str, Callable[[Evaluation], Given]] | None = None,
) -> Evaluation:
    """Compute `targets`. Order of precedence per quantity: override > given > provider > rule.

    `providers` compute a quantity from already-evaluated ones but are not formulas (e.g. an
    assumption-table lookup that depends on the GPU count); they declare the quantities they
    read in a `needs` attribute. An override is a value or a partial `Given`.
    """
    overrides = dict(overrides or {})
    providers = dict(providers or {})
    ev = Evaluation()
    stack: list[str] = []

    def source_of(name: str, level: int) -> tuple[Any, Step]:
        """Value and step of `name` from the source at `level` (0 override, 1 given, 2 provider, 3 rule) or below."""
        if level <= 0 and name in overrides:
            o = overrides[name]
            g = o if isinstance(o, Given) else Given(o, kind="override")
            rule = registry.rules.get(name)
            unit = rule.unit if rule else given.get(name, Given(None)).unit
            g = replace(g, unit=unit, kind="override", formula="set by the user",
                        source="override (--set / overrides=)", origins=(Origin("", None, "override (--set / overrides=)"),))
            return _combine(name, g, lambda: source_of(name, 1))
        if level <= 1 and name in given:
            return _combine(name, given[name], lambda: source_of(name, 2))
        if level <= 2 and name in providers:
            spec = providers[name]
            needs = tuple(getattr(spec, "needs", ()))
            for dep in needs:
                get(dep)
            g = spec(ev)
            return _combine(name, g, lambda: source_of(name, 3), needs)
        if name in registry.rules:
            rule = registry.rules[name]
            args = [get(dep) for dep in rule.inputs]
            value = rule.func(*args)
            return value, Step(name, value, rule.unit, "rule", rule.formula, rule.inputs, rule.source)
        raise ConfigurationError(f"'{name}' is needed but no input, assumption or rule provides it")

    def get(name: str) -> Any:
        if name in ev.values:
            return ev.values[name]
        if name in stack:
            raise ConfigurationError(f"rules form a cycle: {' -> '.join([*stack, name])}")
        stack.append(name)
        try:
            value, step = source_of(name, 0)
        finally:
            stack.pop()
        ev.values[name] = value
        ev.steps[name] = step
        return value

    # inf/NaN are meaningful here (e.g. "fits on no count" is inf) and checked by the caller.
    with np.errstate(all="ignore"):
        for target in targets:
            get(target)
    return ev


def _combine(name: str, g: Given, fallback: Callable[[], tuple[Any, Step]],
             inputs: tuple[str, ...] = ()) -> tuple[Any, Step]:
    step = _step_from(name, g, inputs)
    if not g.partial:
        return g.value, step
    mask = missing(g.value)
    if not mask.any():
        return g.value, step
    if mask.all():
        return fallback()
    rest_value, rest_step = fallback()
    value = np.where(mask, rest_value, g.value)
    if value.dtype == object and not np.asarray(g.value).dtype == object:
        value = value.astype(float)
    covered = ~mask
    return value, Step(name, value, step.unit or rest_step.unit, step.kind, step.formula,
                       tuple(dict.fromkeys((*inputs, *rest_step.inputs))), step.source, parts=(covered, step, rest_step))
