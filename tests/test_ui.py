"""The classroom page's logic without a browser: helpers, uploads, charts, per-session isolation.

The page itself (``sim/ui/app.py``) only wires these to Solara widgets; ``test_browser.py`` drives
it in Chromium.
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from sim.errors import ScenarioError
from sim.scenario import load_scenario
from sim.ui import figures
from sim.ui.server import DEAD_CDN, add_cli, offline_env
from sim.ui.session import (
    Classroom,
    Settings,
    read_upload,
    round_label,
    treaty_rows,
    with_settings,
)
from sim.yamlio import MAX_FILE_BYTES

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
FIVE = SCENARIOS / "classroom_five.yaml"


@pytest.fixture
def room() -> Classroom:
    return Classroom(SCENARIOS, "classroom_five")


def _upload(room: Classroom, name: str, data: bytes) -> bool:
    return room.upload(name, len(data), io.BytesIO(data))


# ------------------------------------------------------------------ pure helpers


def test_round_label_says_round_of_total_and_why_it_stopped():
    model = SimpleNamespace(round=3, max_rounds=20, running=True, converged=False)
    assert round_label(model) == "Round 3 of 20"
    model.running = False
    assert round_label(model) == "Round 3 of 20 (finished)"
    model.converged = True
    assert round_label(model) == "Round 3 of 20 (converged)"
    assert round_label(None) == "No scenario loaded"


@pytest.mark.parametrize(
    ("internal", "external", "settled", "expected"),
    [
        (True, True, False, "stable"),
        (True, True, True, "stable, settled"),
        (True, False, False, "outsiders want in"),
        (False, True, False, "members want out"),
        (False, False, False, "unstable"),
    ],
)
def test_treaty_rows_name_members_and_stability(internal, external, settled, expected):
    t = SimpleNamespace(
        name="climate treaty",
        issues=("climate",),
        members=("China", "India"),
        internally_stable=internal,
        externally_stable=external,
        settled=settled,
    )
    (row,) = treaty_rows([t])
    assert (row.name, row.issues, row.members, row.stability) == (
        "climate treaty",
        "climate",
        "China, India",
        expected,
    )


def test_with_settings_derives_a_new_scenario_and_leaves_the_original():
    base = load_scenario(FIVE)
    s = Settings(seed=7, alliance_influence=1.5, summit_every=2, rounds=9, stop_when_settled=False)
    new = with_settings(base, s)
    p = new.parameters
    assert (new.seed, p.alliance_influence, p.summit_every, p.rounds) == (7, 1.5, 2, 9)
    assert p.convergence.rule == "none"
    assert base.parameters.rounds != 9 or base.seed != 7
    assert Settings.of(base) == Settings.of(load_scenario(FIVE))


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"alliance_influence": 20.0}, "alliance_influence"),
        ({"rounds": 0}, "rounds"),
        ({"seed": -1}, "seed"),
    ],
)
def test_with_settings_rejects_out_of_range_controls(change, match):
    base = load_scenario(FIVE)
    settings = Settings.of(base)
    bad = Settings(**{**settings.__dict__, **change})
    with pytest.raises(ScenarioError, match=match):
        with_settings(base, bad)


# ------------------------------------------------------------------ uploads


def test_read_upload_accepts_a_valid_file_with_the_cli_loader():
    data = FIVE.read_bytes()
    scenario = read_upload("mine.yaml", len(data), io.BytesIO(data))
    assert scenario.name == "classroom_five"


def test_read_upload_rejects_an_oversized_file_without_reading_it():
    class Unreadable(io.BytesIO):
        def read(self, *args):
            raise AssertionError("an oversized upload must not be read")

    with pytest.raises(ScenarioError, match="limit is"):
        read_upload("big.yaml", MAX_FILE_BYTES + 1, Unreadable())


def test_read_upload_reports_problems_with_file_line_and_field():
    text = FIVE.read_text().replace("alliance_influence: 0.2", "alliance_influence: 99")
    data = text.encode()
    with pytest.raises(ScenarioError, match=r"mine\.yaml:\d+:\d+ parameters\.alliance_influence"):
        read_upload("/some/dir/mine.yaml", len(data), io.BytesIO(data))


def test_read_upload_rejects_binary_data():
    data = b"\x00\x01\x02PNG" * 10
    with pytest.raises(ScenarioError, match="binary"):
        read_upload("x.yaml", len(data), io.BytesIO(data))


# ------------------------------------------------------------------ a session


def test_a_session_starts_at_round_zero_with_the_chosen_scenario(room):
    assert room.choice == "classroom_five"
    assert room.label().startswith("Round 0 of")
    assert "classroom_five" in room.names
    assert room.story()[0].startswith("Round 0")
    unknown = Classroom(SCENARIOS, "no_such_scenario")
    assert unknown.choice == unknown.names[0]


def test_step_advances_the_round_counter_and_reset_goes_back(room):
    room.configure(Settings(**{**room.settings.__dict__, "stop_when_settled": False}))
    for _ in range(3):
        assert room.step()
    assert room.label() == f"Round 3 of {room.model.max_rounds}"
    assert room.positions().shape == (4, 5, 3)
    room.reset()
    assert room.model.round == 0


def test_changing_a_control_restarts_at_round_zero(room):
    room.step()
    assert room.configure(Settings(**{**room.settings.__dict__, "rounds": 7}))
    assert room.label() == "Round 0 of 7"


def test_a_fired_crisis_shows_at_once_and_in_the_next_rounds_story(room):
    room.step()
    assert "war" in room.crises()
    fired = room.fire("war")
    assert fired is not None and fired.name == "war"
    assert any(line.startswith("Just fired") and "war" in line for line in room.story())
    room.step()
    assert any(line.startswith("Event 'war'") for line in room.story())
    assert not any(line.startswith("Just fired") for line in room.story())


def test_a_crisis_after_convergence_reopens_the_negotiation(room):
    while room.step():
        pass
    if room.model.round >= room.model.max_rounds:
        pytest.skip("classroom_five ran every round without converging")
    assert room.model.converged and not room.running
    room.fire("pandemic")
    assert room.running
    room.step()
    assert any("pandemic" in line for line in room.story())


def test_an_unknown_crisis_is_an_error_on_the_page_not_an_exception(room):
    assert room.fire("alien_invasion") is None
    assert "alien_invasion" in room.error


def test_two_sessions_never_share_a_model():
    a, b = Classroom(SCENARIOS, "classroom_five"), Classroom(SCENARIOS, "classroom_five")
    assert a.model is not b.model
    a.step()
    a.fire("war")
    assert (a.model.round, b.model.round) == (1, 0)
    assert b.pending == [] and not np.array_equal(
        a.model.alliances.weights, b.model.alliances.weights
    )


def test_a_bad_upload_stays_on_its_own_page_and_keeps_the_model(room):
    other = Classroom(SCENARIOS, "classroom_five")
    room.step()
    before = room.model
    assert not _upload(room, "broken.yaml", b"name: [unclosed\n")
    assert room.error.startswith("Your file was not loaded:")
    assert "broken.yaml:" in room.error
    assert room.model is before and room.model.round == 1
    assert other.error is None


def test_a_good_upload_replaces_the_scenario(room):
    text = FIVE.read_text().replace("name: classroom_five", "name: my_five")
    assert _upload(room, "my_five.yaml", text.encode())
    assert room.choice is None and room.model.spec.name == "my_five"
    assert "uploaded my_five.yaml" in room.source_title()


def test_a_crash_in_one_model_is_an_error_on_that_page_only(room, monkeypatch):
    other = Classroom(SCENARIOS, "classroom_five")

    def boom():
        raise RuntimeError("kaboom")

    monkeypatch.setattr(room.model, "step", boom)
    assert not room.step()
    assert "kaboom" in room.error and "round 1" in room.error
    assert not room.running
    assert other.step() or other.model.round == 1
    assert other.error is None


def test_save_charts_writes_two_pngs_named_by_scenario_seed_and_round(room, tmp_path):
    room.step()
    paths = room.save_charts(tmp_path / "classroom")
    assert [p.name.split("-")[-1] for p in paths] == ["network.png", "positions.png"]
    for p in paths:
        assert p.name.startswith("classroom_five-seed2024-round001-")
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ------------------------------------------------------------------ charts


def test_fixed_layout_is_deterministic_on_the_unit_circle():
    w = load_scenario(SCENARIOS / "g20_climate.yaml")
    from sim.alliances import AllianceNetwork

    base = AllianceNetwork.from_scenario(w).baseline
    a, b = figures.fixed_layout(base), figures.fixed_layout(base.copy())
    assert sorted(a) == list(range(base.shape[0]))
    for i in a:
        np.testing.assert_allclose(a[i], b[i])
        assert np.hypot(*a[i]) == pytest.approx(1.0)


def test_network_figure_draws_allies_solid_and_rivals_dashed(room):
    fig = figures.network_figure(room.model, room.layout)
    ax = fig.axes[0]
    w = room.model.alliances.weights
    upper = w[np.triu_indices_from(w, k=1)]
    ties = [line for line in ax.get_lines() if len(line.get_xdata()) == 2]
    solid = [line for line in ties if line.get_linestyle() == "-"]
    dashed = [line for line in ties if line.get_linestyle() != "-"]
    assert len(solid) == int((upper > 0).sum()) and len(dashed) == int((upper < 0).sum())
    assert {line.get_color() for line in solid} == {figures.ALLY}
    assert {line.get_color() for line in dashed} == {figures.RIVAL}
    assert "round 0" in fig._suptitle.get_text()
    labels = {t.get_text() for t in ax.texts}
    assert set(room.model.state_names) <= labels


def test_node_colours_follow_the_blocs():
    assert figures.node_colours(3, None) == [figures.NO_BLOC] * 3
    assert figures.node_colours(3, np.array([0, 1, 0])) == [
        figures.BLOC_COLOURS[0],
        figures.BLOC_COLOURS[1],
        figures.BLOC_COLOURS[0],
    ]


def test_positions_figure_has_one_panel_per_issue_over_the_whole_run(room):
    room.step()
    fig = figures.positions_figure(room.model, room.positions())
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title(loc="left") for ax in visible] == room.model.issue_names
    assert visible[0].get_xlim() == (0, room.model.max_rounds)
    assert len(visible[0].get_lines()) == len(room.model.state_names)


# ------------------------------------------------------------------ server


def test_offline_env_serves_assets_locally_and_disables_telemetry(tmp_path):
    env = offline_env("classroom_five", save_dir=tmp_path)
    assert env["SOLARA_ASSETS_PROXY"] == "True"
    assert env["SOLARA_ASSETS_CDN"] == DEAD_CDN and DEAD_CDN.startswith("http://127.0.0.1:")
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"
    assert env["SOLARA_MODE"] == "production"
    assert env["SOLARA_APP"] == "sim.ui.app"
    assert env["DIPLOMESA_SCENARIO"] == "classroom_five"
    assert env["DIPLOMESA_UI_SAVE_DIR"] == str(tmp_path.resolve())


def test_serve_cli_binds_localhost_by_default():
    parser = argparse.ArgumentParser()
    add_cli(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["serve"])
    assert (args.host, args.port, args.scenario) == ("127.0.0.1", 8765, None)
    args = parser.parse_args(["serve", "--scenario", "g20_climate", "--host", "0.0.0.0"])
    assert (args.host, args.scenario) == ("0.0.0.0", "g20_climate")


def test_the_page_gives_each_session_its_own_model(monkeypatch):
    """Render the real page twice (two sessions) in-process with Solara's test renderer."""
    solara = pytest.importorskip("solara")
    v = pytest.importorskip("ipyvuetify")
    from sim.ui import app

    monkeypatch.setenv("DIPLOMESA_SCENARIO", "classroom_five")

    def counter(rc) -> str:
        return rc.find(v.Html, class_="round-counter").widget.children[0]

    _, first = solara.render(app.Page(), handle_error=False)
    _, second = solara.render(app.Page(), handle_error=False)
    assert counter(first) == counter(second) == "Round 0 of 20"
    first.find(v.Btn, children=["Step"]).widget.click()
    assert counter(first) == "Round 1 of 20"
    assert counter(second) == "Round 0 of 20"
    first.find(v.Btn, children=["war"]).widget.click()
    story = [w.unsafe_innerHTML for w in first.find(solara.widgets.HTML).widgets]
    assert any("Just fired" in (html or "") and "war" in html for html in story)
    other = [w.unsafe_innerHTML or "" for w in second.find(solara.widgets.HTML).widgets]
    assert not any("Just fired" in html for html in other)
