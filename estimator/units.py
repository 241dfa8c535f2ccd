"""Human number parsing (7B, 2T, 300M, 30d) and formatting (1.2 M GPU-h, $3.4 M)."""

from __future__ import annotations

import math
import re

_SUFFIX = {"": 1.0, "k": 1e3, "m": 1e6, "b": 1e9, "g": 1e9, "t": 1e12, "p": 1e15}
_NUMBER = re.compile(r"^\s*([-+]?[0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([kmbgtp]?)\s*$", re.IGNORECASE)
_DURATION = re.compile(r"^\s*([-+]?[0-9]*\.?[0-9]+)\s*(s|sec|seconds?|min|minutes?|h|hr|hours?|d|days?|w|weeks?)\s*$",
                       re.IGNORECASE)


def parse_number(text: str | float | int) -> float:
    """'7B' -> 7e9, '2T' -> 2e12, '300M' -> 3e8, '1.5e9' -> 1.5e9, '100,000' -> 1e5. A boolean is not a number."""
    if isinstance(text, bool):
        raise ValueError(f"{str(text).lower()} is a boolean, not a number")
    if isinstance(text, (int, float)):
        return float(text)
    m = _NUMBER.match(str(text).replace(",", "").replace("_", ""))
    if not m:
        raise ValueError(f"'{text}' is not a number (examples: 7B, 2T, 300M, 1.5e9)")
    return float(m.group(1)) * _SUFFIX[m.group(2).lower()]


def parse_duration_hours(text: str | float) -> float:
    """'30d' -> 720, '12h' -> 12, '2w' -> 336; a bare number is hours. A boolean is not a duration."""
    if isinstance(text, bool):
        raise ValueError(f"{str(text).lower()} is a boolean, not a duration (examples: 30d, 12h, 2w)")
    if isinstance(text, (int, float)):
        return float(text)
    m = _DURATION.match(str(text))
    if not m:
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"'{text}' is not a duration (examples: 30d, 12h, 2w)") from None
    value, unit = float(m.group(1)), m.group(2).lower()
    if unit.startswith("min"):
        return value / 60.0
    return value * {"s": 1 / 3600.0, "h": 1.0, "d": 24.0, "w": 168.0}[unit[0]]


def si(value: float, digits: int = 3) -> str:
    """1234567 -> '1.23 M'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if math.isinf(value):
        return "∞"
    if abs(value) >= 1e27:  # beyond the last prefix: scientific notation, not "1e+06 Y"
        return f"{value:.{digits}g}"
    for factor, suffix in ((1e24, "Y"), (1e21, "Z"), (1e18, "E"), (1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.{digits}g} {suffix}"
    return f"{value:.{digits}g}"


def count(value: float, digits: int = 3, space: str = " ") -> str:
    """Counts of parameters, tokens or requests in the short scale: 1.35e10 -> '13.5 B', 2e12 -> '2 T', 2500 -> '2.5 k'."""
    for factor, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.{digits}g}{space}{suffix}"
    return f"{value:.{digits}g}"


SI_UNITS = ("Wh", "FLOP", "B")


def with_unit(value: float, unit: str, digits: int = 3) -> str:
    """1.23e6 Wh -> '1.23 MWh'; 666 Wh -> '666 Wh'; 2e12 tokens -> '2 T tokens'; NaN -> 'n/a'."""
    text = si(value, digits)
    if text in ("n/a", "∞"):
        return text
    if 0 < abs(value) < 1e-3:
        return f"{value:.{digits}g} {unit}"
    if text[-1].isalpha() and unit in SI_UNITS:
        return f"{text}{unit}"
    return f"{text} {unit}"


def co2(kg: float) -> str:
    """Kilograms of CO2e as t (>= 1 t) or kg."""
    if kg is None or (isinstance(kg, float) and math.isnan(kg)):
        return "n/a"
    if abs(kg) >= 1000:
        return f"{si(kg / 1000)} tCO2e".replace("  ", " ")
    return f"{kg:.3g} kgCO2e"


def usd(value: float) -> str:
    """$3.45, $12.3 k, $4.56 M, $1,234.57 M; from a trillion on, scientific ($3.55e+20): never a 20-digit figure."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if math.isinf(value):
        return "$∞" if value > 0 else "-$∞"
    if abs(value) >= 1e12:
        return f"${value:.3g}"
    if abs(value) >= 1e6:
        return f"${value / 1e6:,.2f} M"
    if abs(value) >= 1e4:
        return f"${value / 1e3:,.1f} k"
    if 0 < abs(value) < 0.01:
        return f"${value:.2g}"
    from decimal import ROUND_HALF_UP, Decimal

    cents = Decimal(repr(float(value))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)  # 3.445 -> 3.45
    return f"${cents:,.2f}"


def hours(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if math.isinf(value):
        return "∞"
    if value >= 24e6:
        return f"{value / 24:.3g} days"
    if value >= 48:
        return f"{value / 24:,.1f} days"
    if value >= 1:
        return f"{value:,.1f} h"
    if value * 60 >= 1:
        return f"{value * 60:,.1f} min"
    return f"{value * 3600:,.0f} s"


def plain(value: float) -> str:
    """A count for a sentence: '1,234,567' up to a million, scientific beyond ('1.18e+19')."""
    return f"{value:,.0f}" if abs(value) < 1e6 else f"{value:.3g}"
