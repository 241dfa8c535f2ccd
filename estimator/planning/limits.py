"""Size limits checked before any work: a grid too large to hold is refused with its point count, not run out of memory."""

from __future__ import annotations

import math
from typing import Any

from estimator.errors import ConfigurationError

DEFAULT_MAX_ROWS = 1_000_000  # at the limit, compare takes ~10 s and 0.9 GB to CSV, ~30 s and 2.6 GB as a table


def grid_points(grid: dict[str, Any]) -> int:
    """How many rows a grid's cross product has (exact integer: no overflow for absurd grids)."""
    return math.prod(len(v) if isinstance(v, list) else 1 for v in grid.values())


def check_grid_size(grid: dict[str, Any], max_rows: int | None = DEFAULT_MAX_ROWS) -> int:
    """The grid's point count; ConfigurationError if it is over `max_rows` (None: no limit)."""
    points = grid_points(grid)
    if max_rows is not None and points > max_rows:
        sizes = " × ".join(f"{len(v)} {k}" for k, v in grid.items() if isinstance(v, list))
        raise ConfigurationError(f"{_count(points)} grid points ({sizes}) is over the limit of {max_rows:,} rows: "
                                 "vary fewer values, or raise the limit with --max-rows")
    return points


def _count(n: int) -> str:
    return f"{n:,}" if n < 10**12 else f"{n:.3g}"
