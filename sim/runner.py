"""Running a scenario and writing its run folder atomically.

``run_scenario`` builds a :class:`~sim.model.NegotiationModel`, steps it to the end and returns
the tidy records. ``write_run`` writes them into a folder that appears complete or not at all:
every file goes into a hidden temporary folder beside the target, which is renamed into place
only when everything has been written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import sys
import tempfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

from .errors import RunError
from .model import NegotiationModel
from .records import TABLES, RunResult
from .scenario import Scenario

PACKAGES = ("diplomesa", "mesa", "numpy", "pandas", "networkx", "pydantic", "pyyaml", "matplotlib")


#: Default memory budget for one run, MiB (override with DIPLOMESA_MAX_MEMORY_MB).
DEFAULT_MAX_MEMORY_MB = 4096


def estimate_memory_mb(n: int, issues: int, rounds: int) -> float:
    """Rough peak memory of a run: record buffers plus the N x N working matrices.

    Positions and risk exponents are kept for every round (2 x (R+1) x N x K floats), forecasts
    and round totals are small; ties, co-membership, lost conflicts and the bargaining kernel's
    working set are a few dozen N x N float matrices (the kernel evaluates in chunks).
    """
    buffers = 2 * (rounds + 1) * n * issues * 8
    matrices = 40 * n * n * 8
    ties = (rounds + 1) * min(n * (n - 1) / 2, 50 * n) * 40  # recorded nonzero ties (estimate)
    return (buffers + matrices + ties) / 2**20


def check_resources(scenario: Scenario, rounds: int | None = None, file: str = "") -> None:
    """Refuse a run too large for this machine's budget before allocating anything."""
    rounds = rounds if rounds is not None else scenario.parameters.rounds
    need = estimate_memory_mb(len(scenario.states), len(scenario.issues), rounds)
    limit = float(os.environ.get("DIPLOMESA_MAX_MEMORY_MB", DEFAULT_MAX_MEMORY_MB))
    if need > limit:
        where = f"{file}: " if file else ""
        raise RunError(
            f"{where}this run would need about {need / 1024:.1f} GiB of memory "
            f"({len(scenario.states)} states x {rounds} rounds x {len(scenario.issues)} issues); "
            f"the limit is {limit / 1024:.1f} GiB. Use fewer rounds (--rounds) or fewer states, "
            "or raise DIPLOMESA_MAX_MEMORY_MB if this machine has the memory."
        )


def run_scenario(
    scenario: Scenario,
    *,
    seed: int | None = None,
    rounds: int | None = None,
    progress: bool = False,
) -> RunResult:
    """Run one negotiation to its end and return its records."""
    check_resources(scenario, rounds)
    model = NegotiationModel(scenario, seed=seed, rounds=rounds)
    return model.run(progress=progress)


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 16), b""):
            h.update(block)
    return h.hexdigest()


def manifest(
    result: RunResult,
    scenario: Scenario,
    *,
    scenario_path: str | None,
    started: dt.datetime,
    finished: dt.datetime,
    argv: list[str] | None = None,
    rounds: int | None = None,
) -> dict[str, Any]:
    params = scenario.parameters.model_dump(mode="json")
    if rounds is not None:
        params["rounds"] = rounds
    return {
        "scenario": scenario.name,
        "title": scenario.title,
        "scenario_path": str(scenario_path) if scenario_path else None,
        "scenario_sha256": sha256_file(scenario_path) if scenario_path else None,
        "seed": result.info.get("seed"),
        "parameters": params,
        "issues": scenario.issue_names,
        "states": scenario.state_names,
        "rounds_run": result.info.get("rounds_run"),
        "converged": result.info.get("converged"),
        "versions": versions(),
        "command": argv if argv is not None else sys.argv,
        "started": started.isoformat(timespec="seconds"),
        "finished": finished.isoformat(timespec="seconds"),
        "files": [f"{t}.csv" for t in TABLES] + ["narrative.txt", "scenario.json"],
    }


def write_run(
    result: RunResult,
    out_dir: str | Path,
    *,
    manifest_data: dict[str, Any],
    scenario: Scenario,
    extra: Callable[[Path], None] | None = None,
) -> Path:
    """Write the run folder atomically; ``extra(tmp_dir)`` may add files (charts, report).

    If ``out_dir`` already holds an earlier run (it has a ``manifest.json``) it is replaced; a
    non-empty folder that is not a run folder is refused, so nothing of the user's is lost.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise RunError(f"{out} exists and is a file; give --out a folder name")
    if out.is_dir() and any(out.iterdir()) and not (out / "manifest.json").exists():
        raise RunError(
            f"{out} is not empty and is not a run folder; choose another --out (nothing written)"
        )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    except OSError as exc:
        raise RunError(f"cannot create the run folder {out}: {exc.strerror}") from None
    try:
        for name, frame in result.tables.items():
            frame.to_csv(tmp / f"{name}.csv", index=False, lineterminator="\n")
        (tmp / "narrative.txt").write_text("\n".join(result.narrative) + "\n", encoding="utf-8")
        (tmp / "scenario.json").write_text(
            scenario.model_dump_json(indent=1, exclude_none=True), encoding="utf-8"
        )
        if extra is not None:
            extra(tmp)
        manifest_data = dict(manifest_data)
        manifest_data["files"] = [*sorted(p.name for p in tmp.iterdir()), "manifest.json"]
        (tmp / "manifest.json").write_text(json.dumps(manifest_data, indent=2), encoding="utf-8")
        _swap_into_place(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _swap_into_place(tmp: Path, out: Path) -> None:
    """Rename ``tmp`` to ``out``; an earlier run folder there is moved aside first, then removed."""
    old = None
    if out.exists():
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        os.replace(out, old)
    try:
        os.replace(tmp, out)
    except OSError:
        if old is not None:
            os.replace(old, out)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def default_out_dir(scenario: Scenario, root: str | Path = "runs") -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path(root) / f"{scenario.name}-{stamp}"
