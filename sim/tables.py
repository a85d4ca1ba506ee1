"""Stakeholder tables: the CSV layout of published expected-utility studies and KTAB.

One row per actor: the actor's name first, then capability (header ``Capability``, ``Influence``,
``Resources``, ``Power`` or ``Clout``, any case), ``Position`` and ``Salience``; other columns
(``Description``, ``Notes``, ...) are kept as the actor's description or ignored. Salience given on
0-100 (any value above 1) is rescaled to 0-1. KTAB's two-line header is accepted too: a first line
``scenario name,description,...`` above the column headers. The table becomes a one-issue,
bargaining-only scenario (no summits); its issue axis is 0-100, or wider if the positions are.
"""

from __future__ import annotations

import csv
import io
import math
import re

from .errors import Problem, ScenarioError
from .scenario import Scenario

CAPABILITY_HEADERS = {"capability", "influence", "resources", "power", "clout"}
POSITION_RE = re.compile(r"^(position|pos)(\s*(dim)?\s*\d+)?$")
SALIENCE_RE = re.compile(r"^(salience|sal)(\s*(dim)?\s*\d+)?$")
DESCRIPTION_HEADERS = {"description", "desc", "notes", "note"}


def _norm(cell: str) -> str:
    return " ".join(cell.strip().lower().split())


def _header_kinds(row: list[str]) -> dict[str, list[int]]:
    kinds: dict[str, list[int]] = {
        "capability": [],
        "position": [],
        "salience": [],
        "description": [],
    }
    for j, cell in enumerate(row):
        c = _norm(cell)
        if c in CAPABILITY_HEADERS:
            kinds["capability"].append(j)
        elif POSITION_RE.match(c):
            kinds["position"].append(j)
        elif SALIENCE_RE.match(c):
            kinds["salience"].append(j)
        elif c in DESCRIPTION_HEADERS:
            kinds["description"].append(j)
    return kinds


def _number(cell: str) -> float | None:
    try:
        v = float(cell.strip())
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def parse_table(text: str, file: str) -> Scenario:
    """Read a stakeholder table; every problem is reported at once with line and column."""
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), dialect))
    except csv.Error as exc:
        raise ScenarioError.single(
            file, f"not a readable CSV table ({exc}); save it as comma-separated text"
        ) from None
    lines = [(i + 1, r) for i, r in enumerate(rows) if any(c.strip() for c in r)]
    problems: list[Problem] = []

    def prob(line: int, col: int, path: str, msg: str) -> None:
        problems.append(Problem(file, line, col, path, msg))

    if not lines:
        raise ScenarioError.single(file, "the table is empty (see scenarios/README.md, Tables)")
    title, description = "", ""
    header_line, header = lines[0]
    kinds = _header_kinds(header)
    body = lines[1:]
    if not (kinds["capability"] and kinds["position"] and kinds["salience"]) and len(lines) > 1:
        # KTAB: a scenario line above the header line
        second_line, second = lines[1]
        k2 = _header_kinds(second)
        if k2["capability"] and k2["position"] and k2["salience"]:
            title = header[0].strip() if header else ""
            description = header[1].strip() if len(header) > 1 else ""
            header_line, header, kinds, body = second_line, second, k2, lines[2:]
    missing = [k for k in ("capability", "position", "salience") if not kinds[k]]
    if missing:
        allowed = {
            "capability": "Capability, Influence, Resources, Power or Clout",
            "position": "Position",
            "salience": "Salience",
        }
        raise ScenarioError(
            [
                Problem(
                    file,
                    header_line,
                    1,
                    "header",
                    f"no {m} column (expected a header named {allowed[m]}; the first column is "
                    "the actor's name)",
                )
                for m in missing
            ]
        )
    for k in ("capability", "position", "salience"):
        if len(kinds[k]) > 1:
            prob(
                header_line,
                kinds[k][1] + 1,
                "header",
                f"more than one {k} column: a table holds one issue (use a YAML scenario for "
                "several issues)",
            )
    if problems:
        raise ScenarioError(problems)
    cap_j, pos_j, sal_j = kinds["capability"][0], kinds["position"][0], kinds["salience"][0]
    desc_j = kinds["description"][0] if kinds["description"] else None
    if 0 in (cap_j, pos_j, sal_j):
        raise ScenarioError.single(
            file, "the first column must be the actor's name", "header", header_line, 1
        )
    actors = []
    seen: dict[str, int] = {}
    width = max(cap_j, pos_j, sal_j) + 1
    for line, row in body:
        name = row[0].strip() if row else ""
        if not name:
            prob(line, 1, "actor", "the actor's name is empty")
            continue
        if name in seen:
            prob(line, 1, "actor", f"actor {name!r} appears twice (also line {seen[name]})")
            continue
        seen[name] = line
        if len(row) < width:
            prob(line, len(row) + 1, name, f"row has {len(row)} cells; it needs at least {width}")
            continue
        values = {}
        for field, j in (("capability", cap_j), ("position", pos_j), ("salience", sal_j)):
            v = _number(row[j])
            if v is None:
                prob(line, j + 1, f"{name}.{field}", f"must be a finite number, got {row[j]!r}")
            values[field] = v
        if values["capability"] is not None and values["capability"] <= 0:
            prob(line, cap_j + 1, f"{name}.capability", f"must be above 0, got {row[cap_j]}")
        if values["salience"] is not None and not 0 <= values["salience"] <= 100:
            prob(line, sal_j + 1, f"{name}.salience", f"must be 0-1 or 0-100, got {row[sal_j]}")
        desc = row[desc_j].strip() if desc_j is not None and desc_j < len(row) else ""
        actors.append((line, name, values, desc))
    if len(actors) + len([p for p in problems if p.path == "actor"]) < 2 and not problems:
        prob(header_line, 1, "actor", "a table needs at least two actors")
    if problems:
        raise ScenarioError(problems)
    sal = [a[2]["salience"] for a in actors]
    scale = 100.0 if max(sal) > 1 else 1.0
    positions = [a[2]["position"] for a in actors]
    lo, hi = min(0.0, min(positions)), max(100.0, max(positions))
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", file.rsplit("/", 1)[-1].rsplit(".", 1)[0]) or "table"
    data = {
        "name": stem[:80] if stem[0].isalnum() else f"t{stem}"[:80],
        "title": title or stem,
        "description": description
        or f"Stakeholder table {file}: one issue, bargaining only"
        + (" (salience rescaled from 0-100)" if scale == 100 else ""),
        "sources": [file],
        "issues": [{"name": "issue", "kind": "other", "min": lo, "max": hi}],
        "states": [
            {
                "name": name,
                "capability": v["capability"],
                "description": desc,
                "position": {"issue": v["position"]},
                "salience": {"issue": v["salience"] / scale},
            }
            for _, name, v, desc in actors
        ],
        "parameters": {"summit_every": 0},
    }
    try:
        return Scenario.model_validate(data)
    except Exception as exc:  # any residual check (e.g. name length) reported plainly
        raise ScenarioError.single(file, f"cannot use this table: {exc}") from None
