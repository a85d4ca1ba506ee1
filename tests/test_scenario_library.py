"""The bundled scenario library, its teaching notes, and the student's path (new + explain)."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from sim.errors import ScenarioError
from sim.reference_data import STATES_CSV
from sim.runner import run_scenario
from sim.scenario import load_scenario
from sim.student import explain, new_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
FILES = sorted(SCENARIOS.glob("*.yaml"))
LARGE = {"un193"}
NEW = [
    "g20_climate",
    "cop_small_islands",
    "trade_round",
    "europe_security",
    "multipolar_summit",
    "pandemic_response",
    "europe1936",
    "un193",
]
TEACHING = (
    "what_is_it",
    "how_it_works",
    "things_to_notice",
    "things_to_try",
    "questions_for_debrief",
    "sources",
)
INDICATOR_COLUMNS = {
    "population_millions": "population_millions",
    "gdp_usd_billions": "gdp_nominal_usd_billions",
    "co2_mt": "co2_fossil_mt",
    "military_usd_billions": "military_expenditure_usd_billions",
}
PAYOFF_KINDS = {"climate", "trade", "security"}


def _params(names):
    return [
        pytest.param(p, id=p.stem, marks=[pytest.mark.slow] if p.stem in LARGE else [])
        for p in FILES
        if p.stem in names
    ]


def _csv_rows() -> dict[str, dict[str, str]]:
    with STATES_CSV.open(newline="", encoding="utf-8") as fh:
        return {r["iso3"]: r for r in csv.DictReader(fh)}


def test_library_has_the_new_scenarios():
    stems = {p.stem for p in FILES}
    assert set(NEW) <= stems


@pytest.mark.parametrize("path", _params({p.stem for p in FILES}))
def test_scenario_validates_and_runs(path):
    scenario = load_scenario(path)
    result = run_scenario(scenario, rounds=20)
    rounds = result.tables["rounds"]
    assert 1 <= int(rounds["round"].max()) <= 20
    assert not result.tables["positions"].empty
    kinds = {(i.kind or i.name) for i in scenario.issues}
    summits = scenario.parameters.summit_every
    ran = int(rounds["round"].max())
    if summits and ran >= summits:
        assert not result.tables["blocs"].empty, "summits ran but no blocs were recorded"
        if kinds & PAYOFF_KINDS or scenario.treaties:
            assert not result.tables["treaties"].empty, "summits ran but no treaty was recorded"


@pytest.mark.parametrize("path", _params({p.stem for p in FILES}))
def test_indicators_equal_states_csv(path):
    rows = _csv_rows()
    scenario = load_scenario(path)
    checked = 0
    for s in scenario.states:
        if s.iso3 is None or s.iso3 not in rows:
            continue
        assert s.indicators is not None, f"{s.name}: no indicators"
        for field, col in INDICATOR_COLUMNS.items():
            cell = rows[s.iso3][col].strip()
            value = getattr(s.indicators, field)
            if cell:
                assert value == float(cell), f"{path.stem} {s.name} {field}: {value} != {cell}"
            else:
                assert value is None, f"{path.stem} {s.name} {field}: states.csv has no value"
        checked += 1
    if path.stem in NEW and path.stem != "europe1936":
        assert checked > 0


@pytest.mark.parametrize("path", _params({p.stem for p in FILES}))
def test_indicators_written_in_the_file(path):
    """The file stands alone: indicators are in the YAML, not only filled in at load time."""
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    rows = _csv_rows()
    for s in data["states"]:
        if s.get("iso3") in rows:
            assert "indicators" in s, f"{path.stem} {s['name']}: indicators not copied"


@pytest.mark.parametrize("path", _params({p.stem for p in FILES}))
def test_teaching_notes_complete(path):
    teaching = load_scenario(path).teaching
    assert teaching is not None, f"{path.stem} has no teaching notes"
    for part in TEACHING:
        assert getattr(teaching, part).strip(), f"{path.stem}: teaching.{part} is empty"


def test_un193_has_all_members_and_is_reproducible(tmp_path):
    scenario = load_scenario(SCENARIOS / "un193.yaml")
    assert len(scenario.states) == 193
    assert len({s.iso3 for s in scenario.states}) == 193
    before = (SCENARIOS / "un193.yaml").read_bytes()
    subprocess.run(
        [sys.executable, str(SCENARIOS / "tools" / "make_un193.py")], check=True, cwd=ROOT
    )
    assert (SCENARIOS / "un193.yaml").read_bytes() == before


def test_europe1936_uses_1938_cinc_sizes():
    s = load_scenario(SCENARIOS / "europe1936.yaml")
    assert s.landscape is not None
    assert s.landscape.sizes["Soviet Union"] == 0.164359
    assert s.landscape.sizes["Germany"] == 0.154222
    assert len(s.states) == 17
    assert "1938" in s.landscape.note


def test_readme_field_reference_is_current():
    text = (SCENARIOS / "README.md").read_text(encoding="utf-8")
    begin, end = "<!-- BEGIN FIELD REFERENCE -->\n", "<!-- END FIELD REFERENCE -->"
    copy = text.split(begin, 1)[1].split(end, 1)[0]
    out = subprocess.run(
        [sys.executable, "run.py", "schema", "--markdown"],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    assert copy.strip() == out.strip()


# ------------------------------------------------------------------------------ new_scenario


def test_new_scenario_writes_a_commented_valid_copy(tmp_path):
    dest = new_scenario("my_summit", SCENARIOS / "classroom_five.yaml", tmp_path)
    assert dest == tmp_path / "my_summit.yaml"
    text = dest.read_text(encoding="utf-8")
    assert text.splitlines()[0].startswith("# yaml-language-server: $schema=")
    assert text.splitlines()[0].endswith("docs/scenario.schema.json")
    assert "\nname: my_summit\n" in text
    assert "name: classroom_five" not in text
    for section in ("issues", "states", "alliances", "parameters", "teaching"):
        assert f"#   {section}:" in text
        assert f"# -- {section}:" in text
    s = load_scenario(dest)
    assert s.name == "my_summit"
    assert len(s.states) == 5


def test_new_scenario_schema_path_is_relative_in_scenarios_folder(tmp_path):
    from sim.student import _schema_line

    assert _schema_line(SCENARIOS) == "# yaml-language-server: $schema=../docs/scenario.schema.json"


def test_new_scenario_refuses_to_overwrite(tmp_path):
    dest = new_scenario("mine", SCENARIOS / "ec_car_emissions.yaml", tmp_path)
    before = dest.read_text(encoding="utf-8")
    with pytest.raises(ScenarioError, match="already exists"):
        new_scenario("mine", SCENARIOS / "classroom_five.yaml", tmp_path)
    assert dest.read_text(encoding="utf-8") == before


def test_new_scenario_refuses_bad_name(tmp_path):
    with pytest.raises(ScenarioError):
        new_scenario("my summit!", SCENARIOS / "classroom_five.yaml", tmp_path)
    assert not list(tmp_path.iterdir())


def test_new_scenario_removes_an_invalid_copy(tmp_path):
    bad = tmp_path / "src" / "bad.yaml"
    bad.parent.mkdir()
    bad.write_text("name: bad\nissues: []\nstates: []\n", encoding="utf-8")
    with pytest.raises(ScenarioError):
        new_scenario("copy", bad, tmp_path / "out")
    assert not (tmp_path / "out" / "copy.yaml").exists()


# ----------------------------------------------------------------------------------- explain


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "five"
    subprocess.run(
        [
            sys.executable,
            "run.py",
            "run",
            "scenarios/classroom_five.yaml",
            "--rounds",
            "20",
            "--out",
            str(out),
            "--no-report",
        ],
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    return out


def test_explain_tells_the_whole_story(run_dir):
    lines = explain(run_dir)
    text = "\n".join(lines)
    assert lines[0].startswith("The story of this run: 5 states")
    assert "Round 1:" in text
    assert "challenged" in text
    assert "heatwave" in text  # the scheduled event
    assert "How it ended:" in text
    assert "Forecast on climate" in text


def test_explain_covers_treaties_and_blocs(run_dir):
    text = "\n".join(explain(run_dir))
    assert "Summit: the climate treaty" in text
    assert "stayed out" in text or "joined" in text
    assert "Blocs:" in text


def test_explain_one_state(run_dir):
    lines = explain(run_dir, "India")
    text = "\n".join(lines)
    assert "India starts at:" in text
    assert "On climate, India" in text
    for line in lines:
        if line.startswith("  ") and "challenged" in line:
            assert "India" in line
    others = [ln for ln in lines if "Summit:" in ln]
    assert others and all("India" in ln for ln in others)


def test_explain_unknown_state(run_dir):
    with pytest.raises(KeyError):
        explain(run_dir, "Atlantis")


def test_explain_does_not_import_mesa(run_dir):
    code = (
        "import sys; from pathlib import Path; from sim.student import explain; "
        f"explain(Path({str(run_dir)!r})); print('mesa' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=ROOT
    )
    assert out.stdout.strip() == "False"
