"""Grid benchmark: 100,000 scenarios through the rules engine in one vectorised pass vs one by one.

    python benchmarks/bench_grid.py            # prints seconds, points/s and the ratio

The per-scenario loop is timed on a sample (default 500 points) and extrapolated; both are
measured in the same run on the same machine.
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np

from estimator.catalog.loader import load_catalog
from estimator.errors import EstimatorError
from estimator.planning.estimation import estimate_scenario
from estimator.planning.grid import evaluate_grid, scenario_from


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--loop-sample", type=int, default=500)
    args = ap.parse_args()
    cat = load_catalog(use_env=False)
    base = {"method": "pretrain", "model": "llama-3.1-8b", "tokens": "1T"}
    grid = {"gpu": ["a100-80gb", "h100-sxm", "h200", "b200", "l40s"],
            "provider": ["aws", "lambda", "runpod", "coreweave"],
            "gpus": list(range(8, 8 * 101, 8)),
            "mfu": [float(x) for x in np.linspace(0.2, 0.5, 50)]}
    n = np.prod([len(v) for v in grid.values()])
    evaluate_grid(base, {"gpus": [8]}, cat)  # warm caches and imports
    t0 = time.perf_counter()
    frame = evaluate_grid(base, grid, cat)
    grid_s = time.perf_counter() - t0
    assert len(frame) == n
    points = list(itertools.product(*grid.values()))
    rng = np.random.default_rng(0)
    sample = [points[i] for i in rng.choice(len(points), size=args.loop_sample, replace=False)]
    t0 = time.perf_counter()
    for values in sample:
        point = base | dict(zip(grid, values))
        try:
            estimate_scenario(scenario_from(point), cat)
        except EstimatorError:  # e.g. no price for that provider: the grid row is NaN, the loop raises
            pass
    loop_per_point = (time.perf_counter() - t0) / len(sample)
    loop_s = loop_per_point * n
    print(f"grid points: {n:,}")
    print(f"vectorised grid: {grid_s:.2f} s ({n / grid_s:,.0f} points/s)")
    print(f"per-scenario loop: {loop_per_point * 1e3:.2f} ms/point -> {loop_s:,.0f} s for all (extrapolated from "
          f"{len(sample)} points)")
    print(f"speed-up: {loop_s / grid_s:,.0f}x; target: grid under 2 s -> {'met' if grid_s < 2 else 'NOT met'}")


if __name__ == "__main__":
    main()
