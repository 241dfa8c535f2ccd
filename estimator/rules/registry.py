"""Rules: small pure functions named after the quantity they produce, registered with formula, unit and source."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Rule:
    name: str
    func: Callable[..., Any]
    inputs: tuple[str, ...]
    formula: str
    source: str
    unit: str
    # for a rule that picks one of its inputs per row (np.where): which inputs a row with these
    # input values really used, so its trace shows only the branch it took
    uses: Callable[[dict[str, Any]], tuple[str, ...]] | None = None


class Registry:
    def __init__(self) -> None:
        self.rules: dict[str, Rule] = {}

    def rule(self, *, unit: str, formula: str, source: str,
             uses: Callable[[dict[str, Any]], tuple[str, ...]] | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Register `func` as the rule producing the quantity named like the function."""

        def register(func: Callable[..., Any]) -> Callable[..., Any]:
            name = func.__name__
            if name in self.rules:
                raise ValueError(f"rule '{name}' is registered twice")
            inputs = tuple(inspect.signature(func).parameters)
            self.rules[name] = Rule(name, func, inputs, formula, source, unit, uses)
            return func

        return register
