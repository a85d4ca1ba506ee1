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


def load_run(path: str | Path) -> RunData:
    """Load ``positions.csv`` etc. from a run folder written by ``run.py run``."""
    path = Path(path)
    if not path.is_dir():
        raise FileNotFoundError(f"{path} is not a run folder")
    tables = {}
    for name in TABLE_NAMES:
        f = path / f"{name}.csv"
        tables[name] = pd.read_csv(f, keep_default_na=True) if f.exists() else pd.DataFrame()
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
