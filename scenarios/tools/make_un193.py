"""Write ``scenarios/un193.yaml``: all 193 UN member states on climate, trade and security.

Run from the repository root::

    .venv/bin/python scenarios/tools/make_un193.py

Deterministic: the same inputs always give the same file, byte for byte.

Inputs
------
* Names, ISO3 codes, UN membership and groupings (EU, OECD, G7, G20, BRIC, BASIC, APEC, UN
  region) come from the ``country_converter`` package's own table (``country_data.tsv``). The
  table is read directly with ``keep_default_na=False``: pandas would otherwise read Namibia's
  ISO2 code "NA" as a missing value (the reason ``coco.CountryConverter()`` fails under pandas 3).
* Indicators (population, GDP, CO2, military spending, 2023) come from ``sim/data/states.csv``,
  copied verbatim for the 46 UN members that have a row there (the EU row is not a UN member).

Rule-based choices (modelling rules, not data; all flagged in the YAML)
-----------------------------------------------------------------------
* Capability: omitted, so derived by the default rule (100 x (0.5 GDP share + 0.5 military share)),
  for members with both GDP and military spending in states.csv. Members with GDP but no military
  figure: 100 x GDP share (military share assumed equal to GDP share). Members with no row (or no
  GDP): a flat placeholder, CAP_OECD for OECD members and CAP_OTHER for the rest.
* Positions, saliences and economics: group rules (EU, OECD, APEC, island regions), with the G20
  countries given individual judgments (``G20_JUDGMENT``).
* Alliance ties: EU members, G7, BRIC and BASIC groups, plus a few named rivalries.
"""

from __future__ import annotations

import csv
import json
from importlib.resources import files
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
STATES_CSV = ROOT / "sim" / "data" / "states.csv"
OUT = ROOT / "scenarios" / "un193.yaml"

CAP_OECD = 0.3  # placeholder capability for an OECD member without figures (rule-based)
CAP_OTHER = 0.05  # placeholder capability for any other member without figures (rule-based)
ISLAND_REGIONS = {"Caribbean", "Melanesia", "Micronesia", "Polynesia"}
ISLAND_EXTRA = {"MDV", "MUS", "SYC", "CPV", "STP", "COM", "SGP", "BHR", "MLT"}

#: climate, trade, security ideal points; the same judgments as g20_climate / multipolar_summit.
G20_JUDGMENT = {
    "ARG": (45, 50, 40),
    "AUS": (55, 80, 75),
    "BRA": (70, 55, 35),
    "CAN": (65, 75, 75),
    "CHN": (45, 75, 30),
    "FRA": (85, 70, 75),
    "DEU": (85, 70, 75),
    "IND": (35, 35, 45),
    "IDN": (45, 45, 45),
    "ITA": (80, 70, 70),
    "JPN": (60, 70, 75),
    "MEX": (55, 60, 40),
    "RUS": (20, 35, 15),
    "SAU": (10, 60, 55),
    "ZAF": (45, 55, 40),
    "KOR": (60, 70, 75),
    "TUR": (40, 55, 50),
    "GBR": (80, 65, 85),
    "USA": (55, 40, 70),
}
RIVALRIES = [
    ("USA", "RUS", -0.7, "adversaries since 2022"),
    ("USA", "CHN", -0.5, "strategic rivals"),
    ("GBR", "RUS", -0.7, "adversaries since 2022"),
    ("JPN", "CHN", -0.4, "maritime disputes"),
    ("IND", "PAK", -0.6, "long-standing hostility"),
    ("CHN", "IND", -0.3, "border disputes"),
    ("RUS", "UKR", -1.0, "at war"),
    ("ISR", "IRN", -0.9, "hostile"),
    ("CHN", "RUS", 0.6, "'no limits' partnership"),
    ("CHN", "PAK", 0.5, "close partners"),
    ("USA", "GBR", 0.9, "'special relationship'"),
    ("USA", "JPN", 0.8, "US-Japan alliance"),
    ("USA", "KOR", 0.8, "US-ROK alliance"),
    ("USA", "CAN", 0.8, "NATO, USMCA neighbours"),
    ("USA", "MEX", 0.5, "USMCA neighbours"),
    ("USA", "AUS", 0.7, "ANZUS"),
]
INDICATOR_COLUMNS = [
    ("population_millions", "population_millions"),
    ("gdp_usd_billions", "gdp_nominal_usd_billions"),
    ("co2_mt", "co2_fossil_mt"),
    ("military_usd_billions", "military_expenditure_usd_billions"),
]


def coco_table() -> pd.DataFrame:
    path = files("country_converter") / "country_data.tsv"
    with path.open(encoding="utf-8") as fh:
        d = pd.read_csv(fh, sep="\t", keep_default_na=False, dtype=str)
    un = d[d["UNmember"] != ""].copy()
    return un.sort_values("name_short", kind="stable").reset_index(drop=True)


def states_rows() -> dict[str, dict[str, str]]:
    with STATES_CSV.open(newline="", encoding="utf-8") as fh:
        return {r["iso3"]: r for r in csv.DictReader(fh)}


def q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def groups_of(row: pd.Series) -> list[str]:
    out = []
    for col, label in (
        ("G7", "G7"),
        ("G20", "G20"),
        ("EU", "EU"),
        ("OECD", "OECD"),
        ("BRIC", "BRIC"),
        ("BASIC", "BASIC"),
        ("APEC", "APEC"),
    ):
        if row[col] != "":
            out.append(label)
    return out


def is_island(row: pd.Series) -> bool:
    return row["UNregion"] in ISLAND_REGIONS or row["ISO3"] in ISLAND_EXTRA


def judgments(row: pd.Series, groups: list[str]) -> tuple[dict, dict, dict, str]:
    """Position, salience, economics and the rule used, for one member."""
    iso = row["ISO3"]
    island = is_island(row)
    if iso in G20_JUDGMENT:
        c, t, s = G20_JUDGMENT[iso]
        rule = "G20 judgment"
    else:
        c, t, s = 60, 50, 40
        rule = "base"
        if "OECD" in groups:
            c, t, s, rule = 65, 70, 60, "OECD rule"
        if "APEC" in groups:
            t, rule = max(t, 70), rule + " + APEC trade"
        if "EU" in groups:
            c, t, s, rule = 85, 75, 65, "EU rule"
        if island:
            c, rule = 95, rule + " + island climate"
    sal = (0.6, 0.2, 0.1) if island else (0.3, 0.35, 0.3)
    vul = 3.0 if island else (1.0 if "OECD" in groups else 1.5)
    pos = {"climate": c, "trade": t, "security": s}
    salience = {"climate": sal[0], "trade": sal[1], "security": sal[2]}
    econ = {"vulnerability": vul}
    return pos, salience, econ, rule


def build() -> str:
    un = coco_table()
    ref = states_rows()
    gdp_total = sum(
        float(ref[i]["gdp_nominal_usd_billions"])
        for i in un["ISO3"]
        if i in ref and ref[i]["gdp_nominal_usd_billions"].strip()
    )
    lines = [
        "# yaml-language-server: $schema=../docs/scenario.schema.json",
        "# GENERATED by scenarios/tools/make_un193.py: edit the script, not this file,",
        "# and rerun it. All 193 UN member states (country_converter's UN membership table).",
        "# Indicators are copied from sim/data/states.csv where it has a row; capability,",
        "# positions, saliences, economics and ties elsewhere are RULE-BASED (see the",
        "# script's docstring and each state's description).",
        "name: un193",
        "title: " + q("United Nations: all 193 member states on three issues"),
        "description: >",
        "  Every UN member state bargains over climate ambition, trade liberalisation and a",
        "  collective-security arrangement. Only 46 members have real 2023 figures in states.csv;",
        "  the rest get rule-based capabilities and group-based positions, flagged in each state's",
        "  description. A stress test of the model and a picture of the whole world, not a",
        "  forecast.",
        "sources:",
        "  - "
        + q(
            "Members, names and groupings: country_converter (coco) package, country_data.tsv "
            "(UNmember, EU, OECD, G7, G20, BRIC, BASIC, APEC, UNregion columns)."
        ),
        "  - "
        + q(
            "Indicators: diplomesa sim/data/states.csv (World Bank WDI 2023; Global Carbon Budget "
            "2024 via OWID; SIPRI 2023), copied for the 46 members with a row. "
            "See sim/data/SOURCES.md."
        ),
        "  - "
        + q(
            f"Rule-based, not real: capability for members without GDP and military figures "
            f"(GDP only: 100 x GDP share; no figures: {CAP_OECD} for OECD members, {CAP_OTHER} "
            "otherwise); positions, saliences, vulnerability and ties from group rules and "
            "judgments."
        ),
        "seed: 1945",
        "issues:",
        "  - name: climate",
        "    kind: climate",
        '    low: "0: no collective emissions cut"',
        '    high: "100: deep, binding collective cut"',
        "  - name: trade",
        "    kind: trade",
        '    low: "0: keep every tariff"',
        '    high: "100: remove all tariffs among signatories"',
        "  - name: security",
        "    kind: security",
        '    low: "0: no collective-security commitment"',
        '    high: "100: a binding mutual-security pact"',
        "states:",
    ]
    n_rule = 0
    names: dict[str, str] = {}
    for _, row in un.iterrows():
        iso = row["ISO3"]
        name = row["name_short"]
        names[iso] = name
        groups = groups_of(row)
        pos, sal, econ, rule = judgments(row, groups)
        r = ref.get(iso)
        ind = None
        if r is not None:
            parts = [f"{k}: {r[c]}" for k, c in INDICATOR_COLUMNS if r[c].strip()]
            ind = "{" + ", ".join([*parts, "source: states.csv"]) + "}"
            if r["co2_fossil_mt"].strip() and r["gdp_nominal_usd_billions"].strip():
                cost = 2 * float(r["co2_fossil_mt"]) / float(r["gdp_nominal_usd_billions"])
                econ["abatement_cost"] = max(0.2, round(cost, 2))
        has_gdp = r is not None and r["gdp_nominal_usd_billions"].strip() != ""
        has_mil = r is not None and r["military_expenditure_usd_billions"].strip() != ""
        cap = None
        if has_gdp and not has_mil:
            cap = round(100 * float(r["gdp_nominal_usd_billions"]) / gdp_total, 6)
            capnote = "capability RULE-BASED: 100 x GDP share (no SIPRI figure)"
        elif not has_gdp:
            cap = CAP_OECD if "OECD" in groups else CAP_OTHER
            capnote = "capability RULE-BASED placeholder (no figures in states.csv)"
        else:
            capnote = "capability derived from GDP and military spending"
        n_rule += cap is not None
        label = ", ".join(groups) or "no listed grouping"
        desc = f"{label}; {row['UNregion']}; {capnote}; positions: {rule}"
        lines.append(f"  - name: {q(name)}")
        lines.append(f"    iso3: {iso}")
        lines.append(f"    description: {q(desc)}")
        if cap is not None:
            lines.append(f"    capability: {cap}")
        if ind is not None:
            lines.append(f"    indicators: {ind}")
        lines.append("    position: {" + ", ".join(f"{k}: {v}" for k, v in pos.items()) + "}")
        lines.append("    salience: {" + ", ".join(f"{k}: {v}" for k, v in sal.items()) + "}")
        lines.append("    economics: {" + ", ".join(f"{k}: {v}" for k, v in econ.items()) + "}")
    ties: dict[tuple[str, str], tuple[float, str]] = {}

    def group_ties(col: str, weight: float, note: str) -> None:
        members = [i for i, v in zip(un["ISO3"], un[col], strict=True) if v != ""]
        for a_i, a in enumerate(members):
            for b in members[a_i + 1 :]:
                ties[(a, b) if a < b else (b, a)] = (weight, note)

    group_ties("EU", 0.5, "EU members")
    group_ties("BRIC", 0.3, "BRIC(S) founders")
    group_ties("BASIC", 0.4, "BASIC climate group")
    group_ties("G7", 0.7, "G7 partners")
    for a, b, w, note in RIVALRIES:
        ties[(a, b) if a < b else (b, a)] = (w, note)
    lines.append("# Ties: EU 0.5, BRIC 0.3, BASIC 0.4, G7 0.7, then named rivalries and alliances.")
    lines.append("alliances:")
    for (a, b), (w, note) in sorted(ties.items()):
        lines.append(f"  - {{a: {q(names[a])}, b: {q(names[b])}, weight: {w}, note: {q(note)}}}")
    lines += [
        "# Local search for blocs beyond 22 states (exhaustive search is impossible at N = 193).",
        "parameters:",
        "  rounds: 20",
        "  summit_every: 5",
        "  alliance_influence: 0.2",
        "  blocs: {enabled: true, exhaustive_max: 22, starts: 16}",
        "teaching:",
    ]
    teaching = {
        "what_is_it": (
            "The whole United Nations: all 193 member states bargain over climate ambition, "
            "trade liberalisation and a collective-security arrangement. Only 46 of them have "
            "real 2023 figures in the bundled data; for the others the file uses simple, stated "
            "rules, so "
            "treat it as a picture of how the model behaves at world scale, not as a forecast."
        ),
        "how_it_works": (
            "Every round, on each issue, each state weighs challenging every other state, "
            "counting on support weighted by capability, salience and alliance ties; challenged "
            "states give in, compromise or resist. Every 5 rounds a treaty is offered on each "
            "issue "
            "and each state joins if it is better off inside. Blocs are found by local search. "
            "The file was written by scenarios/tools/make_un193.py from the country_converter "
            "package's membership table and states.csv; each state's description says which rule "
            f"set its capability and positions ({n_rule} capabilities are rule-based)."
        ),
        "things_to_notice": (
            "How much do the 150 or so small states with placeholder capabilities move the "
            "forecasts compared with the G20? Which treaty attracts the most members? Do the "
            "island states, with climate as their top issue, pull climate ambition up? How do the "
            "blocs split the world?"
        ),
        "things_to_try": (
            "Change CAP_OTHER in the script (for example to 0.005 or 0.5), regenerate and rerun: "
            "how much do the results depend on this placeholder? Set alliance_influence to 0. "
            "Give every island state a capability of 1 (one state, one vote)."
        ),
        "questions_for_debrief": (
            "What does the model need to know about a state to say anything about it? Is a "
            "world of 193 voices more like a parliament or like a market? Which of the rules used "
            "here for missing data would you change, and why?"
        ),
        "sources": (
            "Members and groupings: country_converter (coco). Indicators: sim/data/states.csv "
            "(World Bank WDI 2023; Global Carbon Budget 2024 via OWID; SIPRI 2023). Bargaining: "
            "Bueno de Mesquita (1994); Scholz, Calbert and Smith (2011). Rule-based values are "
            "the authors' modelling choices, not data."
        ),
    }
    for key, text in teaching.items():
        lines.append(f"  {key}: {q(text)}")
    return "\n".join(lines) + "\n"


def main() -> None:
    text = build()
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")  # noqa: T201


if __name__ == "__main__":
    main()
