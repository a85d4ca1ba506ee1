"""Time the expected-utility bargaining kernel (sim/bargaining.py).

Prints the median wall time of one ``bargain`` pass (one issue) for N actors, for the fast kernel
with ``alpha = 0`` (Scholz et al., O(N^2 log N)) and ``alpha = 0.3`` (alliance extension, chunked
O(N^3)), and for the per-pair Python reference where feasible (N <= 193), with the speed-up.
A model round bargains on 3 issues, so a round costs about 3x the per-pass figure.

Usage: python benchmarks/bargaining_kernel.py [--repeat 15] [--sizes 10 50 193 500 1000]
       [--continuous] [--density 0.1]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sim.bargaining import bargain, bargain_reference

REFERENCE_MAX_N = 193


def make_inputs(n: int, seed: int = 0, continuous: bool = False, density: float = 0.1):
    """A random issue and a symmetric alliance matrix with the given share of nonzero ties.

    Positions are integers on 0-100 (many ties, as in scenario files) unless ``continuous``.
    """
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 100, n)
    if not continuous:
        x = np.round(x)
    capability = rng.lognormal(0.0, 1.0, n)
    salience = rng.uniform(0.1, 1.0, n)
    a = np.where(rng.random((n, n)) < density, rng.choice([-1.0, 0.5, 1.0], (n, n)), 0.0)
    alliance = np.triu(a, 1) + np.triu(a, 1).T
    return x, capability, salience, alliance


def median_time(fn, repeat: int) -> float:
    fn()  # warm up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 50, 193, 500, 1000])
    parser.add_argument("--continuous", action="store_true", help="distinct real positions")
    parser.add_argument("--density", type=float, default=0.1, help="share of nonzero ties")
    args = parser.parse_args()
    kind = "continuous" if args.continuous else "integer"
    print(f"positions: {kind}; alliance density {args.density} (sparse route if <= 0.25)")
    header = f"{'N':>5} {'fast a=0':>11} {'fast a=0.3':>11} {'ref a=0':>11} {'ref/fast0':>10}"
    header += f" {'ref3/fast3':>10} {'round(3) a=0':>13}"
    print(header)
    for n in args.sizes:
        x, c, s, a = make_inputs(n, continuous=args.continuous, density=args.density)
        common = {"lo": float(x.min()), "hi": float(x.max())}
        t0 = median_time(partial(bargain, x, c, s, **common), args.repeat)
        repeat_alliance = args.repeat if n <= 500 else max(3, args.repeat // 5)
        t3 = median_time(
            partial(bargain, x, c, s, alliance=a, alpha=0.3, **common), repeat_alliance
        )
        if n <= REFERENCE_MAX_N:
            ref_repeat = 3 if n < REFERENCE_MAX_N else 1
            tr0 = median_time(partial(bargain_reference, x, c, s, **common), ref_repeat)
            tr3 = median_time(
                partial(bargain_reference, x, c, s, alliance=a, alpha=0.3, **common), ref_repeat
            )
            ref = f"{tr0 * 1e3:9.0f}ms {tr0 / t0:9.0f}x {tr3 / t3:9.0f}x"
        else:
            ref = f"{'-':>11} {'-':>10} {'-':>10}"
        print(f"{n:>5} {t0 * 1e3:9.2f}ms {t3 * 1e3:9.2f}ms {ref} {3 * t0 * 1e3:11.2f}ms")


if __name__ == "__main__":
    main()
