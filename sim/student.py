"""A student's path: copy a bundled scenario to edit, and read the story of a run.

``new_scenario`` writes a commented copy of a scenario (header comments explaining every
section, the ``yaml-language-server`` schema line, the new name) and validates it. ``explain``
tells the story of a run round by round in plain English, drawn only from the CSV files of its
run folder: why each state moved, joined a treaty, stayed out or switched bloc. ``explain`` is
pure pandas (no mesa), so it works on any run folder, on any machine.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pandas as pd

from .errors import ScenarioError
from .narrative import VISIBLE_MOVE, issue_kinds, treaty_reason

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")
REPO = Path(__file__).resolve().parents[1]
SCHEMA_FILE = REPO / "docs" / "scenario.schema.json"

#: One comment per top-level section, placed above it in a new scenario.
SECTION_HELP = {
    "name": "Identifier: letters, digits, _ . - (used in run-folder names).",
    "title": "A human title, shown in reports and in `run.py list`.",
    "description": "What the scenario is about, in a few sentences.",
    "sources": "Where every figure comes from. Say which values are judgments, not data.",
    "seed": "Random seed: the same seed gives the same run.",
    "issues": "The issues: each is an axis from min (default 0) to max (default 100). `kind` "
    "(climate, trade, security or other) picks the treaty payoff model; low/high say what the "
    "ends mean.",
    "states": "The states: ideal point (position) and salience (0-1, summing to at most 1) for "
    "every issue; capability, or iso3 + indicators to derive it; economics for treaty payoffs.",
    "alliances": "Ties between pairs of states: +1 formal alliance, 0 neutral, -1 hostile.",
    "parameters": "Model settings: rounds, summit_every, alliance_influence, ... "
    "(`run.py schema --markdown` lists them all).",
    "events": "Scheduled events: at a given round, apply changes or fire a named crisis.",
    "crises": "Named bundles of changes, fired by an event or live from the classroom page.",
    "treaties": "Treaties offered at summits; two or more issues make a linked package.",
    "landscape": "Sizes and propensities for the two-bloc (landscape theory) analysis.",
    "teaching": "Teaching notes: what_is_it, how_it_works, things_to_notice, things_to_try, "
    "questions_for_debrief, sources.",
}

HEADER = (
    """\
# {name}: your own scenario, copied from {source}.
#
# How to use this file
#   1. Edit the values below (the comment above each section says what it holds).
#   2. Check it:   python run.py validate {file}
#   3. Run it:     python run.py run {file} --rounds 20 --out runs/{name}
#   4. Read it:    the run folder's narrative.txt, or `explain` (the story round by round).
# Editors with the YAML extension (VS Code, or any yaml-language-server) read the schema line
# above: they complete field names and flag mistakes as you type.
# Every field, with its range and default: python run.py schema --markdown
#
# Sections
"""
    + "".join(f"#   {k}: {v}\n" for k, v in SECTION_HELP.items())
    + "#\n"
)

_TOP_KEY = re.compile(r"^([A-Za-z_]+):")


def _schema_line(dest_dir: Path) -> str:
    rel = os.path.relpath(SCHEMA_FILE, dest_dir.resolve()).replace(os.sep, "/")
    return f"# yaml-language-server: $schema={rel}"


def commented_copy(text: str, name: str, source: str, dest: Path) -> str:
    """The text of a commented copy of scenario ``text`` named ``name``."""
    lines = text.splitlines()
    while lines and lines[0].startswith("# yaml-language-server:"):
        lines.pop(0)
    out = [_schema_line(dest.parent)]
    out.append(HEADER.format(name=name, source=source, file=dest.as_posix()).rstrip("\n"))
    renamed = False
    for line in lines:
        m = _TOP_KEY.match(line)
        if m and m.group(1) == "name" and not renamed:
            out.append(f"# {SECTION_HELP['name']}")
            out.append(f"name: {name}")
            renamed = True
            continue
        if m and m.group(1) in SECTION_HELP and m.group(1) != "name":
            out.append(f"# -- {m.group(1)}: {SECTION_HELP[m.group(1)]}")
        out.append(line)
    if not renamed:
        out.insert(2, f"name: {name}")
    return "\n".join(out) + "\n"


def new_scenario(name: str, source: Path, dest_dir: Path) -> Path:
    """Write ``dest_dir/<name>.yaml``: a commented copy of ``source`` to edit; return its path.

    Refuses a bad name or an existing file (nothing is overwritten); the copy is validated and
    removed again if it does not validate (the error lists every problem).
    """
    from .scenario import load_scenario

    source, dest_dir = Path(source), Path(dest_dir)
    if not NAME_RE.match(name):
        raise ScenarioError.single(
            name, "a scenario name uses letters, digits, _ . - only (at most 80), e.g. my_summit"
        )
    if not source.is_file():
        raise ScenarioError.single(str(source), "no such scenario file")
    dest = dest_dir / f"{name}.yaml"
    if dest.exists():
        raise ScenarioError.single(
            str(dest), "already exists; choose another name or delete the file first"
        )
    text = commented_copy(source.read_text(encoding="utf-8"), name, source.name, dest)
    dest_dir.mkdir(parents=True, exist_ok=True)
    with open(dest, "x", encoding="utf-8") as fh:
        fh.write(text)
    try:
        load_scenario(dest)
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
    return dest


# ---------------------------------------------------------------------------------- explain


def _read(run_dir: Path, table: str) -> pd.DataFrame:
    path = run_dir / f"{table}.csv"
    if not path.exists():
        return pd.DataFrame()
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def _fmt(x: float) -> str:
    return f"{float(x):.1f}"


def _members(cell: object) -> list[str]:
    text = "" if cell is None or (isinstance(cell, float) and pd.isna(cell)) else str(cell)
    return [m for m in text.split(";") if m]


def _why(issues: str, joined: bool, kinds: dict[str, str]) -> str:
    parts = [p for p in str(issues).replace(",", ";").split(";") if p]
    return treaty_reason([kinds.get(p, p) for p in parts], joined)


def _bloc_sides(blocs: pd.DataFrame, rnd: int) -> dict[str, int]:
    rows = blocs[blocs["round"] == rnd]
    return dict(zip(rows["state"], rows["bloc"].astype(int), strict=True))


def _align(prev: dict[str, int], cur: dict[str, int]) -> dict[str, int]:
    """Relabel ``cur`` so that it agrees with ``prev`` on as many states as possible."""
    common = [s for s in cur if s in prev]
    same = sum(prev[s] == cur[s] for s in common)
    if same * 2 < len(common):
        return {s: 1 - b for s, b in cur.items()}
    return cur


def _challenge_lines(ch: pd.DataFrame, state: str | None, limit: int) -> list[str]:
    if ch.empty:
        return []
    if state is not None:
        rows = ch[(ch["challenger"] == state) | (ch["target"] == state)]
        return [f"  {r}" for r in rows["reason"]]
    shift = (ch["position_before"] - ch["position_after"]).abs()
    moved = ch[shift > 1e-9].copy()
    if moved.empty:
        return ["  Nobody moved: every challenge ended in a stalemate."]
    moved["shift"] = shift[shift > 1e-9]
    moved = moved.sort_values(["shift", "issue", "target"], ascending=[False, True, True])
    visible = moved[moved["shift"] >= VISIBLE_MOVE]
    lines = [f"  {r}" for r in visible["reason"].head(limit)]
    if len(moved) > len(lines):
        lines.append(f"  ... and {len(moved) - len(lines)} smaller moves (see challenges.csv).")
    return lines


def _forecast_lines(fc: pd.DataFrame, rnd: int) -> list[str]:
    now = fc[fc["round"] == rnd]
    before = fc[fc["round"] == rnd - 1].set_index("issue")["median"]
    out = []
    for r in now.itertuples(index=False):
        if r.issue in before.index and before[r.issue] != r.median:
            out.append(
                f"  Forecast on {r.issue} moved from {_fmt(before[r.issue])} to {_fmt(r.median)}."
            )
        elif r.issue not in before.index:
            out.append(f"  Forecast on {r.issue}: {_fmt(r.median)}.")
    return out


def _treaty_lines(
    tr: pd.DataFrame,
    pay: pd.DataFrame,
    rnd: int,
    state: str | None,
    limit: int,
    kinds: dict[str, str],
) -> list[str]:
    out = []
    for t in tr[tr["round"] == rnd].itertuples(index=False):
        members = _members(t.members)
        stable = (
            "stable (no member gains by leaving, no outsider by joining)"
            if t.internally_stable and t.externally_stable
            else "not internally stable (a member would gain by leaving)"
            if not t.internally_stable
            else "not externally stable (an outsider would gain by joining)"
        )
        p = pay[(pay["round"] == rnd) & (pay["treaty"] == t.treaty)] if not pay.empty else pay
        if state is None:
            shown = ", ".join(members[:limit]) + (" and others" if len(members) > limit else "")
            head = f"  Summit: the {t.treaty} ({t.issues}) was proposed at {t.proposal}; "
            head += (
                f"{len(members)} joined ({shown}); it is {stable}."
                if members
                else f"nobody joined; it is {stable}."
            )
            out.append(head)
            if not p.empty:
                outs = p[~p["member"].astype(bool)].copy()
                outs["gap"] = outs["payoff_out"] - outs["payoff_in"]
                for r in outs.sort_values("gap", ascending=False).head(3).itertuples(index=False):
                    out.append(
                        f"    {r.state} stayed out: {_why(t.issues, False, kinds)} "
                        f"(payoff {r.payoff_in:.3g} inside vs {r.payoff_out:.3g} outside)."
                    )
        else:
            mine = p[p["state"] == state] if not p.empty else p
            if mine.empty:
                continue
            r = mine.iloc[0]
            joined = bool(r["member"])
            verb = "joined" if joined else "stayed out of"
            tie = " (a tie: indifferent states join)" if r["payoff_in"] == r["payoff_out"] else ""
            count = f"{len(members)} member" + ("" if len(members) == 1 else "s")
            out.append(
                f"  Summit: {state} {verb} the {t.treaty} ({count}): "
                f"{_why(t.issues, joined, kinds)} (payoff {r['payoff_in']:.3g} inside vs "
                f"{r['payoff_out']:.3g} outside{tie})."
            )
    return out


def _bloc_lines(
    blocs: pd.DataFrame, rnd: int, prev: dict[str, int] | None, state: str | None, limit: int
) -> tuple[list[str], dict[str, int] | None]:
    if blocs.empty or rnd not in set(blocs["round"]):
        return [], prev
    cur = _bloc_sides(blocs, rnd)
    if prev:
        cur = _align(prev, cur)
    sides = {b: sorted(s for s, v in cur.items() if v == b) for b in (0, 1)}

    def show(names: list[str]) -> str:
        return ", ".join(names[:limit]) + (
            f" and {len(names) - limit} more" if len(names) > limit else ""
        )

    out = []
    if state is None:
        out.append(f"  Blocs: {{{show(sides[0])}}} against {{{show(sides[1])}}}.")
    elif state in cur:
        friends = [s for s in sides[cur[state]] if s != state]
        out.append(f"  Blocs: {state} sits with {show(friends) or 'nobody'}.")
    if prev:
        switched = sorted(s for s in cur if s in prev and cur[s] != prev[s])
        if state is not None:
            switched = [s for s in switched if s == state]
        for s in switched[:limit]:
            now = [x for x in sides[cur[s]] if x != s and x in prev and prev[x] == cur[s]]
            out.append(
                f"  {s} switched bloc: its ties now make it less frustrated beside "
                f"{show(now) or 'the other camp'}."
            )
    return out, cur


def _tie_lines(al: pd.DataFrame, state: str, limit: int) -> list[str]:
    if al.empty:
        return []
    rows = al[(al["a"] == state) | (al["b"] == state)]
    if rows.empty:
        return []
    first, last = rows["round"].min(), rows["round"].max()
    key = rows.assign(other=rows["a"].where(rows["b"] == state, rows["b"]))
    start = key[key["round"] == first].set_index("other")["weight"]
    end = key[key["round"] == last].set_index("other")["weight"]
    diff = (end - start.reindex(end.index).fillna(0.0)).dropna()
    diff = diff[diff.abs() >= 0.05].sort_values(key=abs, ascending=False)
    out = []
    for other, d in diff.head(limit).items():
        was = start.get(other, 0.0)
        verb = "strengthened" if d > 0 else "weakened"
        out.append(f"  Its tie with {other} {verb} from {was:.2f} to {end[other]:.2f}.")
    return out


def explain(run_dir: Path, state: str | None = None, *, limit: int = 8) -> list[str]:
    """The story of a run in plain English, round by round, from its CSV files only.

    With ``state``, only that state's story: its starting stance, every challenge it made or
    met (with the reason), its treaty decisions, its bloc and its ties. ``limit`` caps the moves,
    names and switches listed per round when telling the whole story.
    """
    run_dir = Path(run_dir)
    pos = _read(run_dir, "positions")
    if pos.empty:
        raise FileNotFoundError(f"{run_dir} has no positions.csv: is it a run folder?")
    fc, ch = _read(run_dir, "forecasts"), _read(run_dir, "challenges")
    rounds, events = _read(run_dir, "rounds"), _read(run_dir, "events")
    tr, pay = _read(run_dir, "treaties"), _read(run_dir, "payoffs")
    blocs, al = _read(run_dir, "blocs"), _read(run_dir, "alliances")
    states = list(dict.fromkeys(pos["state"]))
    issues = list(dict.fromkeys(pos["issue"]))
    scenario_file = run_dir / "scenario.json"
    kinds = (
        issue_kinds(json.loads(scenario_file.read_text(encoding="utf-8")))
        if scenario_file.exists()
        else {}
    )
    if state is not None and state not in states:
        raise KeyError(f"no state {state!r} in this run (states: {', '.join(states[:8])}...)")
    last = int(rounds["round"].max()) if not rounds.empty else int(pos["round"].max())
    lines = [
        f"The story of this run: {len(states)} states, issues {', '.join(issues)}, {last} rounds."
    ]
    start = pos[pos["round"] == 0]
    if state is not None:
        mine = start[start["state"] == state]
        stance = ", ".join(f"{r.issue} {_fmt(r.position)}" for r in mine.itertuples(index=False))
        lines.append(f"{state} starts at: {stance}.")
    prev_blocs: dict[str, int] | None = None
    for rnd in range(1, last + 1):
        block: list[str] = []
        if not events.empty:
            for e in events[events["round"] == rnd].itertuples(index=False):
                block.append(f"  Event: {e.event}: {e.description}")
        block += _challenge_lines(ch[ch["round"] == rnd] if not ch.empty else ch, state, limit)
        if state is None and not fc.empty:
            block += _forecast_lines(fc, rnd)
        if not tr.empty:
            block += _treaty_lines(tr, pay, rnd, state, limit, kinds)
        bl, prev_blocs = _bloc_lines(blocs, rnd, prev_blocs, state, limit)
        block += bl
        if block:
            lines.append(f"Round {rnd}:")
            lines += block
    lines.append("How it ended:")
    end = pos[pos["round"] == pos["round"].max()]
    if state is not None:
        mine = end[end["state"] == state].set_index("issue")["position"]
        first = start[start["state"] == state].set_index("issue")["position"]
        for issue in issues:
            if issue in mine.index:
                a, b = first.get(issue), mine[issue]
                verb = "held its position at" if a == b else f"moved from {_fmt(a)} to"
                lines.append(f"  On {issue}, {state} {verb} {_fmt(b)}.")
        lines += _tie_lines(al, state, limit)
    elif not fc.empty:
        final = fc[fc["round"] == fc["round"].max()]
        for r in final.itertuples(index=False):
            lines.append(f"  Forecast on {r.issue}: {_fmt(r.median)}.")
    if not rounds.empty:
        conv = bool(rounds["converged"].astype(str).str.lower().eq("true").iloc[-1])
        lines.append(
            f"  The run stopped after round {last}"
            + (
                ": positions had settled (the last change was under 2% of the first round's)."
                if conv
                else ": it reached its last round."
            )
        )
    return lines
