"""The negotiation model and its run folder: golden numbers, records, invariants, determinism."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import SCENARIOS, write
from golden import EC_MEAN, EC_MEDIAN, EC_RISK

from sim.model import NegotiationModel
from sim.runner import run_scenario
from sim.scenario import load_scenario


@pytest.fixture(scope="module")
def ec_result():
    return run_scenario(load_scenario(SCENARIOS / "ec_car_emissions.yaml"))


def test_ec_golden_numbers_from_bundled_scenario(ec_result):
    f = ec_result.tables["forecasts"]
    first = f[f["round"] == 1].iloc[0]
    assert first["weighted_mean"] == pytest.approx(EC_MEAN, abs=1e-12)
    assert first["median"] == EC_MEDIAN
    pos = ec_result.tables["positions"]
    risk = pos[pos["round"] == 1].set_index("state")["risk_exponent"]
    for state, r in EC_RISK.items():
        assert risk[state] == pytest.approx(r, abs=1e-3), state
    assert pos[pos["round"] == 0]["risk_exponent"].isna().all()


def test_records_complete_and_in_range(ec_result):
    t = ec_result.tables
    rounds = int(t["rounds"]["round"].max())
    n, k = 10, 1
    assert len(t["positions"]) == (rounds + 1) * n * k
    assert len(t["forecasts"]) == rounds * k
    assert not t["positions"]["position"].isna().any()
    assert t["positions"]["position"].between(4, 10).all()
    assert set(t["challenges"]["outcome"]) <= {
        "conflict",
        "compromise",
        "capitulation",
        "stalemate",
    }
    assert t["challenges"]["reason"].str.len().gt(40).all()


@pytest.fixture(scope="module")
def classroom():
    return load_scenario(SCENARIOS / "classroom_five.yaml")


def test_multi_issue_invariants(classroom):
    res = run_scenario(classroom, rounds=12)
    pos = res.tables["positions"]
    rounds = int(res.tables["rounds"]["round"].max())
    assert len(pos) == (rounds + 1) * 5 * 3
    for issue in classroom.issue_names:
        ideal = pos[(pos["round"] == 0) & (pos["issue"] == issue)]["position"]
        p = pos[pos["issue"] == issue]["position"]
        assert p.between(ideal.min(), ideal.max()).all()
    assert np.isfinite(pos["position"]).all()


def test_same_seed_same_records_different_seed_may_differ(classroom):
    a = run_scenario(classroom, seed=5, rounds=10)
    b = run_scenario(classroom, seed=5, rounds=10)
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name])


def test_model_is_a_mesa_model_with_thin_agents(classroom):
    import mesa

    m = NegotiationModel(classroom, seed=1)
    assert isinstance(m, mesa.Model)
    assert len(m.agents) == 5
    usa = m.states[0]
    assert usa.name == "United States" and usa.idx == 0
    assert usa.position == {"climate": 45.0, "trade": 40.0, "security": 85.0}
    m.position[0, 0] = 50.0
    assert usa.position["climate"] == 50.0  # a view, not a copy
    assert "European Union" in usa.allies(0.5)
    g = m.alliances.graph
    assert set(g.nodes) == set(range(5)) and g.nodes[0]["name"] == "United States"
    assert g.edges[0, 2]["weight"] == 0.8


def test_convergence_rule_stops_early_when_nothing_moves(tmp_path):
    text = """\
name: still
issues: [{name: x}]
states:
  - {name: A, capability: 1, position: {x: 50}, salience: {x: 0.5}}
  - {name: B, capability: 1, position: {x: 50}, salience: {x: 0.5}}
parameters: {rounds: 10}
"""
    s = load_scenario(write(tmp_path, "s.yaml", text))
    res = run_scenario(s)
    r = res.tables["rounds"]
    assert list(r["round"]) == [1, 2] and bool(r["converged"].iloc[-1])
    assert (r["total_change"] == 0).all()


@pytest.mark.parametrize(
    "states",
    [
        # all actors at one position
        [("A", 1, 50, 0.5), ("B", 2, 50, 0.5), ("C", 3, 50, 0.2)],
        # zero salience everywhere
        [("A", 1, 10, 0.0), ("B", 2, 90, 0.0)],
        # two states, one with zero salience
        [("A", 1, 10, 0.0), ("B", 2, 90, 1.0)],
        # ties in positions and capabilities
        [("A", 1, 10, 0.5), ("B", 1, 10, 0.5), ("C", 1, 90, 0.5), ("D", 1, 90, 0.5)],
    ],
)
def test_degenerate_inputs_run_without_nan(tmp_path, states):
    lines = ["name: degenerate", "issues: [{name: x}]", "states:"]
    for name, cap, pos, sal in states:
        lines.append(
            f"  - {{name: {name}, capability: {cap}, position: {{x: {pos}}}, salience: {{x: {sal}}}}}"
        )
    s = load_scenario(write(tmp_path, "d.yaml", "\n".join(lines) + "\n"))
    res = run_scenario(s, rounds=5)
    pos = res.tables["positions"]
    assert np.isfinite(pos["position"]).all()
    f = res.tables["forecasts"]
    assert np.isfinite(f[["weighted_mean", "median"]].to_numpy()).all()
