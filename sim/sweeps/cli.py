"""The ``run.py sweep`` command."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from ..errors import RunError
from ..sweepfile import load_sweep
from .execution import EXECUTORS
from .sweep import run_sweep

log = logging.getLogger(__name__)


def add_cli(subparsers) -> None:
    """Register the ``sweep`` subcommand on run.py's subparsers."""
    p = subparsers.add_parser("sweep", help="run a parameter sweep (resumes an interrupted one)")
    p.add_argument("sweep_file", help="sweep file (see scenarios/sweeps/README.md)")
    p.add_argument("--executor", choices=EXECUTORS, default="processes")
    p.add_argument("--workers", type=int, help="worker processes (default: all cores)")
    p.add_argument("--scheduler", help="Dask scheduler address tcp://HOST:PORT (--executor dask)")
    p.add_argument("--limit", type=int, help="run only the first N runs")
    p.add_argument("--out", help="results folder (default: runs/sweep-<name>)")
    p.add_argument("--keep-runs", action="store_true", help="also write every run's folder")
    p.set_defaults(func=cmd_sweep)


def cmd_sweep(args) -> int:
    sweep = load_sweep(args.sweep_file)
    if args.workers is not None and args.workers < 1:
        raise RunError("--workers must be at least 1")
    if args.limit is not None and args.limit < 0:
        raise RunError("--limit must be 0 or more")
    if args.scheduler and args.executor != "dask":
        raise RunError("--scheduler needs --executor dask")
    out = Path(args.out) if args.out else Path("runs") / f"sweep-{sweep.name}"
    argv = getattr(args, "argv", None)
    try:
        m = run_sweep(
            sweep,
            out,
            executor=args.executor,
            workers=args.workers,
            scheduler=args.scheduler,
            limit=args.limit,
            keep_runs=args.keep_runs,
            argv=["run.py", *argv] if argv is not None else None,
        )
    except KeyboardInterrupt:
        print(  # noqa: T201
            f"interrupted: finished runs are saved in {out}; rerun the same command to resume",
            file=sys.stderr,
        )
        return 130
    state = "complete" if m.get("finished") else "incomplete (rerun to continue)"
    print(  # noqa: T201
        f"{sweep.name}: {m['n_done']} of {m['n_runs']} runs done ({m['n_ok']} ok, "
        f"{m['n_error']} failed), {state}\nResults: {out / m['results']}"
    )
    return 0
