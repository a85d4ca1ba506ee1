"""Reading a run folder back into tidy frames."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

TABLE_NAMES = (
    "positions",
    "forecasts",
    "challenges",
    "alliances",
    "rounds",
    "treaties",
    "payoffs",
    "blocs",
    "events",
    "local_minima",
)


@dataclass
class RunData:
    """The tables of one run (missing tables are empty frames), its manifest and narrative."""

    path: Path
    tables: dict[str, pd.DataFrame]
    manifest: dict = field(default_factory=dict)
    narrative: list[str] = field(default_factory=list)
    scenario: dict = field(default_factory=dict)

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)

    @property
    def states(self) -> list[str]:
        """State names in scenario order (manifest, else scenario.json, else positions)."""
        if self.manifest.get("states"):
            return list(self.manifest["states"])
        if self.scenario.get("states"):
            return [s["name"] for s in self.scenario["states"]]
        pos = self.tables.get("positions")
        return list(dict.fromkeys(pos["state"])) if pos is not None and not pos.empty else []

    @property
    def title(self) -> str:
        """The scenario's title, else its name, else the folder name."""
        return str(self.manifest.get("title") or self.manifest.get("scenario") or self.path.name)


def _read_table(f: Path) -> pd.DataFrame:
    if not f.exists() or f.stat().st_size == 0:
        return pd.DataFrame()
    # ``;``-separated lists and names stay strings even when a column happens to look numeric.
    return pd.read_csv(f, dtype={"members": str, "issues": str, "proposal": str})


def load_run(path: str | Path) -> RunData:
    """Load ``positions.csv`` etc. from a run folder written by ``run.py run``."""
    path = Path(path)
    if not path.is_dir():
        raise FileNotFoundError(f"{path} is not a run folder")
    tables = {}
    for name in TABLE_NAMES:
        f = path / f"{name}.csv"
        tables[name] = _read_table(f)
    manifest = (
        json.loads((path / "manifest.json").read_text())
        if (path / "manifest.json").exists()
        else {}
    )
    narrative = (
        (path / "narrative.txt").read_text(encoding="utf-8").splitlines()
        if (path / "narrative.txt").exists()
        else []
    )
    scenario = (
        json.loads((path / "scenario.json").read_text())
        if (path / "scenario.json").exists()
        else {}
    )
    return RunData(path, tables, manifest, narrative, scenario)


def concat_tables(runs: list[RunData], name: str) -> pd.DataFrame:
    """One table (e.g. ``forecasts``) of several runs stacked, with ``run`` and ``seed`` columns."""
    frames = []
    for run in runs:
        t = run.tables.get(name)
        if t is None or t.empty:
            continue
        frames.append(t.assign(run=run.path.name, seed=run.manifest.get("seed")))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
