"""Time one full round (3 issues: bargaining + summit + alliance update) against N.

For each N a synthetic scenario (``sim.synthetic``) is built; a fresh model is created (not
timed) and its first round is timed; the median over repetitions is reported, for the fast
kernels and, where feasible, the reference kernels (``NegotiationModel(reference=True)``) in the
same run, with their ratio and the peak traced memory of a fast round.

    python benchmarks/round_scaling.py [--sizes 20 50 193 500 1000] [--reps 5] [--json]
        [--ref-reps 1] [--ref-max 193] [--clock wall|cpu]

BLAS threads matter on a small shared machine: run with ``OPENBLAS_NUM_THREADS=1`` (the
figures in docs/_section_performance.md say which setting they used).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as run.py does; see docs/performance.md

from sim.model import NegotiationModel
from sim.synthetic import synthetic_scenario

REFERENCE_MAX_N = 193


#: ``--clock``: wall time (default), or CPU time of this process (all its threads), which a
#: busy shared machine inflates less; with one BLAS thread it is the round's own work.
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def time_round(scenario, reps: int, reference: bool = False, clock=time.perf_counter) -> list:
    out = []
    for r in range(reps):
        model = NegotiationModel(scenario, seed=r, reference=reference)
        t0 = clock()
        model.step()
        out.append(clock() - t0)
    return out


def peak_mib(scenario) -> float:
    model = NegotiationModel(scenario, seed=0)
    tracemalloc.start()
    model.step()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[20, 50, 193, 500, 1000])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--ref-reps", type=int, default=1)
    ap.add_argument(
        "--ref-max",
        type=int,
        default=REFERENCE_MAX_N,
        help="largest N timed with the reference kernels (0: none)",
    )
    ap.add_argument("--alpha", type=float, default=0.0, help="alliance_influence")
    ap.add_argument("--no-blocs", action="store_true", help="skip the landscape search")
    ap.add_argument("--clock", choices=sorted(CLOCKS), default="wall", help="what is timed")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--plot", help="write a log-log chart of round time against N to this PNG")
    args = ap.parse_args(argv)
    rows = []
    for n in args.sizes:
        scenario = synthetic_scenario(
            n, seed=n, alliance_influence=args.alpha, blocs=not args.no_blocs
        )
        time_round(scenario, 1)  # warm-up (imports, caches)
        clock = CLOCKS[args.clock]
        fast = statistics.median(time_round(scenario, args.reps, clock=clock)) * 1e3
        ref = None
        if n <= args.ref_max and args.ref_reps > 0:
            ref_times = time_round(scenario, args.ref_reps, reference=True, clock=clock)
            ref = statistics.median(ref_times) * 1e3
        row = {
            "n": n,
            "fast_ms": round(fast, 3),
            "reference_ms": None if ref is None else round(ref, 1),
            "ratio": None if ref is None else round(ref / fast, 1),
            "peak_mib": round(peak_mib(scenario), 1),
        }
        rows.append(row)
        if not args.json:
            print(
                f"N={n:5d}  fast {row['fast_ms']:10.2f} ms   reference "
                f"{'-' if ref is None else f'{ref:10.1f} ms'}   ratio "
                f"{'-' if ref is None else f'{row["ratio"]:.0f}x'}   peak {row['peak_mib']} MiB",
                flush=True,
            )
    if args.json:
        print(json.dumps(rows))
    if args.plot:
        plot(rows, args.plot)
    return 0


def plot(rows: list[dict], path: str) -> None:
    """Log-log chart of the fast and reference round times against N."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 5.5), layout="constrained")
    ax = fig.subplots()
    n = [r["n"] for r in rows]
    ax.loglog(n, [r["fast_ms"] for r in rows], "o-", color="#0072B2", lw=2.5, label="fast kernels")
    ref = [(r["n"], r["reference_ms"]) for r in rows if r["reference_ms"] is not None]
    if ref:
        ax.loglog(*zip(*ref, strict=True), "s--", color="#D55E00", lw=2, label="reference kernels")
    ax.axhline(20, color="grey", ls=":", lw=1.5)
    ax.text(n[0], 22, "20 ms target at N = 193", color="grey", fontsize=11)
    ax.set_xlabel("number of states N", fontsize=13)
    ax.set_ylabel("one full round (ms)", fontsize=13)
    ax.set_title("Round time (3 issues: bargaining + summit + alliance update)", fontsize=13)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(frameon=False, fontsize=12)
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
