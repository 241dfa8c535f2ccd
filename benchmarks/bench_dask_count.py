"""Scaling of `count_tokens` on Dask workers against raw tiktoken on the same cores, on generated chat JSONL.

    python benchmarks/bench_dask_count.py [--gb 2] [--dir /tmp/estimator-bench-dask] [--workers 1,2] [--no-pool]

Generates (once, deterministically) --gb GB of chat JSONL (a 128 MiB block of benchmarks/bench_count.py's
generator, repeated). Then, in one run:

  dask k     a LocalCluster of k one-thread worker processes (started before the clock), and
             count_tokens(path, scheduler=address): reads, parses, validates, counts, reduces.
  pool k     the same count without Dask, count_tokens(path, workers=k): the repository's process pool on
             the same cores, so the table separates what the machine allows from what Dask costs.
  raw k      tiktoken's Encoding.encode_ordinary_batch(texts, num_threads=k) over the role and
             content strings of the first --raw-mb MiB of the same file, already in memory (the
             tokenizer alone); throughput is stated per byte of the JSONL those strings came from.

Prints MiB/s and tokens/s for each, the scaling efficiency S_k / k (S_k = T_1 / T_k), each worker's
throughput against raw tiktoken on one core, and the scheduler overhead per task from Dask's task stream
(wall x workers - time inside tasks, per task). Worker counts above the machine's cores are projected
from the measured curve: speedup(k) = k / (1 + a (k - 1)), a fitted from the largest measured k, plus the
per-task overhead; the table marks them "projected". The last line projects 1 TB on 64 workers.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

DASK = """
import json, time
from distributed import Client, LocalCluster, get_task_stream
from estimator.tokens import count_tokens
cluster = LocalCluster(n_workers={k}, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=50)
client = Client(cluster)
def warm():  # load the tokenizer in every worker before the clock starts
    from estimator.tokens.encodings import TokenizerSpec
    from estimator.tokens.shard import counter_for
    counter_for(TokenizerSpec())
client.run(warm)
def cpu():
    import resource
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
before = sum(client.run(cpu).values())
with get_task_stream(client) as ts:
    t, c = time.perf_counter(), time.process_time()
    p = count_tokens({path!r}, scheduler=cluster.scheduler_address, workers={k})
    wall, client_cpu = time.perf_counter() - t, time.process_time() - c
worker_cpu = sum(client.run(cpu).values()) - before
t = time.perf_counter()
client.gather(client.map(lambda i: i, range(2000), pure=False))  # empty tasks: the scheduler's cost per task
noop = (time.perf_counter() - t) / 2000
busy = sum(s["stop"] - s["start"] for task in ts.data if task["key"].startswith("estimator-count")
           for s in task["startstops"] if s["action"] == "compute")
tasks = sum(1 for task in ts.data if task["key"].startswith("estimator-count"))
print(json.dumps({{"seconds": wall, "tokens": p.total_tokens, "examples": p.examples, "tasks": tasks,
                   "busy": busy, "worker_cpu": worker_cpu, "client_cpu": client_cpu, "noop": noop}}))
client.close(); cluster.close()
"""

POOL = """
import json, resource, time
from estimator.tokens import count_tokens
from estimator.tokens.encodings import TokenizerSpec
from estimator.tokens.shard import counter_for
counter_for(TokenizerSpec())  # loaded before the clock, as in the Dask workers; forked workers inherit it
t = time.perf_counter()
p = count_tokens({path!r}, workers={k})
wall = time.perf_counter() - t
r, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({{"seconds": wall, "tokens": p.total_tokens, "cpu": r.ru_utime + r.ru_stime + c.ru_utime + c.ru_stime}}))
"""

RAW = """
import json, time
from estimator.tokens import get_encoding
enc = get_encoding("cl100k_base")
texts, nbytes = [], 0
with open({path!r}, "rb") as f:
    for line in f:
        nbytes += len(line)
        for m in json.loads(line)["messages"]:
            texts += [m["role"], m["content"]]
        if nbytes >= {raw_bytes}:
            break
t, c = time.perf_counter(), time.process_time()
tokens = sum(map(len, enc.encode_ordinary_batch(texts, num_threads={k})))
print(json.dumps({{"seconds": time.perf_counter() - t, "cpu": time.process_time() - c, "tokens": tokens,
                   "bytes": nbytes}}))
"""


def generate(directory: Path, gb: float) -> Path:
    from bench_count import generate as generate_mixed

    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "chat.jsonl"
    want = int(gb * 2**30)
    if path.exists() and path.stat().st_size >= want:
        return path
    chat, _ = generate_mixed(directory / "block", 183)  # 70% of 183 MiB: a 128 MiB chat block
    block = chat.read_bytes()
    with open(path, "wb") as f:
        written = 0
        while written < want:
            written += f.write(block)
    return path


def run(code: str, **kw) -> dict:
    env = dict(os.environ, PYTHONPATH=f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code.format(**kw))], env=env, check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    from estimator.tokens.count import available_cores

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gb", type=float, default=2.0)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/estimator-bench-dask"))
    ap.add_argument("--workers", default="1,2", help="worker counts to measure (others are projected)")
    ap.add_argument("--raw-mb", type=int, default=256, help="MiB of the file whose texts raw tiktoken encodes")
    ap.add_argument("--no-pool", action="store_true", help="skip the no-Dask process-pool reference runs")
    args = ap.parse_args()
    cores = available_cores()
    path = generate(args.dir, args.gb)
    size = path.stat().st_size
    mib = size / 2**20
    print(f"corpus: {path}, {mib:,.0f} MiB of chat JSONL; {cores} cores; cl100k_base")
    load0 = os.getloadavg()
    counts = []
    for k in (int(x) for x in args.workers.split(",")):
        if k > cores:
            print(f"skipping {k} workers: only {cores} cores")
        else:
            counts.append(k)
    measured: dict[int, dict] = {k: {"loads": []} for k in counts}
    # phase by phase (all Dask runs back to back, then the pool, then raw), so that the runs a ratio compares are
    # as close in time as possible on a machine whose other load drifts
    phases = [("dask", DASK, {})] + ([] if args.no_pool else [("pool", POOL, {})]) + [
        ("raw", RAW, {"raw_bytes": args.raw_mb * 2**20})]
    for name, code, extra in phases:
        for k in counts:
            measured[k]["loads"].append(os.getloadavg()[0])
            measured[k][name] = run(code, path=str(path), k=k, **extra)
    base = measured[min(measured)]["dask"]["seconds"] * min(measured)
    raw1 = measured[min(measured)]["raw"]
    raw1_rate = raw1["bytes"] / raw1["seconds"]
    overheads = [(r["dask"]["seconds"] * k - r["dask"]["busy"]) / r["dask"]["tasks"] for k, r in measured.items()]
    overhead = max(overheads)
    top = max(measured)
    eff_top = base / (top * measured[top]["dask"]["seconds"])
    alpha = max(0.0, (1 / eff_top - 1) / (top - 1)) if top > 1 else 0.0

    print(f"\n{'workers':>8} {'':10} {'seconds':>8} {'MiB/s':>8} {'Mtok/s':>8} {'speedup':>8} {'efficiency':>10} "
          f"{'per worker / raw 1 core':>24} {'raw tiktoken MiB/s':>19}")
    for k in sorted(set(measured) | {4, 8, 16, 64}):
        if k in measured:
            d, r = measured[k]["dask"], measured[k]["raw"]
            secs, kind = d["seconds"], "measured"
            raw_rate = f"{r['bytes'] / r['seconds'] / 2**20:19.1f}"
            tok = d["tokens"] / secs / 1e6
        else:
            secs = base / (k / (1 + alpha * (k - 1)))
            kind, raw_rate, tok = "projected", f"{'':>19}", measured[top]["dask"]["tokens"] / secs / 1e6
        speedup = base / secs
        per_worker = size / secs / k
        print(f"{k:8d} {kind:10} {secs:8.1f} {mib / secs:8.1f} {tok:8.2f} {speedup:8.2f}x {speedup / k:10.0%} "
              f"{per_worker / raw1_rate:23.2f}x {raw_rate}")
    tasks_tb = 2**40 / (32 * 2**20)
    cpu_rate = min(size / r["dask"]["worker_cpu"] for r in measured.values())  # bytes per worker CPU-second
    noop = max(r["dask"]["noop"] for r in measured.values())
    eff = min(1.0, eff_top)
    hours = (2**40 / (64 * cpu_rate * eff) + tasks_tb * noop) / 3600
    print("\nCPU time (independent of other load on the machine):")
    for k, r in measured.items():
        d, raw = r["dask"], r["raw"]
        print(f"  {k} worker(s): {size / d['worker_cpu'] / 2**20:.1f} MiB per worker CPU-second "
              f"(workers {d['worker_cpu']:.0f} s, client {d['client_cpu']:.1f} s); raw tiktoken with {k} thread(s): "
              f"{raw['bytes'] / raw['cpu'] / 2**20:.1f} MiB per CPU-second; ratio "
              f"{(size / d['worker_cpu']) / (raw1['bytes'] / raw1['cpu']):.2f}x")
    print(f"load average before / after: {load0[0]:.2f} / {os.getloadavg()[0]:.2f} (this machine: {cores} cores); "
          + "; ".join(f"{k} worker(s): {' -> '.join(f'{x:.2f}' for x in r['loads'])} (1-minute load before its dask, pool, raw runs)"
                      for k, r in measured.items()))
    if all("pool" in r for r in measured.values()):
        pool1 = measured[min(measured)]["pool"]["seconds"] * min(measured)
        print("no-Dask reference, the repository's process pool on the same cores in the same run: "
              + ", ".join(f"{k} worker(s) {r['pool']['seconds']:.1f} s = {pool1 / r['pool']['seconds']:.2f}x "
                          f"({size / r['pool']['cpu'] / 2**20:.1f} MiB per CPU-second)" for k, r in measured.items())
              + f"; Dask at {top}: {base / measured[top]['dask']['seconds']:.2f}x")
    print(f"\nraw tiktoken encode_ordinary_batch, 1 core: {raw1_rate / 2**20:.1f} MiB/s of JSONL "
          f"({raw1['tokens'] / raw1['seconds'] / 1e6:.2f} M tokens/s of content)")
    print(f"scheduler overhead per task: {overhead * 1000:.0f} ms (wall x workers - compute, per task; "
          f"{', '.join(f'{o * 1000:.0f}' for o in overheads)} ms at {', '.join(map(str, measured))} workers)")
    print(f"fitted contention a = {alpha:.4f}; 2 workers vs 1: {base / measured[top]['dask']['seconds']:.2f}x "
          f"(target >= 1.8x); each worker vs raw tiktoken on its core: "
          f"{min(size / measured[k]['dask']['seconds'] / k / raw1_rate for k in measured):.2f}x (target >= 0.9x)")
    print(f"empty-task round trip through the scheduler: {noop * 1000:.2f} ms per task (2,000 tasks)")
    print(f"projection: 1 TiB on 64 dedicated cores, {tasks_tb:,.0f} tasks of 32 MiB: {hours:.2f} h (target < 1 h) = "
          f"1 TiB / (64 x {cpu_rate / 2**20:.1f} MiB per worker CPU-second x efficiency {eff:.2f}) "
          f"+ {tasks_tb:,.0f} tasks x {noop * 1000:.2f} ms, the scheduler's cost taken as serial")


if __name__ == "__main__":
    main()
