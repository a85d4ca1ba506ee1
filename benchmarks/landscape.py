"""Benchmark: exhaustive landscape global minimum, Gray-code kernel vs plain brute force.

Usage::

    python benchmarks/landscape.py            # table
    python benchmarks/landscape.py --json     # one JSON list of rows

Each row: ``n``, ``fast_ms`` (median of repeats of :func:`sim.landscape.global_minimum`),
``reference_ms`` (one run of :func:`sim.landscape.global_minimum_reference`, energy of every
configuration one at a time; null where it would take too long), ``ratio`` (reference / fast) and
``peak_mib`` (tracemalloc peak of one fast run).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sim.landscape import (
    _spins_table,
    global_minimum,
    global_minimum_reference,
)

#: Largest N for which the plain reference is run (2^(N-1) calls of energy()).
REFERENCE_MAX = 18


def instance(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = np.triu(rng.uniform(-1, 1, (n, n)), 1)
    return rng.uniform(0.1, 3.0, n), p + p.T


def bench(n: int, repeats: int, reference_max: int) -> dict:
    sizes, prop = instance(n)
    global_minimum(sizes, prop)  # warm up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fast = global_minimum(sizes, prop)
        times.append(time.perf_counter() - start)
    _spins_table.cache_clear()  # count the spin table too
    tracemalloc.start()
    global_minimum(sizes, prop)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    fast_ms = 1e3 * statistics.median(times)
    ref_ms = None
    if n <= reference_max:
        start = time.perf_counter()
        ref = global_minimum_reference(sizes, prop)
        ref_ms = 1e3 * (time.perf_counter() - start)
        if not np.isclose(ref.energy, fast.energy):
            raise RuntimeError(f"N={n}: fast {fast.energy} != reference {ref.energy}")
    return {
        "n": n,
        "fast_ms": round(fast_ms, 3),
        "reference_ms": None if ref_ms is None else round(ref_ms, 1),
        "ratio": None if ref_ms is None else round(ref_ms / fast_ms, 1),
        "peak_mib": round(peak / 2**20, 2),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON list of rows")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="*", default=list(range(12, 25, 2)))
    parser.add_argument("--reference-max", type=int, default=REFERENCE_MAX)
    args = parser.parse_args(argv)
    rows = [bench(n, args.repeats, args.reference_max) for n in args.sizes]
    if args.json:
        print(json.dumps(rows))
        return
    print(f"{'N':>4} {'fast ms':>10} {'reference ms':>13} {'ratio':>8} {'peak MiB':>9}")
    for r in rows:
        ref = "-" if r["reference_ms"] is None else f"{r['reference_ms']:.1f}"
        ratio = "-" if r["ratio"] is None else f"{r['ratio']:.0f}x"
        print(f"{r['n']:>4} {r['fast_ms']:>10.2f} {ref:>13} {ratio:>8} {r['peak_mib']:>9.1f}")


if __name__ == "__main__":
    main()
