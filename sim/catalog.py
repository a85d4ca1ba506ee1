"""The bundled scenarios: what ``run.py list`` shows and the classroom page offers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import ScenarioError
from .scenario import load_scenario


@dataclass(frozen=True)
class Entry:
    name: str
    path: Path
    n_states: int
    summary: str


def bundled_scenarios(folder: Path) -> list[Entry]:
    """Every valid scenario file in ``folder`` (invalid ones are listed with their error)."""
    out = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            s = load_scenario(path)
        except ScenarioError as exc:
            out.append(Entry(path.stem, path, 0, f"INVALID: {exc.problems[0]}"))
            continue
        text = s.title or (s.description.split(". ")[0] if s.description else "")
        out.append(Entry(s.name, path, len(s.states), text))
    return out
