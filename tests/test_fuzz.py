"""Fuzzing the loaders and the model (hypothesis).

1. Random mutations of the bundled scenario files and stakeholder tables, and random bytes: the
   only outcomes of loading are a valid Scenario or a ScenarioError (never another exception,
   never a hang, never code execution).
2. Every valid generated scenario runs 5 rounds with all invariants holding.

A longer campaign (100k examples) is run by ``python tests/fuzz_campaign.py`` and recorded in
docs/reliability.md.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import DATA, SCENARIOS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.errors import ScenarioError
from sim.model import NegotiationModel
from sim.scenario import Scenario, load_scenario
from sim.synthetic import synthetic_scenario

SEEDS = [p for p in sorted(SCENARIOS.glob("*.yaml")) if p.stat().st_size < 60_000] + [
    DATA / "ec_table.csv",
    DATA / "ec_ktab.csv",
]
SNIPPETS = [
    b"\n",
    b": ",
    b"- ",
    b"{",
    b"}",
    b"[",
    b"]",
    b"&a ",
    b"*a",
    b"!!python/object/apply:os.system ['true']",
    b"!!binary AAAA",
    b".nan",
    b"-.inf",
    b"1e309",
    b"-1",
    b"\t",
    b'"',
    b"'",
    b"#",
    b"\x00",
    b"\xff\xfe",
    b"<<: *a",
    b"~",
    b"9999999999999999999999",
    b",",
    b";",
]


@st.composite
def mutated(draw):
    """A bundled file with a few random edits: deletions, insertions, duplications, swaps."""
    path = draw(st.sampled_from(SEEDS))
    data = bytearray(path.read_bytes())
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["delete", "insert", "dup_line", "swap_lines", "byte"]))
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "delete":
            n = draw(st.integers(1, 40))
            del data[pos : pos + n]
        elif op == "insert":
            data[pos:pos] = draw(st.sampled_from(SNIPPETS) | st.binary(max_size=8))
        elif op == "byte" and data:
            data[pos] = draw(st.integers(0, 255))
        else:
            lines = bytes(data).split(b"\n")
            i = draw(st.integers(0, len(lines) - 1))
            j = draw(st.integers(0, len(lines) - 1))
            if op == "dup_line":
                lines.insert(i, lines[j])
            else:
                lines[i], lines[j] = lines[j], lines[i]
            data = bytearray(b"\n".join(lines))
    return path.suffix, bytes(data)


def _load(tmp_path, suffix: str, data: bytes):
    p = tmp_path / f"fuzz{suffix}"
    p.write_bytes(data)
    try:
        return load_scenario(p)
    except ScenarioError as exc:
        assert exc.problems and all(str(q) for q in exc.problems)
        return exc


FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(case=mutated())
def test_mutated_files_load_or_fail_cleanly(tmp_path, case):
    out = _load(tmp_path, *case)
    assert isinstance(out, Scenario | ScenarioError)


@FUZZ
@given(data=st.binary(max_size=2000), suffix=st.sampled_from([".yaml", ".csv"]))
def test_random_bytes_load_or_fail_cleanly(tmp_path, data, suffix):
    out = _load(tmp_path, suffix, data)
    assert isinstance(out, Scenario | ScenarioError)


@FUZZ
@given(text=st.text(max_size=400), suffix=st.sampled_from([".yaml", ".csv"]))
def test_random_text_load_or_fail_cleanly(tmp_path, text, suffix):
    out = _load(tmp_path, suffix, text.encode("utf-8", "surrogatepass"))
    assert isinstance(out, Scenario | ScenarioError)


# ------------------------------------------------------------------ valid scenarios run


@st.composite
def scenarios(draw):
    n = draw(st.integers(2, 14))
    s = synthetic_scenario(
        n,
        seed=draw(st.integers(0, 10_000)),
        density=draw(st.sampled_from([0.0, 0.2, 0.6])),
        alliance_influence=draw(st.sampled_from([0.0, 0.3])),
        summit_every=draw(st.integers(0, 3)),
        rounds=5,
    )
    if draw(st.booleans()):  # zero salience somewhere, ties in positions
        states = list(s.states)
        first = states[0]
        states[0] = first.model_copy(update={"salience": dict.fromkeys(first.salience, 0.0)})
        states[1] = states[1].model_copy(update={"position": dict(first.position)})
        s = s.model_copy(update={"states": states})
    return s


@settings(max_examples=40, deadline=None)
@given(scenario=scenarios(), seed=st.integers(0, 2**32 - 1))
def test_every_valid_scenario_runs_with_invariants(scenario, seed):
    m = NegotiationModel(scenario, seed=seed)
    for _ in range(5):
        m.step()
        lo, hi = m.ideal.min(axis=0), m.ideal.max(axis=0)
        assert np.isfinite(m.position).all()
        assert ((m.position >= lo - 1e-9) & (m.position <= hi + 1e-9)).all()
        w = np.asarray(m.alliances.weights)
        assert np.array_equal(w, w.T) and np.abs(w).max() <= 1 and not np.diag(w).any()
        for t in m.treaties:
            assert set(t.members) <= set(m.state_names)
    res = m.result()
    t = res.tables
    rounds = m.round
    assert len(t["positions"]) == (rounds + 1) * m.n * len(m.issue_names)
    for _, grp in t["blocs"].groupby("round"):
        assert sorted(grp["state"]) == sorted(m.state_names)
    assert (t["rounds"]["unbalanced_triads"] >= 0).all()


@pytest.mark.parametrize("path", SEEDS, ids=[p.name for p in SEEDS])
def test_seed_files_are_valid(path):
    assert isinstance(load_scenario(path), Scenario)
