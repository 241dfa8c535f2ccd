"""Whole-process times of the main paths against their targets, with a baseline measured in the same run.

    python benchmarks/bench_paths.py [--runs 5] [--big]

Prints, per case: median wall time over the runs, peak RSS of the child process, the target, and the
ratio to a baseline measured in this run (a bare `python -c pass` for commands; pandas writing a
same-shaped CSV for grids), so a slower machine shows up as a slower baseline, not as a regression.
Targets (issue 9): --help < 0.2 s; one estimate < 0.3 s; a 100,000-row grid as CSV < 2 s; 1,000,000 rows
< 15 s with peak memory < 2 GB (--big); sensitivity + uncertainty (2,000 draws) for the six default
routes < 0.5 s (in process, catalog loaded).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).with_name("estimator")


# as installed: pip writes bytecode at install time, so a user's process never compiles the package. A shell with
# PYTHONDONTWRITEBYTECODE set would make every run of a source checkout recompile it (~50 ms), so the children
# run without it, after one warm-up run that writes the bytecode (and the validated-catalog cache).
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run(cmd: list[str], runs: int) -> tuple[float, float]:
    """(median seconds, max peak RSS in MB) of `cmd` as a whole process, after one warm-up run."""
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=CHILD_ENV)
    times, peaks = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=CHILD_ENV)
        times.append(time.perf_counter() - t)
        peaks.append(max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024)
    return statistics.median(times), max(peaks)


def grid_file(folder: Path, points: int) -> Path:
    side = round(points ** (1 / 5))
    values = {
        "tokens": [f"{(i + 1) * 1e11:g}" for i in range(side)],
        "gpus": [8 * 2**i for i in range(side)],
        "mfu_base": [round(0.2 + 0.04 * i, 3) for i in range(side)],
        "seq_len": [1024 * (i + 1) for i in range(side)],
        "epochs": [1 + i for i in range(side)],
    }
    path = folder / f"grid{points}.yaml"
    lines = ["defaults: {method: pretrain, model: llama-2-7b, gpu: h100-sxm, provider: lambda}", "grid:"]
    lines += [f"  {k}: [{', '.join(map(str, v))}]" for k, v in values.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def pandas_baseline(rows: int, folder: Path) -> float:
    code = (f"import numpy as np, pandas as pd; f = pd.DataFrame(np.random.default_rng(0).random(({rows}, 24))); "
            f"f['name'] = 'grid: x'; f.to_csv('{folder}/base.csv', index=False)")
    return run([sys.executable, "-c", code], 1)[0]


def in_process_sensitivity_uncertainty(runs: int) -> float:
    import estimator
    from estimator.planning.sensitivity import sensitivities
    from estimator.planning.uncertainty import simulate_many

    c = estimator.compare(model="llama-3.1-8b", tokens="20M", uncertainty=False)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        sensitivities(c.estimates, c.catalog)
        simulate_many(c.estimates, c.catalog, samples=2000)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--big", action="store_true", help="also the 1,000,000-row grid")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-paths-"))
    base, _ = run([sys.executable, "-c", "pass"], args.runs)
    rows = [("python -c pass (baseline)", base, None, None, 1.0)]
    t, mb = run([str(BIN), "--help"], args.runs)
    rows.append(("estimator --help", t, mb, 0.2, t / base))
    t, mb = run([str(BIN), "estimate", "--method", "pretrain", "--model", "llama-2-7b", "--tokens", "1T", "--gpu",
                 "h100-sxm", "--gpus", "512", "--format", "json"], args.runs)
    rows.append(("estimator estimate (one run)", t, mb, 0.3, t / base))
    sizes = [100_000] + ([1_000_000] if args.big else [])
    for n in sizes:
        spec = grid_file(folder, n)
        t, mb = run([str(BIN), "compare", str(spec), "--format", "csv", "--max-rows", str(2 * n)],
                    1 if n > 100_000 else max(1, args.runs // 2))
        b = pandas_baseline(n, folder)
        rows.append((f"grid of {n:,} rows to CSV", t, mb, 2.0 if n == 100_000 else 15.0, t / b))
        rows.append((f"  pandas to_csv of {n:,} × 25 (baseline)", b, None, None, 1.0))
    t = in_process_sensitivity_uncertainty(args.runs)
    rows.append(("sensitivity + uncertainty, 6 routes, 2,000 draws", t, None, 0.5, None))
    print(f"{'case':52} {'median s':>9} {'peak MB':>8} {'target s':>9} {'ratio':>7}  ok")
    for name, t, mb, target, ratio in rows:
        ok = "" if target is None else ("yes" if t < target else "NO")
        print(f"{name:52} {t:9.3f} {'' if mb is None else f'{mb:8.0f}':>8} {'' if target is None else f'{target:9.1f}':>9} "
              f"{'' if ratio is None else f'{ratio:7.1f}':>7}  {ok}")
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
