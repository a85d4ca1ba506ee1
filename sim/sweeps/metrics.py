"""Outcome metrics of one run: the columns of a sweep's results table."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping
from typing import Any

from ..scenario import Scenario

log = logging.getLogger(__name__)

#: Columns that identify a run; then the varied parameters, then the metrics, then STATUS_COLUMNS.
ID_COLUMNS = ["run", "point", "replication", "seed"]
STATUS_COLUMNS = ["status", "error", "wall_time_s"]


def slug(name: str) -> str:
    """``"climate club"`` -> ``"climate_club"`` (treaty names in column names)."""
    return re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_") or "treaty"


def treaty_names(scenario: Scenario) -> list[str]:
    """Treaties whose outcome columns a sweep records: the scenario's own, else the model's
    default one-per-issue treaties (``sim.treaties.default_treaties``)."""
    from ..treaties import default_treaties

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
