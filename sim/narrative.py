"""The story of a run in plain English, from its tidy tables (no Mesa needed).

``summary`` gives the short terminal summary printed after ``run.py run``. It reads only the
frames of a :class:`~sim.records.RunResult` (or a run folder loaded by ``analysis.load_run``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

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


#: Moves smaller than this (positions are shown to one decimal) are not told one by one.
VISIBLE_MOVE = 0.05

#: Why a state stays out of / joins a treaty, by the kind of the treaty's issue.
STAY_OUT = {
    "climate": "joining would cost more than its share of the benefit: free-riding on the "
    "others' cuts pays it more than its own abatement would",
    "trade": "the gains from tariff-free trade with the members do not cover its adjustment cost",
    "security": "the burden and the enemies it would ally with outweigh the protection",
}
JOIN = {
    "climate": "the shared benefit of the members' cuts is worth its own abatement cost",
    "trade": "its trade with the members makes tariff-free access worth the adjustment",
    "security": "the protection of the members' combined strength outweighs its burden",
}


def treaty_reason(kinds: Sequence[str], joined: bool) -> str:
    """Why a state joined (or stayed out of) a treaty on issues of these payoff kinds."""
    table = JOIN if joined else STAY_OUT
    if len(kinds) == 1 and kinds[0] in table:
        return table[kinds[0]]
    if len(kinds) > 1:
        return (
            "the package as a whole leaves it better off"
            if joined
            else "the package as a whole would leave it worse off"
        )
    return "it is better off inside" if joined else "it is better off outside"


def issue_kinds(scenario: Mapping) -> dict[str, str]:
    """Issue name -> payoff kind from a scenario dict (``scenario.json`` of a run folder)."""
    out = {}
    for issue in scenario.get("issues", []):
        name = issue.get("name", "")
        kind = issue.get("kind") or (name if name in STAY_OUT else "other")
        out[name] = kind
    return out


def members_of(cell) -> list[str]:
    """The ``;``-separated member names of a treaties.csv cell (empty cell: nobody)."""
    if cell is None or (isinstance(cell, float) and pd.isna(cell)):
        return []
    return [m for m in str(cell).split(";") if m]


def _treaty_lines(tables: Mapping[str, pd.DataFrame], kinds: Mapping[str, str]) -> list[str]:
    t = tables.get("treaties")
    if t is None or t.empty:
        return []
    last_round = t["round"].max()
    last = t[t["round"] == last_round]
    pay = tables.get("payoffs")
    lines = [f"Treaties at the last summit (round {int(last_round)}):"]
    for row in last.itertuples(index=False):
        members = members_of(row.members)
        stable = (
            "stable"
            if row.internally_stable and row.externally_stable
            else "not internally stable (a member would gain by leaving)"
            if not row.internally_stable
            else "not externally stable (an outsider would gain by joining)"
        )
        n = len(members)
        lines.append(
            f"  {row.treaty} ({row.issues.replace(';', ' + ')}): "
            f"{n} member{'s' if n != 1 else ''}, {stable}"
            + ("" if row.settled else "; the membership game did not settle")
        )
        if members:
            shown = ", ".join(members[:8]) + (" and others" if n > 8 else "")
            lines.append(f"    signed: {shown}")
        if pay is None or pay.empty:
            continue
        p = pay[(pay["round"] == last_round) & (pay["treaty"] == row.treaty) & ~pay["member"]]
        p = p.assign(gap=p["payoff_out"] - p["payoff_in"]).sort_values("gap", ascending=False)
        issues = str(row.issues).split(";")
        why = treaty_reason([kinds.get(i, i) for i in issues], joined=False)
        for r in p.head(3).itertuples(index=False):
            lines.append(
                f"    {r.state} stayed out: {why} (payoff {r.payoff_in:.3g} inside vs "
                f"{r.payoff_out:.3g} outside)."
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
        *_treaty_lines(tables, info.get("issue_kinds", {})),
    ]
    ev = tables.get("events")
    if ev is not None and not ev.empty:
        lines.append("Events:")
        lines.extend(f"  round {r.round}: {r.description}" for r in ev.itertuples(index=False))
    return lines
