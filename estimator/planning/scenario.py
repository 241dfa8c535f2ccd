"""Scenario: what the user asks, validated before any number is computed."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from estimator.choices import METHODS, TIERS
from estimator.errors import ConfigurationError
from estimator.units import parse_duration_hours, parse_number


@dataclass
class Scenario:
    method: str
    model: str | dict[str, Any]
    tokens: float | None = None
    epochs: float | None = None
    gpu: str | None = None
    gpus: int | None = None
    deadline_hours: float | None = None
    provider: str | None = None
    tier: str = "on_demand"
    region: str | None = None
    dataset: Any = None
    overrides: dict[str, Any] = field(default_factory=dict)
    name: str | None = None
    packing: bool = True

    def __post_init__(self) -> None:
        method = str(self.method).strip().lower()
        if method not in METHODS:
            raise ConfigurationError(f"unknown method '{self.method}'; choose one of {', '.join(METHODS)}")
        self.method = method
        self.tokens = positive_number("tokens", self.tokens)
        self.epochs = positive_number("epochs", self.epochs)
        if self.gpus is not None:
            gpus = positive_number("gpus", self.gpus)
            if gpus != int(gpus):
                raise ConfigurationError(f"gpus must be a whole number, got {self.gpus}")
            self.gpus = int(gpus)
        if self.deadline_hours is not None:
            try:
                self.deadline_hours = parse_duration_hours(self.deadline_hours)
            except ValueError as exc:
                raise ConfigurationError(f"deadline: {exc}") from None
            self.deadline_hours = positive_number("deadline", self.deadline_hours)
        if self.gpus is not None and self.deadline_hours is not None:
            raise ConfigurationError("give either gpus or a deadline, not both")
        if self.tokens is None and not self.dataset:
            raise ConfigurationError("give the training tokens (e.g. --tokens 2T) or a dataset")
        if self.tokens is not None and self.dataset:
            raise ConfigurationError("give either tokens or a dataset, not both")
        if self.tier not in TIERS:
            raise ConfigurationError(f"unknown tier '{self.tier}'; choose on_demand, spot, reserved or capacity_block")
        self.overrides = {str(k): v for k, v in (self.overrides or {}).items()}

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, {}, [])}


MONEY = ("--budget",)  # amounts in dollars: a leading '$' is allowed


def positive_number(name: str, value: Any, allow_zero: bool = False) -> float | None:
    """A human number ('7B', 2e12) that must be positive (or zero, with allow_zero); None stays None.
    One line naming `name` otherwise (scenarios, plan and serve all check their numbers here)."""
    if value is None:
        return None
    if isinstance(value, str) and name in MONEY:  # '$50k' reads as 50k dollars
        value = value.strip().removeprefix("$")
    try:
        number = parse_number(value)
    except ValueError as exc:
        raise ConfigurationError(f"{name}: {exc}") from None
    if math.isnan(number) or math.isinf(number) or number < 0 or (number == 0 and not allow_zero):
        raise ConfigurationError(f"{name} must be a {'non-negative' if allow_zero else 'positive'} number, got {value}")
    return number
