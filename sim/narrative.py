"""The story of a run in plain English, from its tidy tables (no Mesa needed).

``summary`` gives the short terminal summary printed after ``run.py run``. It reads only the
frames of a :class:`~sim.records.RunResult` (or a run folder loaded by ``analysis.load_run``).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd


def _final_forecasts(tables: Mapping[str, pd.DataFrame]) -> list[str]:
    f = tables["forecasts"]
    pos = tables["positions"]
    lines = []
    if f.empty:
        return lines
    last = f["round"].max()
    for issue, grp in f.groupby("issue", sort=False):
        first = grp.iloc[0]
        end = grp[grp["round"] == last].iloc[0]
        final = pos[(pos["round"] == pos["round"].max()) & (pos["issue"] == issue)]["position"]
        lines.append(
            f"  {issue}: forecast {end['median']:.1f} (started at {first['median']:.1f}; "
            f"weighted mean {end['weighted_mean']:.1f}); positions now span "
            f"{final.min():.1f} to {final.max():.1f}"
        )
    return lines


def _who_moved_whom(tables: Mapping[str, pd.DataFrame], top: int = 3) -> list[str]:
    ch = tables["challenges"]
    if ch.empty:
        return ["Nobody challenged anybody: every state was content with where it stood."]
    counts = ch["outcome"].value_counts()
    parts = [
        f"{counts.get(o, 0)} {o}{'s' if counts.get(o, 0) != 1 else ''}"
        for o in ("conflict", "compromise", "capitulation", "stalemate")
    ]
    lines = [f"Who moved whom: {len(ch)} challenges taken up ({', '.join(parts)})."]
    moved = ch[ch["outcome"] != "stalemate"]
    if not moved.empty:
        movers = moved.groupby("challenger").size().sort_values(ascending=False).head(top)
        lines.append(
            "  Most persuasive: "
            + ", ".join(f"{name} (moved others {n} times)" for name, n in movers.items())
        )
        pos = tables["positions"]
        start = pos[pos["round"] == 0].set_index(["state", "issue"])["position"]
        end = pos[pos["round"] == pos["round"].max()].set_index(["state", "issue"])["position"]
        shift = (end - start).abs().sort_values(ascending=False).head(top)
        shift = shift[shift > 0]
        if len(shift):
            lines.append(
                "  Moved most: "
                + ", ".join(
                    f"{s} on {i} ({start[(s, i)]:.1f} -> {end[(s, i)]:.1f})"
                    for (s, i) in shift.index
                )
            )
    return lines


def _treaty_lines(tables: Mapping[str, pd.DataFrame]) -> list[str]:
    t = tables.get("treaties")
    if t is None or t.empty:
        return []
    last = t[t["round"] == t["round"].max()]
    lines = [f"Treaties at the last summit (round {int(last['round'].iloc[0])}):"]
    for row in last.itertuples(index=False):
        members = [m for m in str(row.members).split(";") if m and m != "nan"]
        stable = (
            "stable"
            if row.internally_stable and row.externally_stable
            else "internally unstable"
            if not row.internally_stable
            else "externally unstable"
        )
        lines.append(
            f"  {row.treaty} ({row.issues}): {len(members)} members, {stable}"
            + ("" if row.settled else ", did not settle")
        )
    return lines


def summary(tables: Mapping[str, pd.DataFrame], info: Mapping) -> list[str]:
    """Short plain-English summary of a run for the terminal."""
    rounds = tables["rounds"]
    ran = int(rounds["round"].max()) if not rounds.empty else 0
    conv = bool(rounds["converged"].iloc[-1]) if not rounds.empty else False
    lines = [
        f"{info.get('title') or info.get('scenario')}: {info.get('n_states', '?')} states, "
        f"seed {info.get('seed')}",
        f"Ran {ran} of {info.get('max_rounds', ran)} rounds; "
        + (
            "converged (the last round changed positions by less than 2% of the first round)."
            if conv
            else "did not converge by the stop rule (ran every round)."
        ),
        "Forecast (vote median) per issue after the last round:",
        *_final_forecasts(tables),
        *_who_moved_whom(tables),
        *_treaty_lines(tables),
    ]
    ev = tables.get("events")
    if ev is not None and not ev.empty:
        lines.append("Events:")
        lines.extend(f"  round {r.round}: {r.description}" for r in ev.itertuples(index=False))
    return lines
