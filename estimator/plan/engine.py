"""Rule registry, dependency ordering, evaluation and the trace behind every number.

A rule is a small pure function named after the quantity it produces; its parameters
name the quantities it needs. The engine evaluates on demand: asking for `cost_usd`
pulls `gpu_hours`, which pulls `wall_clock_hours`, and so on, each once, recording a
trace step (formula, inputs, value, source). Rules use plain arithmetic and numpy, so
the same registry evaluates one scenario (floats) or a grid (numpy arrays).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from estimator.errors import ConfigurationError
from estimator.rules.registry import Registry


@dataclass(frozen=True)
class Given:
    """A value supplied from outside the rules: user input, catalog entry or assumption table."""

    value: Any
    unit: str = ""
    source: str = "input"
    kind: str = "input"  # input | catalog | assumption | override | dataset
    formula: str = ""


@dataclass(frozen=True)
class Step:
    name: str
    value: Any
    unit: str
    kind: str  # rule | input | catalog | assumption | override | dataset
    formula: str
    inputs: tuple[str, ...]
    source: str


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

    `providers` compute a quantity from already-evaluated ones but are not formulas
    (e.g. an assumption-table lookup that depends on the GPU count); they declare their
    inputs through the Given's `formula` and are recorded as such.
    """
    overrides = dict(overrides or {})
    providers = dict(providers or {})
    ev = Evaluation()
    stack: list[str] = []

    def get(name: str) -> Any:
        if name in ev.values:
            return ev.values[name]
        if name in stack:
            raise ConfigurationError(f"rules form a cycle: {' -> '.join([*stack, name])}")
        stack.append(name)
        try:
            if name in overrides:
                value = overrides[name]
                rule = registry.rules.get(name)
                step = Step(name, value, rule.unit if rule else given.get(name, Given(None)).unit, "override",
                            "set by the user", (), "override (--set / overrides=)")
            elif name in given:
                g = given[name]
                value = g.value
                step = Step(name, value, g.unit, g.kind, g.formula, (), g.source)
            elif name in providers:
                spec = providers[name]
                needs = getattr(spec, "needs", ())
                for dep in needs:
                    get(dep)
                g = spec(ev)
                value = g.value
                step = Step(name, value, g.unit, g.kind, g.formula, tuple(needs), g.source)
            elif name in registry.rules:
                rule = registry.rules[name]
                args = [get(dep) for dep in rule.inputs]
                value = rule.func(*args)
                step = Step(name, value, rule.unit, "rule", rule.formula, rule.inputs, rule.source)
            else:
                raise ConfigurationError(f"'{name}' is needed but no input, assumption or rule provides it")
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
