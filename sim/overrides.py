"""Deriving a scenario from another by dotted-path overrides, the way sweeps vary parameters.

A scenario is frozen (STYLE.md rule 3): a sweep never edits one in place. ``apply_overrides``
dumps the scenario, sets each value and validates the result again, so a derived scenario obeys
every rule a scenario file does.

Paths are dotted; list entries are picked by their ``name`` (states, issues, treaties), so a path
reads like the scenario file::

    parameters.alliance_influence
    parameters.summit_every                     (integer fields: the value is rounded)
    states.China.capability
    states.China.salience.climate
    treaties.climate club.penalty_tariff
    treaties.climate club.proposal.climate
    treaties.climate treaty.penalty_tariff      (the default one-per-issue treaties, when the
                                                 scenario names none, are written out first)

Names may contain spaces and dots (``states.St. Lucia.capability`` works: the longest name that
matches wins). A list entry may also be picked by its index (``states.0.capability``).

Capabilities derived from indicators are computed when the base scenario is loaded; overriding
``parameters.capability_rule`` afterwards does not recompute them (vary ``states.X.capability``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .errors import Problem, ScenarioError
from .scenario import Scenario, validate_data
from .yamlio import Located

#: Lists whose entries are picked by name.
NAMED_LISTS = ("states", "issues", "treaties")
#: Mappings keyed by issue name, where an issue not yet given may be set.
ISSUE_KEYED = ("position", "salience", "proposal")


def apply_overrides(
    scenario: Scenario, overrides: Mapping[str, Any], *, source: str = "overrides"
) -> Scenario:
    """A new validated :class:`Scenario` with each ``path: value`` of ``overrides`` applied.

    ``scenario`` is not changed. A path that does not exist raises :class:`ScenarioError` naming
    the path and what exists there; a value the scenario rules refuse (a salience above 1, a
    tariff above 1) raises :class:`ScenarioError` with the field and what is allowed. ``source``
    names the overrides in those messages (e.g. the sweep file).
    """
    if not overrides:
        return scenario
    data = _dump(scenario, overrides)
    problems: list[Problem] = []
    for path, value in overrides.items():
        try:
            _set(data, path, value, scenario)
        except _BadPath as exc:
            problems.append(Problem(source, 0, 0, path, str(exc)))
    if problems:
        raise ScenarioError(problems)
    try:
        return validate_data(Located(data=data, file=source))
    except ScenarioError as exc:
        shown = ", ".join(f"{k} = {v!r}" for k, v in overrides.items())
        raise ScenarioError(
            [
                Problem(source, 0, 0, p.path, f"{p.message} (after overrides {shown})")
                for p in exc.problems
            ]
        ) from None


def check_path(scenario: Scenario, path: str) -> str:
    """Raise :class:`ScenarioError` if ``path`` names nothing in ``scenario``; else return
    ``"int"``, ``"float"`` or ``"other"``, the kind of value found there."""
    data = _dump(scenario, [path])
    try:
        parent, key = _walk(data, _split(path), path, scenario)
    except _BadPath as exc:
        raise ScenarioError.single("overrides", str(exc), path) from None
    current = parent.get(key) if isinstance(parent, dict) else parent[key]
    return _kind(current)


def _dump(scenario: Scenario, paths) -> dict[str, Any]:
    """The scenario as data; the default treaties written out when a path reaches into them."""
    data = scenario.model_dump(mode="json")
    if data.get("treaties") is None and any(str(p).startswith("treaties.") for p in paths):
        from .treaties import default_treaties

        data["treaties"] = [t.model_dump(mode="json") for t in default_treaties(scenario)]
    return data


class _BadPath(Exception):
    pass


def _split(path: str) -> list[str]:
    if not isinstance(path, str) or not path.strip() or path.startswith(".") or ".." in path:
        raise _BadPath("a path is dotted field names, e.g. parameters.alliance_influence")
    return path.split(".")


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "other"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    return "other"


def _walk(data: Any, parts: list[str], path: str, scenario: Scenario) -> tuple[Any, Any]:
    """Follow ``parts`` to the container holding the last key; return (container, key)."""
    node: Any = data
    done: list[str] = []
    i = 0
    while i < len(parts) - 1:
        part = parts[i]
        if isinstance(node, dict):
            if part not in node:
                raise _BadPath(_missing(done, part, list(node)))
            child = node[part]
            if child is None:
                where = ".".join([*done, part])
                raise _BadPath(
                    f"{where} is not set in the base scenario, so nothing under it can be "
                    f"varied; give {where} in the scenario file first"
                )
            done.append(part)
            node = child
            i += 1
        elif isinstance(node, list):
            idx, used = _pick(node, parts[i:], done)
            # The picked name may span several dotted parts ("St. Lucia").
            done.append(".".join(parts[i : i + used]))
            node = node[idx]
            i += used
        else:
            raise _BadPath(f"{'.'.join(done)} is a value, not a group of fields")
    if i != len(parts) - 1:
        raise _BadPath(f"the path ends at a {_what(node)}; name a field inside it")
    last = parts[-1]
    if isinstance(node, dict):
        if last in node and not isinstance(node[last], dict | list):
            return node, last
        if last in node:
            raise _BadPath(
                f"{'.'.join([*done, last])} is a {_what(node[last])}, not a value; "
                f"name a field inside it ({', '.join(_keys(node[last]))})"
            )
        if done and done[-1] in ISSUE_KEYED and last in scenario.issue_names:
            return node, last
        raise _BadPath(_missing(done, last, list(node)))
    if isinstance(node, list):
        raise _BadPath(f"{'.'.join(done)} is a list; name an entry and a field in it")
    raise _BadPath(f"{'.'.join(done)} is a value, not a group of fields")


def _pick(items: list, rest: list[str], done: list[str]) -> tuple[int, int]:
    """Index of the list entry named by the longest prefix of ``rest``, and how many parts."""
    names = [x.get("name") if isinstance(x, dict) else None for x in items]
    for used in range(len(rest) - 1, 0, -1):
        cand = ".".join(rest[:used])
        if cand in names:
            return names.index(cand), used
    if rest[0].isdigit() and int(rest[0]) < len(items):
        return int(rest[0]), 1
    listed = ", ".join(str(n) for n in names if n is not None) or f"0 to {len(items) - 1}"
    where = ".".join(done)
    kind = where.rsplit(".", 1)[-1].rstrip("s") or "entry"
    raise _BadPath(f"{where} has no {kind} named {rest[0]!r} (there are: {listed})")


def _missing(done: list[str], part: str, keys: list) -> str:
    where = ".".join(done) or "the scenario"
    return f"{where} has no field {part!r} (there are: {', '.join(str(k) for k in keys)})"


def _keys(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [str(k) for k in node]
    return [str(x.get("name", i)) if isinstance(x, dict) else str(i) for i, x in enumerate(node)]


def _what(node: Any) -> str:
    return "group of fields" if isinstance(node, dict) else "list"


def _set(data: dict, path: str, value: Any, scenario: Scenario) -> None:
    parent, key = _walk(data, _split(path), path, scenario)
    current = parent.get(key)
    plain = isinstance(value, int | float | str) and not isinstance(value, bool)
    if not plain and not (isinstance(value, bool) and isinstance(current, bool)):
        raise _BadPath(f"the value must be a number or text, got {value!r}")
    if _kind(current) == "int" and isinstance(value, float):
        if not math.isfinite(value):
            raise _BadPath(f"must be a whole number, got {value!r}")
        value = round(value)
    parent[key] = value
