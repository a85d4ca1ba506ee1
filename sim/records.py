"""Recording a run without drag, and turning the records into tidy tables and sentences.

The model appends per-round arrays into buffers preallocated for the longest possible run; they
become pandas DataFrames once, at the end (:meth:`Recorder.result`). No per-agent DataCollector
reporters: at N = 193 those cost more than the negotiation itself.

Table names and columns are the run-output contract read by ``analysis/`` (see README).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .bargaining import BargainResult, Outcome

#: Output tables, in the order they are written, with their columns.
TABLES: dict[str, list[str]] = {
    "positions": ["round", "state", "issue", "position", "risk_exponent"],
    "forecasts": ["round", "issue", "weighted_mean", "median"],
    "challenges": [
        "round",
        "issue",
        "challenger",
        "target",
        "outcome",
        "eu_challenger",
        "eu_target",
        "position_before",
        "position_after",
        "reason",
    ],
    "alliances": ["round", "a", "b", "weight"],
    "rounds": ["round", "total_change", "converged", "unbalanced_triads"],
    "treaties": [
        "round",
        "treaty",
        "issues",
        "proposal",
        "members",
        "internally_stable",
        "externally_stable",
        "settled",
    ],
    "payoffs": ["round", "treaty", "state", "member", "payoff_in", "payoff_out"],
    "blocs": ["round", "state", "bloc", "energy", "is_global_minimum"],
    "events": ["round", "event", "description"],
    "local_minima": ["round", "config", "state", "bloc", "energy"],
}


@dataclass
class RunResult:
    """Everything a run produced, as tidy frames (one row per round x entity)."""

    tables: dict[str, pd.DataFrame]
    narrative: list[str]
    info: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)


class Recorder:
    """Preallocated per-round buffers for one model.

    ``max_rounds`` bounds the buffers; round 0 holds the initial state.
    """

    def __init__(self, names: list[str], issues: list[str], max_rounds: int):
        n, k = len(names), len(issues)
        self.names = names
        self.issues = issues
        self.positions = np.full((max_rounds + 1, n, k), np.nan)
        self.risk = np.full((max_rounds + 1, n, k), np.nan)
        self.forecast = np.full((max_rounds + 1, k, 2), np.nan)
        self.total_change = np.full(max_rounds + 1, np.nan)
        self.converged = np.zeros(max_rounds + 1, dtype=bool)
        self.triads = np.zeros(max_rounds + 1, dtype=np.int64)
        self._challenges: list[tuple[int, int, BargainResult]] = []
        self._alliances: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = []
        self.rows: dict[str, list[tuple]] = {
            "treaties": [],
            "payoffs": [],
            "blocs": [],
            "events": [],
            "local_minima": [],
        }
        self.blocks: dict[str, list[dict[str, Any]]] = {}
        self.narrative: list[str] = []
        self.last_round = 0

    def initial(self, positions: np.ndarray, edges: tuple, triads: int) -> None:
        self.positions[0] = positions
        self._alliances.append((0, *edges))
        self.triads[0] = triads

    def bargaining(self, rnd: int, k: int, idx: np.ndarray, res: BargainResult) -> None:
        """One issue's pass; ``idx`` maps the kernel's local indices to state indices."""
        self.forecast[rnd, k] = (res.weighted_mean, res.median)
        self.risk[rnd, idx, k] = res.risk
        if len(res.challenger):
            self._challenges.append((rnd, k, _remap(res, idx)))

    def end_round(
        self, rnd: int, positions: np.ndarray, change: float, converged: bool, edges, triads: int
    ) -> None:
        self.positions[rnd] = positions
        self.total_change[rnd] = change
        self.converged[rnd] = converged
        self.triads[rnd] = triads
        self._alliances.append((rnd, *edges))
        self.last_round = rnd

    def add(self, table: str, row: tuple) -> None:
        """Append one row (a tuple in the table's column order)."""
        self.rows[table].append(row)

    def add_columns(self, table: str, columns: dict[str, Any]) -> None:
        """Append many rows at once as column arrays (scalars are broadcast)."""
        self.blocks.setdefault(table, []).append(columns)

    def result(self, info: dict[str, Any] | None = None) -> RunResult:
        last = self.last_round
        n, k = len(self.names), len(self.issues)
        rounds = np.repeat(np.arange(last + 1), n * k)
        tables = {
            "positions": pd.DataFrame(
                {
                    "round": rounds,
                    "state": np.tile(np.repeat(self.names, k), last + 1),
                    "issue": np.tile(self.issues, n * (last + 1)),
                    "position": self.positions[: last + 1].reshape(-1),
                    "risk_exponent": self.risk[: last + 1].reshape(-1),
                }
            ),
            "forecasts": pd.DataFrame(
                {
                    "round": np.repeat(np.arange(1, last + 1), k),
                    "issue": np.tile(self.issues, last),
                    "weighted_mean": self.forecast[1 : last + 1, :, 0].reshape(-1),
                    "median": self.forecast[1 : last + 1, :, 1].reshape(-1),
                }
            ),
            "challenges": self._challenge_frame(),
            "alliances": self._alliance_frame(),
            "rounds": pd.DataFrame(
                {
                    "round": np.arange(1, last + 1),
                    "total_change": self.total_change[1 : last + 1],
                    "converged": self.converged[1 : last + 1],
                    "unbalanced_triads": self.triads[1 : last + 1],
                }
            ),
        }
        for name, rows in self.rows.items():
            parts = [pd.DataFrame(rows, columns=TABLES[name])] if rows else []
            parts += [pd.DataFrame(b, columns=TABLES[name]) for b in self.blocks.get(name, [])]
            tables[name] = (
                pd.concat(parts, ignore_index=True)
                if parts
                else pd.DataFrame({c: [] for c in TABLES[name]})
            )
        return RunResult(
            tables={t: tables[t] for t in TABLES}, narrative=self.narrative, info=info or {}
        )

    def _challenge_frame(self) -> pd.DataFrame:
        if not self._challenges:
            return pd.DataFrame({c: [] for c in TABLES["challenges"]})
        names = np.asarray(self.names, dtype=object)
        parts = []
        for rnd, k, r in self._challenges:
            m = len(r.challenger)
            parts.append(
                pd.DataFrame(
                    {
                        "round": np.full(m, rnd),
                        "issue": self.issues[k],
                        "challenger": names[r.challenger],
                        "target": names[r.target],
                        "outcome": [Outcome(o).name.lower() for o in r.outcome],
                        "eu_challenger": r.eu_challenger,
                        "eu_target": r.eu_target,
                        "position_before": r.position_before,
                        "position_after": r.position_after,
                    }
                )
            )
        frame = pd.concat(parts, ignore_index=True)
        reason_args = TABLES["challenges"][1:-1]  # issue ... position_after
        frame["reason"] = [
            challenge_reason(*row) for row in frame[reason_args].itertuples(index=False)
        ]
        return frame

    def _alliance_frame(self) -> pd.DataFrame:
        names = np.asarray(self.names, dtype=object)
        parts = [
            pd.DataFrame({"round": np.full(len(a), rnd), "a": names[a], "b": names[b], "weight": w})
            for rnd, a, b, w in self._alliances
        ]
        if not parts:
            return pd.DataFrame({c: [] for c in TABLES["alliances"]})
        return pd.concat(parts, ignore_index=True)


def _remap(res: BargainResult, idx: np.ndarray) -> BargainResult:
    if np.array_equal(idx, np.arange(len(idx))):
        return res
    from dataclasses import replace

    return replace(res, challenger=idx[res.challenger], target=idx[res.target])


def challenge_reason(
    issue: str,
    challenger: str,
    target: str,
    outcome: str,
    eu_c: float,
    eu_t: float,
    before: float,
    after: float,
) -> str:
    """One plain-English sentence on why a challenged state moved or held (MODEL.md section 3)."""
    move = f"from {before:.1f} to {after:.1f}"
    if outcome == "conflict":
        return (
            f"{challenger} challenged {target} on {issue}; both expected to gain from a showdown, "
            f"but {challenger} expected more ({eu_c:.2f} against {eu_t:.2f}), so {target} lost "
            f"and moved {move}."
        )
    if outcome == "compromise":
        return (
            f"{challenger} pressed {target} on {issue}; resisting would cost {target} less "
            f"({-eu_t:.2f}) than {challenger} stood to gain ({eu_c:.2f}), so they met part way: "
            f"{target} moved {move}."
        )
    if outcome == "capitulation":
        return (
            f"{challenger} pressed {target} on {issue}; resisting would cost {target} more "
            f"({-eu_t:.2f}) than {challenger} stood to gain ({eu_c:.2f}), so {target} gave in "
            f"and moved {move}."
        )
    return (
        f"{challenger} challenged {target} on {issue}, but {target} expected to come out ahead "
        f"({eu_t:.2f} against {eu_c:.2f}) and held its position at {before:.1f}."
    )
