"""Pure metrics on the tidy tables of a run folder: frames in, frames out.

Nothing here draws, reads files or imports Mesa. Every chart in :mod:`analysis.charts` calls one of
these, so a test can check a metric against values worked out by hand from the records, and then
check that the chart plots exactly that metric.

Table columns follow the run-folder contract (``docs`` and ``sim/records.py``): e.g. ``treaties``
has ``round,treaty,issues,proposal,members,internally_stable,externally_stable,settled`` with
``issues``, ``members`` and linked ``proposal`` values ``;``-separated.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from .load import RunData

#: Challenge outcomes, in the order charts stack them (most to least movement of the target).
OUTCOMES = ("conflict", "compromise", "capitulation", "stalemate")

_TRUE = {"true", "1", "yes", "t", "y", "1.0"}


def split_list(value: object) -> list[str]:
    """Items of a ``;``-separated cell (``"China;India"`` -> ``["China", "India"]``); NaN -> []."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    return [p.strip() for p in str(value).split(";") if p.strip() and p.strip().lower() != "nan"]


def as_bool(series: pd.Series) -> pd.Series:
    """A column of True/False read back from CSV (bools, strings or 0/1; missing -> False)."""
    if series.dtype == bool:
        return series
    return series.map(lambda v: str(v).strip().lower() in _TRUE).astype(bool)


def _empty(frame: pd.DataFrame | None) -> bool:
    return frame is None or frame.empty


# --- positions and forecasts ------------------------------------------------------------------


def issues_of(positions: pd.DataFrame, forecasts: pd.DataFrame | None = None) -> list[str]:
    """Issue names in the order the run recorded them."""
    if not _empty(positions):
        return list(dict.fromkeys(positions["issue"]))
    if not _empty(forecasts):
        return list(dict.fromkeys(forecasts["issue"]))
    return []


def final_forecasts(forecasts: pd.DataFrame) -> pd.DataFrame:
    """The forecast of each issue after the last round.

    Returns columns ``issue, round, median, weighted_mean`` (one row per issue, in recorded order).
    The median is the capability x salience weighted vote median (Bueno de Mesquita 1994).
    """
    cols = ["issue", "round", "median", "weighted_mean"]
    if _empty(forecasts):
        return pd.DataFrame(columns=cols)
    last = forecasts.sort_values("round", kind="stable").groupby("issue", sort=False).tail(1)
    order = list(dict.fromkeys(forecasts["issue"]))
    last = last.set_index("issue").loc[order].reset_index()
    return last[cols].reset_index(drop=True)


def final_positions(positions: pd.DataFrame) -> pd.DataFrame:
    """Each state's first and last position per issue: ``state, issue, start, end, shift``."""
    cols = ["state", "issue", "start", "end", "shift"]
    if _empty(positions):
        return pd.DataFrame(columns=cols)
    start = positions[positions["round"] == positions["round"].min()]
    end = positions[positions["round"] == positions["round"].max()]
    out = start[["state", "issue", "position"]].merge(
        end[["state", "issue", "position"]], on=["state", "issue"], suffixes=("_s", "_e")
    )
    out = out.rename(columns={"position_s": "start", "position_e": "end"})
    out["shift"] = out["end"] - out["start"]
    return out[cols]


# --- treaties ---------------------------------------------------------------------------------


def summit_rounds(treaties: pd.DataFrame) -> list[int]:
    """Rounds at which a summit proposed treaties, ascending."""
    if _empty(treaties):
        return []
    return sorted(int(r) for r in treaties["round"].unique())


def treaty_sizes(treaties: pd.DataFrame) -> pd.DataFrame:
    """Members per treaty per summit, with its stability.

    Columns ``round, treaty, issues, n_members, internally_stable, externally_stable, stable,
    settled``; ``stable`` is internal and external stability together (d'Aspremont et al. 1983).
    """
    cols = [
        "round",
        "treaty",
        "issues",
        "n_members",
        "internally_stable",
        "externally_stable",
        "stable",
        "settled",
    ]
    if _empty(treaties):
        return pd.DataFrame(columns=cols)
    out = treaties[["round", "treaty", "issues"]].copy()
    out["n_members"] = treaties["members"].map(lambda m: len(split_list(m))).astype(int)
    for c in ("internally_stable", "externally_stable", "settled"):
        out[c] = as_bool(treaties[c]) if c in treaties else False
    out["stable"] = out["internally_stable"] & out["externally_stable"]
    return out[cols].reset_index(drop=True)


def membership(treaties: pd.DataFrame, states: Sequence[str] | None = None) -> pd.DataFrame:
    """Long membership table: one row per summit x treaty x state.

    Columns ``round, treaty, state, member, stable``. ``states`` fixes the rows (and their order);
    by default every state that ever signed.
    """
    cols = ["round", "treaty", "state", "member", "stable"]
    if _empty(treaties):
        return pd.DataFrame(columns=cols)
    sizes = treaty_sizes(treaties)
    if states is None:
        states = list(dict.fromkeys(s for m in treaties["members"] for s in split_list(m)))
    rows = []
    for (rnd, treaty, members), stable in zip(
        treaties[["round", "treaty", "members"]].itertuples(index=False, name=None),
        sizes["stable"],
        strict=True,
    ):
        signed = set(split_list(members))
        rows.extend((int(rnd), treaty, s, s in signed, bool(stable)) for s in states)
    return pd.DataFrame(rows, columns=cols)


def membership_matrix(treaties: pd.DataFrame, states: Sequence[str] | None = None) -> pd.DataFrame:
    """States x (treaty, round) table of booleans: who was inside each treaty at each summit.

    Columns are ordered by treaty (first appearance) then round; rows keep ``states`` order.
    """
    long = membership(treaties, states)
    if long.empty:
        return pd.DataFrame()
    order = list(dict.fromkeys(long["treaty"]))
    wide = long.pivot_table(
        index="state", columns=["treaty", "round"], values="member", aggfunc="any", sort=False
    )
    cols = sorted(wide.columns, key=lambda c: (order.index(c[0]), c[1]))
    rows = list(dict.fromkeys(long["state"]))
    return wide.loc[rows, cols].astype(bool)


def treaty_proposals(treaties: pd.DataFrame, issue: str | None = None) -> pd.DataFrame:
    """The proposed level on each issue of each treaty at each summit.

    A linked package lists its issues and its proposals in the same ``;``-separated order, so a
    package on climate and trade contributes one row for each issue. Columns ``round, treaty,
    issue, proposal, n_members, stable, settled``.
    """
    cols = ["round", "treaty", "issue", "proposal", "n_members", "stable", "settled"]
    if _empty(treaties):
        return pd.DataFrame(columns=cols)
    sizes = treaty_sizes(treaties)
    rows = []
    for t, s in zip(treaties.itertuples(index=False), sizes.itertuples(index=False), strict=True):
        issues = split_list(t.issues)
        values = [float(v) for v in split_list(t.proposal)]
        if len(values) == 1 and len(issues) > 1:
            values = values * len(issues)
        for i, v in zip(issues, values, strict=False):
            rows.append((int(t.round), t.treaty, i, v, s.n_members, s.stable, s.settled))
    out = pd.DataFrame(rows, columns=cols)
    if issue is not None:
        out = out[out["issue"] == issue].reset_index(drop=True)
    return out


def payoff_gains(payoffs: pd.DataFrame, round: int | None = None) -> pd.DataFrame:
    """Each state's payoff inside minus outside each treaty at one summit (default the last).

    Columns ``round, treaty, state, member, payoff_in, payoff_out, gain``. A state that signed
    should have ``gain >= 0`` (internal stability); one outside, ``gain <= 0`` when the treaty is
    externally stable (Barrett 1994).
    """
    cols = ["round", "treaty", "state", "member", "payoff_in", "payoff_out", "gain"]
    if _empty(payoffs):
        return pd.DataFrame(columns=cols)
    rnd = int(payoffs["round"].max()) if round is None else int(round)
    out = payoffs[payoffs["round"] == rnd].copy()
    out["member"] = as_bool(out["member"])
    out["gain"] = out["payoff_in"] - out["payoff_out"]
    return out[cols].reset_index(drop=True)


# --- challenges -------------------------------------------------------------------------------


def challenge_counts(challenges: pd.DataFrame, *, role: str = "challenger") -> pd.DataFrame:
    """Challenges per state and outcome, counted by ``role`` (``challenger`` or ``target``).

    Returns a states x :data:`OUTCOMES` frame of ints, rows sorted by total (most first).
    """
    if role not in ("challenger", "target"):
        raise ValueError(f"role must be 'challenger' or 'target', got {role!r}")
    if _empty(challenges):
        return pd.DataFrame(columns=list(OUTCOMES), dtype=int)
    counts = pd.crosstab(challenges[role], challenges["outcome"])
    counts = counts.reindex(columns=list(OUTCOMES), fill_value=0).astype(int)
    counts.index.name = "state"
    counts.columns.name = None
    order = counts.sum(axis=1).sort_values(ascending=False, kind="stable").index
    return counts.loc[order]


def who_moved_whom(challenges: pd.DataFrame, top: int | None = None) -> pd.DataFrame:
    """Challenges made and received per state and outcome, the most involved states first.

    Long frame ``state, role, outcome, count`` (role ``made`` or ``received``), limited to the
    ``top`` states by challenges made plus received.
    """
    cols = ["state", "role", "outcome", "count"]
    if _empty(challenges):
        return pd.DataFrame(columns=cols)
    made = challenge_counts(challenges, role="challenger")
    got = challenge_counts(challenges, role="target")
    states = made.index.union(got.index, sort=False)
    made = made.reindex(states, fill_value=0)
    got = got.reindex(states, fill_value=0)
    total = (made.sum(axis=1) + got.sum(axis=1)).sort_values(ascending=False, kind="stable")
    keep = list(total.index[:top] if top else total.index)
    frames = []
    for role, table in (("made", made), ("received", got)):
        t = table.loc[keep].reset_index(names="state").melt(id_vars="state", var_name="outcome")
        t.insert(1, "role", role)
        frames.append(t.rename(columns={"value": "count"}))
    out = pd.concat(frames, ignore_index=True)
    out["count"] = out["count"].astype(int)
    return out[cols]


# --- alliances and blocs ----------------------------------------------------------------------


def capabilities(scenario: Mapping) -> pd.Series:
    """Capability of each state from ``scenario.json`` (``states[*].capability``), by name."""
    states = scenario.get("states", []) if scenario else []
    return pd.Series(
        {s["name"]: float(s.get("capability") or 0.0) for s in states}, name="capability"
    )


def alliance_edges(alliances: pd.DataFrame, round: int = 0) -> pd.DataFrame:
    """Nonzero ties ``a, b, weight`` after ``round`` (0 = the scenario's baseline)."""
    if _empty(alliances):
        return pd.DataFrame(columns=["a", "b", "weight"])
    rows = alliances[alliances["round"] == round]
    return rows[["a", "b", "weight"]].reset_index(drop=True)


def layout_positions(
    alliances: pd.DataFrame,
    states: Iterable[str] | None = None,
    *,
    seed: int = 0,
    round: int = 0,
) -> pd.DataFrame:
    """Fixed node positions (``x``, ``y`` by state) from the alliance graph at ``round``.

    Computed once on the baseline graph so that pictures of different rounds compare. Up to
    ``CIRCLE_MAX`` states sit on a circle, ordered by the angle of their spectral embedding (the
    two leading eigenvectors of the signed tie matrix) so allies are neighbours and rivals face
    each other: every name stays readable on a projector. Beyond that, a seeded spring layout in
    which a tie of weight ``w`` in [-1, 1] pulls with strength ``(1 + w) / 2``: allies close,
    hostile states loosely (without any pull a state with only enemies would be flung to the edge
    of the picture). Same input, same layout.
    """
    edges = alliance_edges(alliances, round)
    nodes = list(dict.fromkeys([*(states or []), *edges["a"], *edges["b"]]))
    if not nodes:
        return pd.DataFrame(columns=["x", "y"])
    if len(nodes) <= CIRCLE_MAX:
        return _circle_layout(nodes, edges)
    g = nx.Graph()
    g.add_nodes_from(nodes)
    g.add_weighted_edges_from(
        (a, b, (1.0 + float(w)) / 2.0) for a, b, w in edges.itertuples(index=False, name=None)
    )
    k = 2.0 / np.sqrt(len(nodes))
    pos = nx.spring_layout(g, seed=seed, weight="weight", k=k, iterations=100)
    out = pd.DataFrame.from_dict(pos, orient="index", columns=["x", "y"])
    out.index.name = "state"
    return out.loc[nodes]


#: Largest number of states drawn on a circle (beyond: a spring layout).
CIRCLE_MAX = 30


def _circle_layout(nodes: list[str], edges: pd.DataFrame) -> pd.DataFrame:
    n = len(nodes)
    index = {s: i for i, s in enumerate(nodes)}
    w = np.zeros((n, n))
    for a, b, weight in edges[["a", "b", "weight"]].itertuples(index=False, name=None):
        w[index[a], index[b]] = w[index[b], index[a]] = float(weight)
    if n <= 2 or not w.any():
        order = np.arange(n)
    else:
        vals, vecs = np.linalg.eigh(w)
        top = vecs[:, np.argsort(-vals, kind="stable")[:2]]
        top *= np.where(top[np.argmax(np.abs(top), axis=0), [0, 1]] < 0, -1.0, 1.0)  # fix signs
        angle = np.round(np.arctan2(top[:, 1], top[:, 0]), 9)
        order = np.lexsort((np.arange(n), angle))
    theta = np.pi / 2 - 2 * np.pi * np.arange(n) / n
    xy = np.zeros((n, 2))
    xy[order] = np.column_stack([np.cos(theta), np.sin(theta)])
    out = pd.DataFrame(xy, index=pd.Index(nodes, name="state"), columns=["x", "y"])
    return out


def _with_config(blocs: pd.DataFrame) -> pd.DataFrame:
    b = blocs.copy()
    if "config" not in b:
        # Configurations are written one after another: the k-th row of a state in a round
        # belongs to the k-th configuration of that round.
        b["config"] = b.groupby(["round", "state"]).cumcount()
    b["is_global_minimum"] = as_bool(b["is_global_minimum"])
    return b


def landscape(blocs: pd.DataFrame, local_minima: pd.DataFrame | None) -> pd.DataFrame:
    """Every split of a summit in one frame: the global minimum (``blocs.csv``, config 0) and
    the other local minima (``local_minima.csv``, configs 1..), each with a ``config`` column.

    A local minimum that is the reported split itself (same sides, labels possibly swapped) is
    not repeated.
    """
    if _empty(blocs):
        return blocs
    out = [blocs.assign(config=0)]
    if local_minima is not None and not _empty(local_minima):
        for rnd, grp in local_minima.groupby("round", sort=True):
            best = blocs[blocs["round"] == rnd].set_index("state")["bloc"].astype(int)
            k = 1
            for _, cfg in grp.groupby("config", sort=True):
                side = cfg.set_index("state")["bloc"].astype(int).reindex(best.index)
                if (side == best).all() or (side == 1 - best).all():
                    continue
                out.append(
                    cfg.assign(config=k, is_global_minimum=False)[
                        ["round", "state", "bloc", "energy", "is_global_minimum", "config"]
                    ]
                )
                k += 1
    return pd.concat(out, ignore_index=True)


def bloc_configurations(blocs: pd.DataFrame) -> pd.DataFrame:
    """One row per two-bloc configuration recorded at each summit (the bloc summary).

    Columns ``round, config, energy, is_global_minimum, bloc0, bloc1, size0, size1`` where
    ``bloc0``/``bloc1`` are tuples of state names. Sorted by round then energy (lowest first).
    Energy is Axelrod & Bennett's (1993) frustration: lower means a more stable split.
    """
    cols = ["round", "config", "energy", "is_global_minimum", "bloc0", "bloc1", "size0", "size1"]
    if _empty(blocs):
        return pd.DataFrame(columns=cols)
    b = _with_config(blocs)
    rows = []
    for (rnd, cfg), grp in b.groupby(["round", "config"], sort=True):
        side = grp["bloc"].astype(int)
        b0 = tuple(grp.loc[side == 0, "state"])
        b1 = tuple(grp.loc[side == 1, "state"])
        rows.append(
            (
                int(rnd),
                int(cfg),
                float(grp["energy"].iloc[0]),
                bool(grp["is_global_minimum"].any()),
                b0,
                b1,
                len(b0),
                len(b1),
            )
        )
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(["round", "energy"], kind="stable").reset_index(drop=True)


def bloc_of(blocs: pd.DataFrame, round: int | None = None) -> pd.Series:
    """Bloc (0/1) of each state in the global minimum at the latest summit <= ``round``."""
    if _empty(blocs):
        return pd.Series(dtype=int, name="bloc")
    b = _with_config(blocs)
    rounds = sorted(b["round"].unique())
    if round is not None:
        rounds = [r for r in rounds if r <= round]
    if not rounds:
        return pd.Series(dtype=int, name="bloc")
    at = b[(b["round"] == rounds[-1]) & b["is_global_minimum"]]
    if at.empty:  # no flag: take the lowest-energy configuration
        at = b[b["round"] == rounds[-1]]
        at = at[at["energy"] == at["energy"].min()]
        at = at[at["config"] == at["config"].min()]
    return at.set_index("state")["bloc"].astype(int).rename("bloc")


# --- several runs -----------------------------------------------------------------------------


def final_outcomes(runs: Sequence[RunData] | Mapping[str, RunData]) -> pd.DataFrame:
    """Final outcomes of several runs (seeds, scenarios) as one tidy frame.

    Columns ``run, seed, measure, key, value``: measure ``final forecast`` (key = issue, value =
    the vote median after the last round) and ``treaty size`` (key = treaty, value = members at
    the last summit). ``run`` is the mapping key or the run folder's name.
    """
    items = list(runs.items()) if isinstance(runs, Mapping) else [(None, r) for r in runs]
    rows = []
    seen: dict[str, int] = {}
    for name, run in items:
        label = str(name if name is not None else run.path.name)
        if label in seen:
            seen[label] += 1
            label = f"{label}#{seen[label]}"
        else:
            seen[label] = 0
        seed = run.manifest.get("seed")
        for f in final_forecasts(run.tables.get("forecasts")).itertuples(index=False):
            rows.append((label, seed, "final forecast", f.issue, float(f.median)))
        sizes = treaty_sizes(run.tables.get("treaties"))
        if not sizes.empty:
            last = sizes[sizes["round"] == sizes["round"].max()]
            for t in last.itertuples(index=False):
                rows.append((label, seed, "treaty size", t.treaty, float(t.n_members)))
    return pd.DataFrame(rows, columns=["run", "seed", "measure", "key", "value"])


def outcomes_from_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A :func:`final_outcomes` frame as is, or one built from forecasts with a ``run`` column."""
    if {"run", "measure", "key", "value"} <= set(frame.columns):
        return frame
    if {"run", "issue", "median", "round"} <= set(frame.columns):
        last = frame.sort_values("round", kind="stable").groupby(["run", "issue"], sort=False)
        last = last.tail(1)
        out = pd.DataFrame(
            {
                "run": last["run"].to_numpy(),
                "seed": last["seed"].to_numpy() if "seed" in last else None,
                "measure": "final forecast",
                "key": last["issue"].to_numpy(),
                "value": last["median"].astype(float).to_numpy(),
            }
        )
        return out
    raise ValueError(
        "expected final_outcomes() columns (run, measure, key, value) or concatenated "
        f"forecasts with a 'run' column; got {list(frame.columns)}"
    )
