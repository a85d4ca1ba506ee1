#!/usr/bin/env python3
"""Sweep throughput and memory: 1 vs 2 process workers, Dask LocalCluster, and peak RSS.

    python benchmarks/sweep_scaling.py            # the full set (about 2 minutes on 2 cores)
    python benchmarks/sweep_scaling.py --runs 50  # a quick look

Each measurement runs in a fresh interpreter (so imports, pools and peak RSS do not leak from one
to the next) on a random-design sweep of multipolar_summit (19 states, 3 issues, 4 treaties) with
``--rounds`` rounds (default 20). Wall time includes starting the pool or the cluster, as a user
sees it. The glibc trimming comparison uses un193 (193 states), where it matters.
Peak RSS is ``resource.getrusage``: ``self`` is the main process (it holds at most a chunk of
result rows), ``children`` the largest reaped child process (pool workers, Dask nanny/workers).

Targets (DESIGN.md): 2 workers >= 1.8x one worker; Dask within 20 % of processes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SWEEP = """\
base: {base}
design: random
samples: {runs}
replications: 1
rounds: {rounds}
seed: 99
parameters:
  parameters.alliance_influence: {{low: 0, high: 2}}
  parameters.Q: {{low: 0.5, high: 1}}
"""


def one(executor: str, workers: int, runs: int, rounds: int, base: str, trim: bool) -> dict:
    """Run one sweep in this (fresh) process; return timing and peak RSS."""
    sys.path.insert(0, str(ROOT))
    import sim.sweeps
    import sim.sweeps.execution
    from sim.sweepfile import load_sweep

    if trim:  # distributed's default: MALLOC_TRIM_THRESHOLD_=65536 in every worker
        sim.sweeps.execution.dask_environment = lambda: {}
    tmp = Path(tempfile.mkdtemp(prefix="sweep-bench-"))
    try:
        path = tmp / "bench.yaml"
        scenario = ROOT / "scenarios" / f"{base}.yaml"
        path.write_text(SWEEP.format(base=scenario, runs=runs, rounds=rounds), encoding="utf-8")
        sweep = load_sweep(path)
        t0 = time.perf_counter()
        m = sim.sweeps.run_sweep(
            sweep, tmp / "out", executor=executor, workers=workers, progress=False
        )
        wall = time.perf_counter() - t0
        times = sim.sweeps.read_results(tmp / "out")["wall_time_s"]
        per_run, busy = float(times.median()), float(times.sum())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {
        "executor": f"{base}: {executor}" + (" (MALLOC_TRIM_THRESHOLD_=65536)" if trim else ""),
        "workers": workers,
        "runs": runs,
        "ok": m["n_ok"],
        "wall_s": wall,
        "runs_per_s": runs / wall,
        "median_run_s": per_run,
        # Wall time not spent running (start-up, imports, waiting): wall - busy / workers.
        "overhead_s": wall - busy / workers,
        "rss_self_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_children_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


def measure(
    executor: str,
    workers: int,
    runs: int,
    rounds: int,
    base: str = "multipolar_summit",
    trim: bool = False,
    env: dict | None = None,
) -> dict:
    cmd = [sys.executable, __file__, "--one", executor, str(workers), str(runs), str(rounds), base]
    if trim:
        cmd.append("--trim")
    environ = {**os.environ, **(env or {})}
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT, env=environ)
    row = json.loads(out.stdout.strip().splitlines()[-1])
    if env:
        row["executor"] += " " + " ".join(f"{k}={v}" for k, v in env.items())
    print(
        f"{row['executor']:<58} workers={row['workers']}  runs={row['runs']:>4}  "
        f"{row['wall_s']:7.1f} s  {row['runs_per_s']:6.2f} runs/s  "
        f"(median run {1000 * row['median_run_s']:4.0f} ms, overhead {row['overhead_s']:4.1f} s)  "
        f"peak RSS main {row['rss_self_mb']:6.0f} MB, children {row['rss_children_mb']:6.0f} MB",
        flush=True,
    )
    return row


def _spin(n: int) -> float:
    t = time.perf_counter()
    x = 0
    for i in range(n):
        x += i
    return time.perf_counter() - t


def parallelism() -> float:
    """How many cores two busy processes get right now (2.0 on an idle 2-core machine)."""
    from concurrent.futures import ProcessPoolExecutor

    n = 10_000_000
    one = _spin(n)
    with ProcessPoolExecutor(2) as pool:
        t = time.perf_counter()
        list(pool.map(_spin, [n, n]))
        two = time.perf_counter() - t
    return 2 * one / two


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--one", nargs=5, metavar=("EXECUTOR", "WORKERS", "RUNS", "ROUNDS", "BASE"))
    parser.add_argument("--trim", action="store_true")
    args = parser.parse_args()
    if args.one:
        ex, w, n, r, base = args.one
        print(json.dumps(one(ex, int(w), int(n), int(r), base, args.trim)))
        return 0
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )
    n, r = args.runs, args.rounds
    print(f"cores available to 2 busy processes now: {parallelism():.2f} (load {os.getloadavg()})")
    print(f"sweep: multipolar_summit, random design, {n} runs x {r} rounds\n")
    p1 = measure("processes", 1, n, r)
    p2 = measure("processes", 2, n, r)
    d2 = measure("dask", 2, n, r)
    print("\nmemory against the number of runs (serial: everything in one process):")
    m1 = measure("serial", 1, n // 2, r)
    m2 = measure("serial", 1, n, r)
    print("\nglibc heap trimming (un193: 193 states, arrays above glibc's 128 KiB mmap threshold):")
    k = max(8, n // 8)
    u_d = measure("dask", 2, k, 3, "un193")
    u_dt = measure("dask", 2, k, 3, "un193", trim=True)
    u_s = measure("serial", 1, k, 3, "un193")
    u_st = measure("serial", 1, k, 3, "un193", env={"MALLOC_TRIM_THRESHOLD_": "65536"})
    print(
        f"\ncores available to 2 busy processes now: {parallelism():.2f} (load {os.getloadavg()})"
    )
    print()
    print(f"2 workers / 1 worker (processes):     {p2['runs_per_s'] / p1['runs_per_s']:.2f}x")
    print(f"dask / processes (2 workers):         {d2['runs_per_s'] / p2['runs_per_s']:.2f}")
    print(
        f"un193 dask with MALLOC_TRIM_THRESHOLD_=65536 / without: "
        f"{u_dt['runs_per_s'] / u_d['runs_per_s']:.2f}; serial: "
        f"{u_st['runs_per_s'] / u_s['runs_per_s']:.2f}"
    )
    print(
        f"peak RSS serial {n // 2} runs: {m1['rss_self_mb']:.0f} MB, {n} runs: "
        f"{m2['rss_self_mb']:.0f} MB (ratio {m2['rss_self_mb'] / m1['rss_self_mb']:.2f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
