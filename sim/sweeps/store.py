"""Results on disk: atomically written chunks, read back for resume and analysis."""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import RunError

log = logging.getLogger(__name__)


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
