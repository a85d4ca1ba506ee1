"""A whole sweep: plan the runs, skip those on disk, run the rest, write the manifest."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import math
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import RunError
from ..sweepfile import Sweep, describe
from .design import design_matrix, point_values, result_columns, run_seed
from .execution import EXECUTORS, iter_batches, start_forkserver
from .store import ResultStore

log = logging.getLogger(__name__)


def fingerprint(sweep: Sweep) -> str:
    """What a results folder must match to be resumed: the design and the base scenario."""
    spec = sweep.spec.model_dump(mode="json", exclude={"description", "name"})
    text = json.dumps(
        {"spec": spec, "seed": sweep.root_seed, "scenario": sweep.scenario.model_dump(mode="json")},
        sort_keys=True,
    )
    return hashlib.sha256(text.encode()).hexdigest()


def plan(sweep: Sweep) -> tuple[np.ndarray, list[tuple[int, int, int, int, dict]]]:
    """The design matrix and every run (run, point, replication, seed, overrides) in order."""
    x = design_matrix(sweep)
    reps = sweep.spec.replications
    runs = []
    for point in range(len(x)):
        values = point_values(sweep, x[point])
        for rep in range(reps):
            runs.append(
                (point * reps + rep, point, rep, run_seed(sweep.root_seed, point, rep), values)
            )
    return x, runs


def run_sweep(
    sweep: Sweep,
    out: str | Path,
    *,
    executor: str = "processes",
    workers: int | None = None,
    scheduler: str | None = None,
    limit: int | None = None,
    keep_runs: bool = False,
    progress: bool | None = None,
    chunk_rows: int = 200,
    on_rows: Callable[[list[dict]], None] | None = None,
    argv: list[str] | None = None,
) -> dict[str, Any]:
    """Run (or resume) ``sweep`` into folder ``out``; return the manifest (``sweep.json``).

    Runs already in ``out`` are skipped. ``limit`` runs only the first N runs (by index).
    ``on_rows`` is called with each completed batch after it is buffered (tests use it to
    interrupt a sweep). Raises :class:`RunError` if ``out`` holds a different sweep.
    """
    out = Path(out)
    if executor not in EXECUTORS:
        raise RunError(f"unknown executor {executor!r} (allowed: {', '.join(EXECUTORS)})")
    if executor == "processes":
        start_forkserver()  # its imports overlap with the main process's work below
    from ..runner import sha256_file, versions

    columns = result_columns(sweep)
    fp = fingerprint(sweep)
    manifest = _open_folder(out, sweep, fp)
    with _locked(out):
        x, runs = plan(sweep)
        store = ResultStore(out, columns, chunk_rows=chunk_rows)
        done = store.completed()
        todo = [r for r in runs[: limit if limit is not None else len(runs)] if r[0] not in done]
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        if not manifest:
            np.save(out / "design.npy", x)
            manifest = {
                "sweep": sweep.name,
                "description": sweep.spec.description,
                "sweep_file": str(sweep.path.resolve()),
                "sweep_sha256": sha256_file(sweep.path),
                "base_scenario": str(sweep.base_path),
                "base_sha256": sha256_file(sweep.base_path),
                "fingerprint": fp,
                "design": describe(sweep.spec),
                "parameters": sweep.parameter_names,
                "root_seed": sweep.root_seed,
                "seeds": "SeedSequence(root_seed, spawn_key=(point, replication))"
                ".generate_state(1, uint64)[0] >> 1",
                "n_points": len(x),
                "n_runs": len(runs),
                "columns": columns,
                "results": store.location.name,
                "started": now,
                "finished": None,
                "sessions": [],
            }
        session = {
            "started": now,
            "executor": executor,
            "workers": workers or os.cpu_count(),
            "scheduler": scheduler,
            "command": argv if argv is not None else sys.argv,
            "versions": versions(),
            "skipped_done": len(done),
            "to_run": len(todo),
        }
        manifest["sessions"].append(session)
        _write_json(out / "sweep.json", manifest)
        keep = str(out / "runs") if keep_runs else None
        payloads = _payloads(sweep, todo, list(columns), keep, executor, workers)
        bar = _progress(len(runs[:limit] if limit is not None else runs), len(done), progress)
        batches = iter_batches(payloads, executor, workers=workers, scheduler=scheduler)
        try:
            for rows in batches if todo else ():  # nothing to do: start no pool or cluster
                store.add(rows)
                bar.update(len(rows))
                if on_rows is not None:
                    on_rows(rows)
        finally:
            store.flush()
            bar.close()
            session["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            session["ran"] = store.written
            counts = store.status_counts()
            manifest["n_done"] = sum(counts.values())
            manifest["n_ok"] = counts.get("ok", 0)
            manifest["n_error"] = counts.get("error", 0)
            if manifest["n_done"] >= len(runs):
                manifest["finished"] = session["finished"]
            _write_json(out / "sweep.json", manifest)
        return manifest


@contextlib.contextmanager
def _locked(out: Path) -> Iterator[None]:
    """Hold an exclusive lock on the sweep folder: two sweeps writing one folder would run
    every run twice. The lock goes with the process, even on kill -9."""
    import fcntl

    fd = os.open(out / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            raise RunError(
                f"another sweep (process {holder}) is writing to {out}; wait for it to finish "
                "or stop it, then rerun this command"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)


def _payloads(
    sweep: Sweep, todo: list, columns: list[str], keep: str | None, executor: str, workers
) -> Iterator[dict[str, Any]]:
    text = sweep.scenario.model_dump_json()
    n_workers = 1 if executor == "serial" else max(1, workers or os.cpu_count() or 1)
    # Batches amortise task overhead; several per worker keep the load balanced at the end.
    size = max(1, min(25, math.ceil(len(todo) / (8 * n_workers)))) if todo else 1
    for i in range(0, len(todo), size):
        yield {
            "scenario": text,
            "rounds": sweep.spec.rounds,
            "columns": columns,
            "keep": keep,
            "runs": todo[i : i + size],
        }


def _open_folder(out: Path, sweep: Sweep, fp: str) -> dict[str, Any]:
    """The existing manifest if ``out`` holds this sweep, {} if new; refuse anything else."""
    if out.exists() and not out.is_dir():
        raise RunError(f"{out} is a file; give --out a folder")
    path = out / "sweep.json"
    if path.exists():
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise RunError(f"{path} is unreadable ({exc}); choose another --out") from None
        if manifest.get("fingerprint") != fp:
            raise RunError(
                f"{out} holds results of a different sweep (file {manifest.get('sweep_file')}, "
                f"design {manifest.get('design', {}).get('design')}); the sweep file, its "
                "design or its base scenario changed. Choose another --out, or delete the "
                "folder to start again"
            )
        return manifest
    if out.is_dir() and any(not p.name.startswith(".") for p in out.iterdir()):
        raise RunError(f"{out} is not empty and is not a sweep folder; choose another --out")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunError(f"cannot create {out}: {exc.strerror}") from None
    return {}


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
    os.replace(tmp, path)


def _progress(total: int, initial: int, show: bool | None):
    from tqdm import tqdm

    quiet = not sys.stderr.isatty() if show is None else not show
    return tqdm(total=total, initial=initial, unit="run", desc="sweep", disable=quiet)
