"""Cross-reference checks on a scenario, and capability derivation from indicators.

These run on the raw parsed data as well as the validated model, so that a file with both a type
error and a misspelt state name reports both at once. Every check names the field path and says
what is allowed.
"""

from __future__ import annotations

import math
from typing import Any

from .errors import Problem
from .reference_data import reference_indicators
from .yamlio import Located

SALIENCE_TOLERANCE = 1e-9


def _names(items: Any, key: str = "name") -> list[str]:
    if not isinstance(items, list):
        return []
    return [x.get(key) for x in items if isinstance(x, dict) and isinstance(x.get(key), str)]


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _duplicate_names(
    items: list, kind: str, located: Located, plural: str | None = None
) -> list[Problem]:
    """A problem for every item whose ``name`` was already used in the same list."""
    plural = plural or f"{kind}s"
    out, seen = [], {}
    for i, item in enumerate(items):
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str):
            continue
        if name in seen:
            out.append(
                located.problem(
                    (plural, i, "name"),
                    f"{kind} {name!r} is defined twice (also {plural}[{seen[name]}]); "
                    "names must be unique",
                )
            )
        seen.setdefault(name, i)
    return out


def cross_check(data: dict, located: Located) -> list[Problem]:
    """Problems that need more than one field: names, references, sums, scales."""
    problems: list[Problem] = []
    add = problems.append
    issues = data.get("issues") if isinstance(data.get("issues"), list) else []
    states = data.get("states") if isinstance(data.get("states"), list) else []
    issue_names = list(dict.fromkeys(_names(issues)))
    state_names = list(dict.fromkeys(_names(states)))
    scale: dict[str, tuple[float, float]] = {}

    problems.extend(_duplicate_names(issues, "issue", located))
    problems.extend(_duplicate_names(states, "state", located))

    for i, issue in enumerate(issues):
        if not isinstance(issue, dict):
            continue
        lo, hi = issue.get("min", 0.0), issue.get("max", 100.0)
        if _is_num(lo) and _is_num(hi):
            if lo >= hi:
                add(located.problem(("issues", i, "max"), f"must be above min ({lo}), got {hi}"))
            elif isinstance(issue.get("name"), str):
                scale[issue["name"]] = (float(lo), float(hi))

    iso_seen: dict[str, int] = {}
    for i, state in enumerate(states):
        if not isinstance(state, dict):
            continue
        iso = state.get("iso3")
        if isinstance(iso, str):
            if iso in iso_seen:
                add(
                    located.problem(
                        ("states", i, "iso3"),
                        f"iso3 {iso!r} is used twice (also states[{iso_seen[iso]}])",
                    )
                )
            iso_seen.setdefault(iso, i)
        for field in ("position", "salience"):
            values = state.get(field)
            if not isinstance(values, dict):
                continue
            for key in values:
                if key not in issue_names:
                    add(
                        located.problem(
                            ("states", i, field, key),
                            f"unknown issue {key!r} (issues here: {', '.join(issue_names)})",
                            key=True,
                        )
                    )
            for name in issue_names:
                if name not in values:
                    add(
                        located.problem(
                            ("states", i, field),
                            f"no value for issue {name!r} (give one for every issue)",
                        )
                    )
        inactive = state.get("inactive")
        if isinstance(inactive, list):
            for j, name in enumerate(inactive):
                if name not in issue_names:
                    add(
                        located.problem(
                            ("states", i, "inactive", j),
                            f"unknown issue {name!r} (issues here: {', '.join(issue_names)})",
                        )
                    )
        pos = state.get("position")
        if isinstance(pos, dict):
            for key, v in pos.items():
                if key in scale and _is_num(v):
                    lo, hi = scale[key]
                    if not lo <= v <= hi:
                        add(
                            located.problem(
                                ("states", i, "position", key),
                                f"must be between {lo:g} and {hi:g}, got {v}",
                            )
                        )
        sal = state.get("salience")
        if isinstance(sal, dict):
            vals = [v for v in sal.values() if _is_num(v)]
            if vals and sum(vals) > 1 + SALIENCE_TOLERANCE:
                add(
                    located.problem(
                        ("states", i, "salience"),
                        f"saliences sum to {sum(vals):.3g}; they must sum to at most 1 "
                        "(scale them down, e.g. divide each by their sum)",
                    )
                )

    problems.extend(_check_alliances(data.get("alliances"), state_names, located))
    problems.extend(_check_treaties(data, issues, scale, located))
    problems.extend(_check_landscape(data.get("landscape"), state_names, located))
    problems.extend(_check_payoff_params(data.get("parameters"), located))
    crises = data.get("crises") if isinstance(data.get("crises"), dict) else {}
    events = data.get("events") if isinstance(data.get("events"), list) else []
    for name, crisis in crises.items():
        if isinstance(crisis, dict) and isinstance(crisis.get("changes"), list):
            for j, change in enumerate(crisis["changes"]):
                problems.extend(
                    check_change(
                        change, ("crises", name, "changes", j), state_names, scale, located
                    )
                )
    for i, event in enumerate(events):
        if not isinstance(event, dict):
            continue
        crisis = event.get("crisis")
        if crisis is not None and crisis not in crises and crisis not in _builtin_crises():
            known = ", ".join([*crises, *_builtin_crises()])
            add(
                located.problem(
                    ("events", i, "crisis"), f"unknown crisis {crisis!r} (crises here: {known})"
                )
            )
        changes = event.get("changes") if isinstance(event.get("changes"), list) else []
        if crisis is None and not changes:
            add(located.problem(("events", i), "an event needs a crisis or a list of changes"))
        for j, change in enumerate(changes):
            problems.extend(
                check_change(change, ("events", i, "changes", j), state_names, scale, located)
            )
    return problems


def _check_treaties(data: dict, issues: list, scale: dict, located: Located) -> list[Problem]:
    out: list[Problem] = []
    treaties = data.get("treaties")
    if not isinstance(treaties, list):
        return out
    kinds = {}
    for issue in issues:
        if isinstance(issue, dict) and isinstance(issue.get("name"), str):
            kind = issue.get("kind") or (
                issue["name"] if issue["name"] in ("climate", "trade", "security") else "other"
            )
            kinds[issue["name"]] = kind
    out.extend(_duplicate_names(treaties, "treaty", located, plural="treaties"))
    for t, treaty in enumerate(treaties):
        if not isinstance(treaty, dict):
            continue
        names = treaty.get("issues") if isinstance(treaty.get("issues"), list) else []
        for j, issue in enumerate(names):
            if not isinstance(issue, str):
                continue
            if issue not in kinds:
                out.append(
                    located.problem(
                        ("treaties", t, "issues", j),
                        f"unknown issue {issue!r} (issues here: {', '.join(kinds)})",
                    )
                )
            elif kinds[issue] == "other":
                out.append(
                    located.problem(
                        ("treaties", t, "issues", j),
                        f"issue {issue!r} has kind other, which has no payoff model "
                        "(allowed in treaties: issues of kind climate, trade or security)",
                    )
                )
        if len(set(n for n in names if isinstance(n, str))) < len(names):
            out.append(located.problem(("treaties", t, "issues"), "an issue is listed twice"))
        proposal = treaty.get("proposal")
        if isinstance(proposal, dict):
            for issue, v in proposal.items():
                if issue not in names:
                    out.append(
                        located.problem(
                            ("treaties", t, "proposal", issue),
                            f"{issue!r} is not one of this treaty's issues "
                            f"({', '.join(map(str, names))})",
                            key=True,
                        )
                    )
                elif issue in scale and _is_num(v) and not scale[issue][0] <= v <= scale[issue][1]:
                    lo, hi = scale[issue]
                    out.append(
                        located.problem(
                            ("treaties", t, "proposal", issue),
                            f"must be between {lo:g} and {hi:g}, got {v}",
                        )
                    )
    return out


def _check_landscape(land: Any, state_names: list[str], located: Located) -> list[Problem]:
    out: list[Problem] = []
    if not isinstance(land, dict):
        return out
    sizes = land.get("sizes")
    if isinstance(sizes, dict):
        for name, v in sizes.items():
            if name not in state_names:
                out.append(
                    located.problem(
                        ("landscape", "sizes", name),
                        f"unknown state {name!r}" + _hint(str(name), state_names),
                        key=True,
                    )
                )
            elif _is_num(v) and v <= 0:
                out.append(
                    located.problem(("landscape", "sizes", name), f"must be above 0, got {v}")
                )
    props = land.get("propensities")
    if isinstance(props, list):
        sub = _Prefixed(located, ("landscape", "propensities"))
        out.extend(_check_alliances(props, state_names, sub))
    return out


class _Prefixed:
    """Locates paths relative to a sub-list (so alliance checks can run on propensities)."""

    def __init__(self, located: Located, prefix: tuple):
        self.located, self.prefix = located, prefix

    def problem(self, path: tuple, message: str, *, key: bool = False) -> Problem:
        return self.located.problem((*self.prefix, *path[1:]), message, key=key)


def _check_payoff_params(params: Any, located: Located) -> list[Problem]:
    from .treaties import payoff_param_names

    out: list[Problem] = []
    if not isinstance(params, dict) or not isinstance(params.get("payoffs"), dict):
        return out
    allowed = payoff_param_names()
    for kind, values in params["payoffs"].items():
        path = ("parameters", "payoffs", kind)
        if kind not in allowed:
            out.append(
                located.problem(
                    path, f"unknown payoff model {kind!r} (allowed: {', '.join(allowed)})", key=True
                )
            )
            continue
        if not isinstance(values, dict):
            continue
        for name, v in values.items():
            if name not in allowed[kind]:
                out.append(
                    located.problem(
                        (*path, name),
                        f"unknown {kind} parameter (allowed: {', '.join(allowed[kind])})",
                        key=True,
                    )
                )
            elif _is_num(v) and v < 0:
                out.append(located.problem((*path, name), f"must be at least 0, got {v}"))
    return out


def _builtin_crises() -> list[str]:
    from .events import CRISES

    return list(CRISES)


def _check_alliances(alliances: Any, state_names: list[str], located: Located) -> list[Problem]:
    problems: list[Problem] = []
    if not isinstance(alliances, list):
        return problems
    pairs: dict[frozenset, int] = {}
    for i, tie in enumerate(alliances):
        if not isinstance(tie, dict):
            continue
        a, b = tie.get("a"), tie.get("b")
        for end, name in (("a", a), ("b", b)):
            if isinstance(name, str) and name not in state_names:
                problems.append(
                    located.problem(
                        ("alliances", i, end), f"unknown state {name!r}" + _hint(name, state_names)
                    )
                )
        if isinstance(a, str) and a == b:
            problems.append(
                located.problem(("alliances", i, "b"), "a state cannot ally with itself")
            )
        if isinstance(a, str) and isinstance(b, str):
            key = frozenset((a, b))
            if key in pairs:
                problems.append(
                    located.problem(
                        ("alliances", i),
                        f"the tie {a} - {b} is given twice (also alliances[{pairs[key]}])",
                    )
                )
            pairs.setdefault(key, i)
    return problems


def _hint(name: str, known: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, known, n=1)
    return (
        f" (did you mean {close[0]!r}?)"
        if close
        else f" (states here: {', '.join(known[:8])}{', ...' if len(known) > 8 else ''})"
    )


def check_change(
    change: Any,
    path: tuple,
    state_names: list[str],
    scale: dict[str, tuple[float, float]],
    located: Located,
) -> list[Problem]:
    """A scheduled or crisis change must name known states/issues and carry what its kind needs."""
    if not isinstance(change, dict):
        return []
    out: list[Problem] = []
    kind = change.get("kind")
    state, issue, other, value = (change.get(k) for k in ("state", "issue", "other", "value"))
    mode = change.get("mode", "set")
    if isinstance(state, str) and state not in state_names:
        out.append(
            located.problem(
                (*path, "state"), f"unknown state {state!r}" + _hint(state, state_names)
            )
        )
    if kind in {"salience", "position", "join", "leave"}:
        if issue is None:
            out.append(located.problem(path, f"a {kind} change needs an issue"))
        elif isinstance(issue, str) and issue not in scale:
            out.append(
                located.problem(
                    (*path, "issue"), f"unknown issue {issue!r} (issues: {', '.join(scale)})"
                )
            )
    if kind == "tie":
        if other is None:
            out.append(located.problem(path, "a tie change needs the other state (other:)"))
        elif isinstance(other, str) and other not in state_names:
            out.append(
                located.problem(
                    (*path, "other"), f"unknown state {other!r}" + _hint(other, state_names)
                )
            )
    if kind in {"capability", "salience", "position", "tie"} and value is None:
        out.append(located.problem(path, f"a {kind} change needs a value"))
    if _is_num(value) and mode == "set":
        if kind == "salience" and not 0 <= value <= 1:
            out.append(located.problem((*path, "value"), f"must be between 0 and 1, got {value}"))
        if kind == "tie" and not -1 <= value <= 1:
            out.append(located.problem((*path, "value"), f"must be between -1 and 1, got {value}"))
        if kind == "capability" and value <= 0:
            out.append(located.problem((*path, "value"), f"must be above 0, got {value}"))
        if kind == "position" and isinstance(issue, str) and issue in scale:
            lo, hi = scale[issue]
            if not lo <= value <= hi:
                out.append(
                    located.problem(
                        (*path, "value"), f"must be between {lo:g} and {hi:g}, got {value}"
                    )
                )
    if _is_num(value) and mode == "scale" and value < 0:
        out.append(
            located.problem((*path, "value"), f"a scale factor must be at least 0, got {value}")
        )
    return out


def derive_capabilities(scenario, located: Located | None):
    """Fill indicators from states.csv by iso3, and capability from indicators where not given.

    Rule (``parameters.capability_rule``, weights w): capability_i = 100 * sum_f w_f * v_if /
    sum_j v_jf over the scenario's states j, for each indicator f (GDP, military spending,
    population). A share-based index in the spirit of the COW CINC score. A state needing a
    derived capability must have every indicator whose weight is above 0.
    """
    ref = reference_indicators()
    problems: list[Problem] = []
    states = list(scenario.states)
    filled = []
    from .scenario import Indicators

    for s in states:
        if s.indicators is None and s.iso3 is not None and s.iso3 in ref:
            s = s.model_copy(update={"indicators": Indicators(**ref[s.iso3], source="states.csv")})
        filled.append(s)
    rule = scenario.parameters.capability_rule
    weights = {
        "gdp_usd_billions": rule.gdp,
        "military_usd_billions": rule.military,
        "population_millions": rule.population,
    }
    need = [i for i, s in enumerate(filled) if s.capability is None]
    if need:
        if sum(weights.values()) <= 0:
            for i in need:
                problems.append(
                    _p(
                        located,
                        ("states", i, "capability"),
                        "is missing and parameters.capability_rule has all weights 0 "
                        "(give a capability above 0)",
                    )
                )
        totals = {}
        for f, w in weights.items():
            if w > 0:
                vals = [getattr(s.indicators, f) if s.indicators else None for s in filled]
                totals[f] = sum(v for v in vals if v)
        for i in need:
            s = filled[i]
            missing = [
                f
                for f, w in weights.items()
                if w > 0 and (s.indicators is None or getattr(s.indicators, f) is None)
            ]
            if missing:
                hint = "give capability: (a number above 0)"
                if s.iso3 is None:
                    hint += ", or an iso3 code found in states.csv"
                problems.append(
                    _p(
                        located,
                        ("states", i, "capability"),
                        f"is missing and cannot be derived: no {', '.join(missing)} "
                        f"for {s.name} ({hint})",
                    )
                )
                continue
            cap = 100.0 * sum(
                w * getattr(s.indicators, f) / totals[f]
                for f, w in weights.items()
                if w > 0 and totals[f] > 0
            )
            if not cap > 0:
                problems.append(
                    _p(
                        located,
                        ("states", i, "capability"),
                        f"derives to {cap} for {s.name}; give a capability above 0",
                    )
                )
                continue
            filled[i] = s.model_copy(update={"capability": cap})
    if problems:
        return scenario, problems
    return scenario.model_copy(update={"states": filled}), []


def _p(located: Located | None, path: tuple, message: str) -> Problem:
    if located is None:
        from .yamlio import dotted

        return Problem("<scenario>", 0, 0, dotted(path), message)
    return located.problem(path, message)
