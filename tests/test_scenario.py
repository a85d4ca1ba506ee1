"""Scenario files: validation, located errors (file:line:col field: what, allowed), tables."""

from __future__ import annotations

import json
import re

import pytest
from conftest import DATA, ROOT, SCENARIOS, write

from sim.errors import ScenarioError
from sim.scenario import Scenario, load_scenario
from sim.schema import json_schema, markdown_reference

GOOD = """\
name: tiny
issues:
  - name: climate
  - name: trade
states:
  - name: A
    capability: 2
    position: {climate: 10, trade: 50}
    salience: {climate: 0.5, trade: 0.5}
  - name: B
    capability: 1
    position: {climate: 90, trade: 20}
    salience: {climate: 0.3, trade: 0.2}
alliances:
  - {a: A, b: B, weight: 0.5}
"""


def load_text(tmp_path, text, name="s.yaml"):
    return load_scenario(write(tmp_path, name, text))


def errors_of(tmp_path, text, name="s.yaml") -> str:
    with pytest.raises(ScenarioError) as info:
        load_text(tmp_path, text, name)
    return str(info.value)


def test_good_file_loads_frozen(tmp_path):
    s = load_text(tmp_path, GOOD)
    assert s.state_names == ["A", "B"]
    assert s.parameters.rounds == 20 and s.parameters.Q == 1.0
    with pytest.raises(Exception, match="frozen"):
        s.name = "other"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        # 1 out-of-range salience, with line, column and the allowed range
        (
            "salience: {climate: 0.5, trade: 0.5}",
            "salience: {climate: 1.4, trade: 0.5}",
            r"s\.yaml:9:25 states\[0\]\.salience\.climate: must be less than or equal to 1, got 1\.4",
        ),
        # 2 saliences summing above 1
        (
            "salience: {climate: 0.5, trade: 0.5}",
            "salience: {climate: 0.7, trade: 0.5}",
            r"s\.yaml:9:15 states\[0\]\.salience: saliences sum to 1\.2; they must sum to at most 1",
        ),
        # 3 unknown state in an alliance, with a suggestion
        (
            "{a: A, b: B, weight: 0.5}",
            "{a: A, b: Bb, weight: 0.5}",
            r"alliances\[0\]\.b: unknown state 'Bb' \(did you mean 'B'\?\)",
        ),
        # 4 tie weight out of [-1, 1]
        (
            "weight: 0.5}",
            "weight: 1.5}",
            r"alliances\[0\]\.weight: .*got 1\.5 \(allowed: -1 to 1\)",
        ),
        # 5 negative capability
        ("capability: 2", "capability: -2", r"states\[0\]\.capability: must be greater than 0"),
        # 6 position outside the scale
        (
            "position: {climate: 10,",
            "position: {climate: 110,",
            r"states\[0\]\.position\.climate: must be between 0 and 100, got 110",
        ),
        # 7 unknown field (typo), listing what is allowed
        (
            "    capability: 1\n",
            "    capabilty: 1\n",
            r"states\[1\]\.capabilty: unknown field \(allowed: name, iso3, capability",
        ),
        # 8 missing issue value for a state
        (
            "position: {climate: 90, trade: 20}",
            "position: {climate: 90}",
            r"states\[1\]\.position: no value for issue 'trade'",
        ),
        # 9 duplicate state names
        ("  - name: B\n", "  - name: A\n", r"state 'A' is defined twice"),
        # 10 duplicate key in a mapping
        (
            "name: tiny\n",
            "name: tiny\nname: again\n",
            r"s\.yaml:2:1 name: duplicate key \(first given on line 1",
        ),
        # 11 a python tag is refused, never executed
        (
            "name: tiny\n",
            "name: !!python/object/apply:os.system ['true']\n",
            r"the YAML tag .*python/object/apply:os\.system' is not allowed",
        ),
        # 12 NaN
        ("capability: 2", "capability: .nan", r"states\[0\]\.capability: must be a finite number"),
        # 13 wrong type
        ("issues:\n", "seed: lots\nissues:\n", r"seed: must be a valid integer"),
        # 14 unknown issue key
        (
            "salience: {climate: 0.3, trade: 0.2}",
            "salience: {climate: 0.3, trad: 0.2}",
            r"states\[1\]\.salience\.trad: unknown issue 'trad'",
        ),
        # 15 bad name pattern
        ("name: tiny", "name: my scenario", r"name: must be 1-80 letters, digits"),
    ],
)
def test_bad_yaml_reports_location_and_rule(tmp_path, old, new, expected):
    assert old in GOOD
    text = errors_of(tmp_path, GOOD.replace(old, new, 1))
    assert re.search(expected, text), text


def test_every_problem_in_one_pass(tmp_path):
    bad = (
        GOOD.replace("capability: 2", "capability: -2")
        .replace("weight: 0.5", "weight: 3")
        .replace("{a: A, b: B", "{a: A, b: C")
    )
    with pytest.raises(ScenarioError) as info:
        load_text(tmp_path, bad)
    paths = {p.path for p in info.value.problems}
    assert {"states[0].capability", "alliances[0].weight", "alliances[0].b"} <= paths
    for p in info.value.problems:
        assert p.line > 0 and p.col > 0 and p.file.endswith("s.yaml")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", r"the file is empty"),
        ("name: [unclosed\n", r"s\.yaml:\d+:\d+: not valid YAML"),
        ("- just\n- a list\n", r"must be a mapping of fields"),
        ("a: &x [*x]\n", r"not valid YAML|nested|expands"),
    ],
)
def test_unusable_yaml(tmp_path, text, expected):
    assert re.search(expected, errors_of(tmp_path, text))


def test_missing_file_and_binary(tmp_path):
    with pytest.raises(ScenarioError, match="file not found"):
        load_scenario(tmp_path / "nope.yaml")
    p = tmp_path / "bin.yaml"
    p.write_bytes(b"name: x\x00\x01\x02")
    with pytest.raises(ScenarioError, match="binary file"):
        load_scenario(p)
    p.write_bytes(b"name: caf\xe9\n")
    with pytest.raises(ScenarioError, match=r"not UTF-8 text: byte 0xe9"):
        load_scenario(p)


def test_capability_derived_from_states_csv(tmp_path):
    text = GOOD.replace("    capability: 2\n", "    iso3: USA\n").replace(
        "    capability: 1\n", "    iso3: CHN\n"
    )
    s = load_text(tmp_path, text)
    usa, chn = s.states
    assert usa.indicators.gdp_usd_billions == 27360.935
    gdp = usa.indicators.gdp_usd_billions + chn.indicators.gdp_usd_billions
    mil = usa.indicators.military_usd_billions + chn.indicators.military_usd_billions
    want = 100 * (0.5 * 27360.935 / gdp + 0.5 * 916.015 / mil)
    assert usa.capability == pytest.approx(want)
    assert usa.capability + chn.capability == pytest.approx(100)


def test_capability_underivable_is_an_error(tmp_path):
    text = GOOD.replace("    capability: 2\n", "")
    assert "states[0].capability: is missing and cannot be derived" in errors_of(tmp_path, text)


# ---------------------------------------------------------------- stakeholder tables


def test_tables_match_yaml_golden_case():
    yaml_case = load_scenario(SCENARIOS / "ec_car_emissions.yaml")
    for name in ("ec_table.csv", "ec_ktab.csv"):
        table = load_scenario(DATA / name)
        assert [s.name for s in table.states] == yaml_case.state_names
        for a, b in zip(table.states, yaml_case.states, strict=True):
            assert a.capability == b.capability
            assert a.salience["issue"] == pytest.approx(b.salience["emissions"])
            assert a.position["issue"] == b.position["emissions"]
        assert table.parameters.summit_every == 0
    assert load_scenario(DATA / "ec_ktab.csv").title == "EC car emissions"


@pytest.mark.parametrize("header", ["Influence", "RESOURCES", "power", "Clout", "capability"])
def test_table_capability_header_synonyms(tmp_path, header):
    p = write(tmp_path, "t.csv", f"Actor,{header},Position,Salience\nA,1,10,0.5\nB,2,60,0.9\n")
    s = load_scenario(p)
    assert [x.capability for x in s.states] == [1, 2]
    assert s.states[1].salience["issue"] == 0.9  # 0-1 salience kept as is


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Actor,Position,Salience\nA,1,2\n", r"t\.csv:1:1 header: no capability column"),
        (
            "Actor,Power,Position,Salience\nA,x,4,80\nB,1,5,5\n",
            r"t\.csv:2:2 A\.capability: must be a finite number, got 'x'",
        ),
        (
            "Actor,Power,Position,Salience\nA,1,4,80\nA,1,5,5\n",
            r"t\.csv:3:1 actor: actor 'A' appears twice",
        ),
        (
            "Actor,Power,Position,Salience\nA,1,4,180\nB,1,5,5\n",
            r"A\.salience: must be 0-1 or 0-100, got 180",
        ),
        ("Actor,Power,Position,Salience\nA,0,4,80\nB,1,5,5\n", r"A\.capability: must be above 0"),
        ("Actor,Power,Position,Salience\nA,1,4\nB,1,5,5\n", r"t\.csv:2:4 A: row has 3 cells"),
        (
            "Actor,Power,Position,Salience\nA,1,nan,5\nB,1,5,5\n",
            r"A\.position: must be a finite number",
        ),
    ],
)
def test_bad_tables(tmp_path, text, expected):
    text_out = errors_of(tmp_path, text, "t.csv")
    assert re.search(expected, text_out), text_out


# ---------------------------------------------------------------- schema and docs


def test_json_schema_is_valid_json_and_complete():
    schema = json_schema()
    assert schema["type"] == "object"
    assert {"issues", "states", "parameters", "events", "alliances"} <= set(schema["properties"])
    json.dumps(schema)


def test_schema_file_for_editors_is_current():
    on_disk = json.loads((ROOT / "docs" / "scenario.schema.json").read_text())
    assert on_disk == json_schema(), "regenerate: python run.py schema > docs/scenario.schema.json"


def test_readme_field_reference_is_current():
    text = (SCENARIOS / "README.md").read_text()
    start, end = "<!-- BEGIN FIELD REFERENCE -->", "<!-- END FIELD REFERENCE -->"
    assert start in text and end in text
    embedded = text.split(start, 1)[1].split(end, 1)[0].strip()
    assert embedded == markdown_reference().strip(), (
        "regenerate the table: python run.py schema --markdown"
    )


def test_every_schema_field_is_documented():
    text = (SCENARIOS / "README.md").read_text()

    def walk(model, prefix=""):
        for name, info in model.model_fields.items():
            yield f"{prefix}{name}"
            from sim.scenario import _unwrap

            inner = _unwrap(info.annotation)
            if isinstance(inner, type) and hasattr(inner, "model_fields"):
                sep = (
                    "[]."
                    if "list[" in str(info.annotation)
                    else (".NAME." if "dict[" in str(info.annotation) else ".")
                )
                yield from walk(inner, f"{prefix}{name}{sep}")

    missing = [f for f in walk(Scenario) if f"`{f}`" not in text]
    assert not missing, missing
