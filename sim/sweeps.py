"""Parameter sweeps: many runs of one scenario, on a laptop or a Dask cluster, resumable.

Everything rests on one importable function, :func:`run_one` (scenario, overrides, seed) ->
summary row. A sweep (see :mod:`sim.sweepfile`) resolves to design points x replications; each
run has a fixed index ``run = point * replications + replication`` and a seed that depends only on
(root seed, point, replication)::

    SeedSequence(root, spawn_key=(point, replication))   # == root.spawn(..)[point].spawn(..)[rep]
    seed = generate_state(1, uint64)[0] >> 1             # a 63-bit int for Model(rng=seed)

so results never depend on the order runs finish in, the worker count or the executor (serial,
a process pool, or Dask). Rows are streamed to disk in atomically written chunks; rerunning the
same command skips the runs already on disk (see :class:`ResultStore`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import itertools
import json
import logging
import math
import os
import re
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, wait
from pathlib import Path
from typing import Any

import numpy as np

from .errors import RunError
from .overrides import apply_overrides
from .scenario import Scenario
from .sweepfile import Design, Sweep, describe, load_sweep

log = logging.getLogger(__name__)

EXECUTORS = ("serial", "processes", "dask")
#: Columns that identify a run; then the varied parameters, then the metrics, then STATUS_COLUMNS.
ID_COLUMNS = ["run", "point", "replication", "seed"]
STATUS_COLUMNS = ["status", "error", "wall_time_s"]


# ------------------------------------------------------------------------------------ metrics
def slug(name: str) -> str:
    """``"climate club"`` -> ``"climate_club"`` (treaty names in column names)."""
    return re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_") or "treaty"


def treaty_names(scenario: Scenario) -> list[str]:
    """Treaties whose outcome columns a sweep records: the scenario's own, else the model's
    default one-per-issue treaties (``sim.treaties.default_treaties``)."""
    from .treaties import default_treaties

    return [t.name for t in default_treaties(scenario)]


def metric_kinds(scenario: Scenario) -> dict[str, str]:
    """Every outcome column and its type (``float``, ``int``, ``bool``)."""
    out = {f"forecast_{i}": "float" for i in scenario.issue_names}
    for t in treaty_names(scenario):
        out[f"treaty_{slug(t)}_size"] = "float"
        out[f"treaty_{slug(t)}_stable"] = "bool"
    out.update(n_blocs="float", larger_bloc_size="float", unbalanced_triads="float")
    out.update(rounds_run="int", converged="bool")
    return out


def metric_columns(scenario: Scenario) -> list[str]:
    return list(metric_kinds(scenario))


def metric_columns_of(manifest: Mapping[str, Any]) -> list[str]:
    """The outcome metric columns recorded in a sweep folder's manifest."""
    skip = {*ID_COLUMNS, *STATUS_COLUMNS, *manifest["parameters"]}
    return [c for c in manifest["columns"] if c not in skip]


def summarize(tables: Mapping[str, Any], info: Mapping[str, Any], scenario: Scenario) -> dict:
    """Outcome metrics of one run from its tables (tolerates empty treaty and bloc tables)."""
    row: dict[str, Any] = dict.fromkeys(metric_columns(scenario))
    fc = tables["forecasts"]
    if len(fc):
        last = fc.sort_values("round", kind="stable").groupby("issue")["median"].last()
        for issue, value in last.items():
            if f"forecast_{issue}" in row:
                row[f"forecast_{issue}"] = float(value)
    tr, pay = tables["treaties"], tables["payoffs"]
    for name in treaty_names(scenario):
        rows = tr[tr["treaty"] == name] if len(tr) else tr
        if not len(rows):
            continue
        final = rows.sort_values("round", kind="stable").iloc[-1]
        row[f"treaty_{slug(name)}_stable"] = bool(
            final["internally_stable"] and final["externally_stable"]
        )
        row[f"treaty_{slug(name)}_size"] = _treaty_size(final, pay)
    bl = tables["blocs"]
    if len(bl):
        bl = bl[bl["round"] == bl["round"].max()]
        counts = bl["bloc"].value_counts()
        row["n_blocs"] = float(len(counts))
        row["larger_bloc_size"] = float(counts.max())
    rounds = tables["rounds"]
    if len(rounds):
        row["unbalanced_triads"] = float(rounds["unbalanced_triads"].iloc[-1])
    row["rounds_run"] = int(info.get("rounds_run", len(rounds)))
    row["converged"] = bool(info.get("converged", False))
    return row


def _treaty_size(final: Any, payoffs: Any) -> float:
    """Members of a treaty at its last summit: from payoffs (member flags) if recorded there,
    else by counting the ``members`` field (a list, or names separated by ``;``)."""
    if len(payoffs):
        p = payoffs[(payoffs["treaty"] == final["treaty"]) & (payoffs["round"] == final["round"])]
        if len(p):
            return float(p["member"].astype(bool).sum())
    members = final["members"]
    if isinstance(members, str):
        return float(len([m for m in re.split(r"[;|]", members) if m.strip()]))
    try:
        return float(len(members))
    except TypeError:
        return math.nan


# ------------------------------------------------------------------------------------ one run
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
    from .runner import run_scenario

    t0 = time.perf_counter()
    derived = apply_overrides(scenario, overrides or {})
    started = dt.datetime.now(dt.UTC)
    result = run_scenario(derived, seed=seed, rounds=rounds)
    row = summarize(result.tables, result.info, scenario)
    if keep is not None:
        from .runner import manifest, write_run

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


def run_seed(root: int, point: int, replication: int) -> int:
    """The seed of (point, replication): child ``(point, replication)`` of ``SeedSequence(root)``
    as a 63-bit int. Independent of how many runs exist or in which order they run."""
    ss = np.random.SeedSequence(root, spawn_key=(point, replication))
    return int(ss.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


# ------------------------------------------------------------------------------------ designs
def design_matrix(sweep: Sweep) -> np.ndarray:
    """Design points (n_points x n_parameters), before rounding integer parameters.

    grid: the Cartesian product (first parameter slowest) of each parameter's ``values`` or
    ``levels`` evenly spaced values over [low, high]. random: uniform. latin_hypercube, sobol
    (Saltelli's scheme, scrambled Sobol' sequence) and morris (Morris trajectories): SALib. The
    samplers draw from ``SeedSequence(root)`` itself, a stream no run uses.
    """
    spec = sweep.spec
    ranges = list(spec.parameters.values())
    if spec.design == Design.GRID:
        axes = [
            np.asarray(r.values, dtype=float)
            if r.values is not None
            else np.linspace(r.low, r.high, spec.levels or 5)
            for r in ranges
        ]
        return np.array(list(itertools.product(*axes)), dtype=float).reshape(-1, len(ranges))
    rng = np.random.default_rng(np.random.SeedSequence(sweep.root_seed))
    lows = np.array([r.low for r in ranges], dtype=float)
    highs = np.array([r.high for r in ranges], dtype=float)
    if spec.design == Design.RANDOM:
        return lows + (highs - lows) * rng.random((spec.samples, len(ranges)))
    problem = salib_problem(sweep)
    if spec.design == Design.LATIN_HYPERCUBE:
        from SALib.sample import latin

        return latin.sample(problem, spec.samples, seed=rng)
    if spec.design == Design.SOBOL:
        from SALib.sample import sobol

        return sobol.sample(problem, spec.samples, calc_second_order=spec.second_order, seed=rng)
    from SALib.sample import morris

    return morris.sample(problem, spec.trajectories, num_levels=spec.levels or 4, seed=rng)


def salib_problem(sweep: Sweep) -> dict[str, Any]:
    ranges = sweep.spec.parameters
    return {
        "num_vars": len(ranges),
        "names": list(ranges),
        "bounds": [[r.low, r.high] for r in ranges.values()],
    }


def point_values(sweep: Sweep, x: np.ndarray) -> dict[str, float | int]:
    """The override values of one design point (integer parameters rounded)."""
    out: dict[str, float | int] = {}
    for name, v in zip(sweep.parameter_names, x, strict=True):
        out[name] = round(float(v)) if sweep.integer(name) else float(v)
    return out


def result_columns(sweep: Sweep) -> dict[str, str]:
    """Every results column and its type, in order."""
    cols = dict.fromkeys(ID_COLUMNS, "int")
    for name in sweep.parameter_names:
        cols[name] = "int" if sweep.integer(name) else "float"
    kinds = metric_kinds(sweep.scenario)
    keep = sweep.spec.metrics or list(kinds)
    cols.update({m: kinds[m] for m in kinds if m in keep})
    cols.update(status="str", error="str", wall_time_s="float")
    return cols


# ------------------------------------------------------------------------------------ workers
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


# ------------------------------------------------------------------------------------ storage
_ARROW = {"int": "int64", "float": "float64", "bool": "bool_", "str": "string"}


def _has_pyarrow() -> bool:
    try:
        import pyarrow
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        return False
    return True


class ResultStore:
    """Results streamed to disk in chunks that are durable and whole, or absent.

    With pyarrow: a Parquet dataset folder ``results.parquet/`` of part files, each written to a
    hidden temporary file, fsynced and renamed into place (atomic on POSIX), so a crash (even
    ``kill -9``) leaves only whole parts. Without: one ``results.csv`` appended a chunk at a time;
    a torn last line left by a crash is cut off on the next start. A run is done once its row is
    on disk; :meth:`completed` is what resume skips. Memory holds one chunk at most.
    """

    def __init__(
        self,
        out: Path,
        columns: Mapping[str, str],
        *,
        chunk_rows: int = 200,
        flush_seconds: float = 30.0,
        parquet: bool | None = None,
    ):
        self.out = Path(out)
        self.columns = dict(columns)
        self.chunk_rows = chunk_rows
        self.flush_seconds = flush_seconds
        self.parquet = _has_pyarrow() if parquet is None else parquet
        self.location = self.out / ("results.parquet" if self.parquet else "results.csv")
        self.buffer: list[dict] = []
        self.written = 0
        self._last = time.monotonic()
        if self.parquet:
            self.location.mkdir(parents=True, exist_ok=True)
            for stale in self.location.glob(".*.tmp"):
                stale.unlink()
        else:
            self._repair_csv()

    # reading
    def parts(self) -> list[Path]:
        return sorted(self.location.glob("part-*.parquet")) if self.parquet else []

    def completed(self) -> set[int]:
        frame = self.read(columns=["run"])
        return set(frame["run"].astype(int)) if len(frame) else set()

    def status_counts(self) -> dict[str, int]:
        frame = self.read(columns=["run", "status"])
        return frame["status"].value_counts().to_dict() if len(frame) else {}

    def read(self, columns: list[str] | None = None):
        import pandas as pd

        names = columns or list(self.columns)
        if self.parquet:
            import pyarrow.parquet as pq

            frames = [pq.read_table(p, columns=names).to_pandas() for p in self.parts()]
        elif self.location.exists() and self.location.stat().st_size:
            text = [c for c in names if self.columns.get(c) == "str"]
            frames = [
                pd.read_csv(
                    self.location,
                    usecols=names,
                    dtype=dict.fromkeys(text, str),
                    keep_default_na=False,  # an empty error text stays "", as in Parquet
                    na_values={c: [""] for c in names if c not in text},
                )
            ]
        else:
            frames = []
        if not frames:
            return pd.DataFrame({c: [] for c in names})
        frame = pd.concat(frames, ignore_index=True)
        return frame.drop_duplicates("run").sort_values("run", kind="stable", ignore_index=True)

    # writing
    def add(self, rows: list[dict]) -> None:
        self.buffer.extend(rows)
        if len(self.buffer) >= self.chunk_rows or (
            time.monotonic() - self._last > self.flush_seconds
        ):
            self.flush()

    def flush(self) -> None:
        if not self.buffer:
            return
        rows, self.buffer = self.buffer, []
        if self.parquet:
            self._write_part(rows)
        else:
            self._append_csv(rows)
        self.written += len(rows)
        self._last = time.monotonic()

    def _write_part(self, rows: list[dict]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = pa.schema([(c, getattr(pa, _ARROW[k])()) for c, k in self.columns.items()])
        table = pa.Table.from_pylist(
            [{c: _plain(r.get(c)) for c in self.columns} for r in rows], schema=schema
        )
        existing = [int(p.stem.split("-")[1]) for p in self.parts()]
        name = f"part-{(max(existing) + 1) if existing else 0:06d}.parquet"
        tmp = self.location / f".{name}.tmp"
        pq.write_table(table, tmp)
        _fsync(tmp)
        os.replace(tmp, self.location / name)
        _fsync_dir(self.location)

    def _append_csv(self, rows: list[dict]) -> None:
        import pandas as pd

        frame = pd.DataFrame([{c: _plain(r.get(c)) for c in self.columns} for r in rows])
        header = not self.location.exists() or self.location.stat().st_size == 0
        text = frame.to_csv(index=False, header=header, lineterminator="\n")
        fd = os.open(self.location, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, text.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)

    def _repair_csv(self) -> None:
        """Cut a torn last line (a crash mid-append) so every row on disk is whole."""
        if not self.location.exists():
            return
        data = self.location.read_bytes()
        if data and not data.endswith(b"\n"):
            with open(self.location, "r+b") as fh:
                fh.truncate(data.rfind(b"\n") + 1)


def _plain(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    # Some file systems refuse fsync on folders; the rename is atomic all the same.
    with contextlib.suppress(OSError):
        _fsync(path)


def read_results(out: str | Path):
    """A sweep folder's results as one DataFrame, one row per run, sorted by run."""
    out = Path(out)
    path = out / "sweep.json"
    if not path.exists():
        raise RunError(f"{out} is not a sweep folder (no sweep.json)")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    store = ResultStore(
        out, manifest["columns"], parquet=manifest.get("results") == "results.parquet"
    )
    return store.read()


# ------------------------------------------------------------------------------------ sweeps
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
    from .runner import sha256_file, versions

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


# ------------------------------------------------------------------------------------ CLI
def add_cli(subparsers) -> None:
    """Register the ``sweep`` and ``sensitivity`` subcommands on run.py's subparsers."""
    p = subparsers.add_parser("sweep", help="run a parameter sweep (resumes an interrupted one)")
    p.add_argument("sweep_file", help="sweep file (see scenarios/sweeps/README.md)")
    p.add_argument("--executor", choices=EXECUTORS, default="processes")
    p.add_argument("--workers", type=int, help="worker processes (default: all cores)")
    p.add_argument("--scheduler", help="Dask scheduler address tcp://HOST:PORT (--executor dask)")
    p.add_argument("--limit", type=int, help="run only the first N runs")
    p.add_argument("--out", help="results folder (default: runs/sweep-<name>)")
    p.add_argument("--keep-runs", action="store_true", help="also write every run's folder")
    p.set_defaults(func=cmd_sweep)
    p = subparsers.add_parser("sensitivity", help="Sobol or Morris indices of a finished sweep")
    p.add_argument("sweep_dir", help="a sweep's results folder")
    p.set_defaults(func=cmd_sensitivity)


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


def cmd_sensitivity(args) -> int:
    from .sensitivity import write_sensitivity

    sweep_dir = Path(args.sweep_dir)
    path, frame = write_sensitivity(sweep_dir)
    print(f"Sensitivity indices: {path}")  # noqa: T201
    # CLI glue only: the charts come from analysis/ (sim's modules never import it otherwise).
    from analysis.sweep_charts import sensitivity_bars

    for metric, part in frame.groupby("metric", sort=False):
        png = sweep_dir / f"sensitivity-{metric}.png"
        sensitivity_bars(part).savefig(png, bbox_inches="tight")
        print(f"Chart: {png}")  # noqa: T201
    return 0


__all__ = [
    "ResultStore",
    "add_cli",
    "design_matrix",
    "metric_columns",
    "read_results",
    "run_batch",
    "run_one",
    "run_seed",
    "run_sweep",
    "summarize",
]
