"""Running the runs: run_one, the worker function and the executors (serial, processes, Dask)."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import logging
import os
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, wait
from pathlib import Path
from typing import Any

from ..errors import RunError
from ..overrides import apply_overrides
from ..scenario import Scenario
from .metrics import summarize

log = logging.getLogger(__name__)

EXECUTORS = ("serial", "processes", "dask")


def run_one(
    scenario: Scenario,
    overrides: Mapping[str, Any] | None = None,
    seed: int | None = None,
    *,
    rounds: int | None = None,
    keep: Path | None = None,
) -> dict[str, Any]:
    """Run ``scenario`` with ``overrides`` (dotted path -> value, see :mod:`sim.overrides`) and
    ``seed``; return the outcome metrics (:func:`metric_columns`) plus ``wall_time_s``.

    Exceptions from the model propagate (sweeps record them as ``status = error``). ``keep``
    writes the full run folder there (``sim.runner.write_run``).

    >>> from sim.scenario import load_scenario
    >>> s = load_scenario("scenarios/classroom_five.yaml")
    >>> row = run_one(s, {"parameters.alliance_influence": 0.5}, seed=1, rounds=3)
    >>> row["rounds_run"]
    3
    """
    from ..runner import run_scenario

    t0 = time.perf_counter()
    derived = apply_overrides(scenario, overrides or {})
    started = dt.datetime.now(dt.UTC)
    result = run_scenario(derived, seed=seed, rounds=rounds)
    row = summarize(result.tables, result.info, scenario)
    if keep is not None:
        from ..runner import manifest, write_run

        data = manifest(
            result,
            derived,
            scenario_path=None,
            started=started,
            finished=dt.datetime.now(dt.UTC),
            argv=["sweep"],
            rounds=rounds,
        )
        data["overrides"] = dict(overrides or {})
        write_run(result, keep, manifest_data=data, scenario=derived)
    row["wall_time_s"] = time.perf_counter() - t0
    return row


_CACHE: dict[str, Scenario] = {}


def _scenario_from(text: str) -> Scenario:
    key = hashlib.sha256(text.encode()).hexdigest()
    if key not in _CACHE:
        _CACHE.clear()
        _CACHE[key] = Scenario.model_validate_json(text)
    return _CACHE[key]


def run_batch(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """Run a batch of sweep runs in a worker; top-level and picklable for every executor.

    ``payload``: ``scenario`` (JSON text), ``rounds``, ``columns`` (names to keep), ``keep``
    (folder for run folders or None) and ``runs``: a list of (run, point, replication, seed,
    overrides). A run that raises is returned with ``status = "error"`` and its error text.
    """
    scenario = _scenario_from(payload["scenario"])
    columns = payload["columns"]
    out = []
    for run, point, rep, seed, overrides in payload["runs"]:
        row: dict[str, Any] = {"run": run, "point": point, "replication": rep, "seed": seed}
        row.update(overrides)
        keep = Path(payload["keep"]) / f"run-{run:07d}" if payload["keep"] else None
        t0 = time.perf_counter()
        try:
            row.update(run_one(scenario, overrides, seed, rounds=payload["rounds"], keep=keep))
            row.update(status="ok", error="")
        except Exception as exc:  # a failing run is recorded and the sweep goes on
            log.debug("run %d failed", run, exc_info=True)
            text = f"{type(exc).__name__}: {exc}".replace("\n", " | ")
            row.update(status="error", error=text[:2000], wall_time_s=time.perf_counter() - t0)
        out.append({c: row.get(c) for c in columns})
    return out


def _ignore_sigint() -> None:
    import signal

    # Ctrl-C is handled once, by the main process, which saves what is done and stops the pool.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def iter_batches(
    payloads: Iterator[dict[str, Any]],
    executor: str,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
) -> Iterator[list[dict[str, Any]]]:
    """Run payloads with ``executor``; yield each batch's rows as it completes.

    At most ``4 x workers`` batches are in flight, so memory does not grow with the sweep.
    """
    workers = max(1, workers or os.cpu_count() or 1)
    if executor == "serial":
        for p in payloads:
            yield run_batch(p)
    elif executor == "processes":
        yield from _iter_processes(payloads, workers)
    elif executor == "dask":
        yield from _iter_dask(payloads, workers, scheduler)
    else:
        raise RunError(f"unknown executor {executor!r} (allowed: {', '.join(EXECUTORS)})")


#: Environment for process-pool workers (the forkserver and its children inherit it).
SINGLE_THREADED = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def start_forkserver():
    """Start the process pool's fork server now (if not running) and return its context.

    forkserver: workers start from a clean single-threaded server (fork from a process with
    threads, e.g. tqdm's monitor, can deadlock). The server imports sim and Mesa (1.5 s) once for
    all workers; started early, it does so while the main process prepares the sweep. Like spawn,
    it imports the caller's ``__main__``: scripts need the ``if __name__ == "__main__":`` guard
    (run.py has it). Workers run one BLAS/OpenMP thread each (as Dask's nanny sets): workers x
    BLAS threads on the same cores only contend. A user's own setting of these variables wins.
    """
    import multiprocessing
    from multiprocessing import forkserver

    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["sim.sweeps", "sim.runner"])
    saved = {k: os.environ.get(k) for k in SINGLE_THREADED}
    try:
        for k, v in SINGLE_THREADED.items():
            os.environ.setdefault(k, v)
        forkserver.ensure_running()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
    return ctx


def _iter_processes(payloads: Iterator[dict], workers: int) -> Iterator[list[dict]]:
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    ctx = start_forkserver()
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_ignore_sigint)
    pending: set = set()
    try:
        for p in itertools.islice(payloads, 4 * workers):
            pending.add(pool.submit(run_batch, p))
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                try:
                    rows = fut.result()
                except BrokenProcessPool:
                    raise RunError(
                        "a worker process died (killed, or out of memory); the runs finished "
                        "so far are saved: rerun the same command to complete the sweep"
                    ) from None
                yield rows
                for p in itertools.islice(payloads, 1):
                    pending.add(pool.submit(run_batch, p))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def dask_environment() -> dict[str, Any]:
    """Dask config for a LocalCluster, tuned for many short CPU-bound Python tasks.

    - ``MALLOC_TRIM_THRESHOLD_`` unset: distributed sets it to 65536 before spawning each worker
      (to give memory back to the OS sooner). Setting any glibc malloc tunable also turns off
      glibc's dynamic mmap threshold, so every array above 128 KiB is mapped and unmapped afresh:
      measured 2.5x slower runs at N = 193 (docs: Research sweeps). Unset (None), the workers use
      glibc's defaults, like the process-pool executor. ``OMP_NUM_THREADS=1`` etc. stay.
    - The workers' statistical profiler (a thread sampling every task's stack every 10 ms) and
      the GIL-contention monitor (every 1 ms) are off: both take the GIL from the task.
    """
    return {
        "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
        "distributed.worker.profile.enabled": False,
        "distributed.admin.system-monitor.gil.enabled": False,
        # The event loop's latency tick (every 20 ms) also wakes up and takes the GIL.
        "distributed.admin.tick.interval": "500ms",
    }


def _iter_dask(
    payloads: Iterator[dict], workers: int, scheduler: str | None
) -> Iterator[list[dict]]:
    try:
        import dask
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise RunError(
            "the dask executor needs dask[distributed]: pip install 'diplomesa[sweep]'"
        ) from None
    cluster = None
    with dask.config.set(dask_environment()):
        try:
            if scheduler:
                client = Client(scheduler, timeout="10s")
            else:
                cluster = LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                )
                client = Client(cluster)
        except OSError as exc:
            raise RunError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from None
        try:
            n = len(client.scheduler_info(n_workers=-1).get("workers", {})) or workers
            ac = as_completed()
            for p in itertools.islice(payloads, 4 * n):
                ac.add(client.submit(run_batch, p, pure=False))
            for fut in ac:
                yield fut.result()
                fut.release()
                for p in itertools.islice(payloads, 1):
                    ac.add(client.submit(run_batch, p, pure=False))
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
