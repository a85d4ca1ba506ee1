"""Issue payoffs: published checks (Barrett 1994), linkage pattern (Nordhaus 2015), invariants."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import numpy as np
import pytest
from generators_treaties import issue_games
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import payoffs
from sim.coalitions import membership_game, stability
from sim.payoffs import (
    ISSUE_GAMES,
    ClimateGame,
    ClimateParams,
    ClubParams,
    IssueKind,
    PackageGame,
    SecurityGame,
    SecurityParams,
    TradeGame,
    TradeParams,
    climate_abatement,
    climate_payoff,
    club_payoff,
    gravity,
    issue_payoff,
    security_payoff,
    trade_payoff,
)

DOC = Path(__file__).resolve().parents[1] / "docs" / "model.md"


def first_k(n: int, k: int) -> np.ndarray:
    m = np.zeros(n, dtype=bool)
    m[:k] = True
    return m


def test_doctests():
    assert doctest.testmod(payoffs, raise_on_error=True).attempted > 0


# ------------------------------------------------------------------ climate: Barrett's checks


@pytest.mark.parametrize("n", [5, 10, 50, 100])
def test_symmetric_climate_internal_stability_iff_k_between_1_and_3(n):
    game = ClimateGame(np.ones(n), np.ones(n))
    for k in range(1, n + 1):
        internal = stability(game, first_k(n, k)).internally_stable
        assert internal == ((k - 1) * (k - 3) <= 0), k


@pytest.mark.parametrize("n", [5, 10, 50, 100])
def test_symmetric_climate_external_stability_iff_k_at_least_2(n):
    game = ClimateGame(np.ones(n), np.ones(n))
    for k in range(1, n):
        external = stability(game, first_k(n, k), prefer_membership=False).externally_stable
        assert external == (k >= 2), k


@pytest.mark.parametrize("n", [5, 10, 50, 100])
def test_symmetric_climate_unique_stable_size_is_three(n):
    game = ClimateGame(np.full(n, 0.7), np.full(n, 1.3))  # any common b, g
    stable = [k for k in range(1, n + 1) if stability(game, first_k(n, k)).stable]
    assert stable == [3]
    result = membership_game(game, n, np.random.default_rng(n))
    assert result.settled and result.size == 3


@pytest.mark.parametrize("n", [5, 10, 50, 100])
def test_symmetric_climate_abatement_at_three_is_n_plus_6_over_n_squared(n):
    b, g = np.ones(n), np.ones(n)
    at_three = climate_abatement(first_k(n, 3), b, g).sum()
    full = climate_abatement(np.ones(n, bool), b, g).sum()
    assert at_three / full == pytest.approx((n + 6) / n**2)


def test_climate_nash_abatement_and_zero_ambition_is_nash():
    rng = np.random.default_rng(3)
    b, g = rng.uniform(0.1, 2, 7), rng.uniform(0.5, 2, 7)
    m = rng.random(7) < 0.5
    np.testing.assert_allclose(climate_abatement(m, b, g, proposal=0), b / g)
    np.testing.assert_allclose(climate_abatement(~m, b, g, proposal=100)[m], (b / g)[m])
    # full ambition: members abate B_S / g_j, the joint optimum
    np.testing.assert_allclose(climate_abatement(m, b, g)[m], b[m].sum() / g[m])


def test_climate_grand_coalition_maximises_world_payoff():
    rng = np.random.default_rng(4)
    b, g = rng.uniform(0.1, 2, 6), rng.uniform(0.5, 2, 6)
    grand = climate_payoff(np.ones(6, bool), b, g).sum()
    for code in range(2**6):
        m = ((code >> np.arange(6)) & 1).astype(bool)
        assert climate_payoff(m, b, g).sum() <= grand + 1e-12


def test_climate_scales_convert_inputs():
    b, g = np.array([1.0, 2.0]), np.array([1.0, 4.0])
    scaled = climate_payoff(np.ones(2, bool), b, g, 50, ClimateParams(2.0, 3.0))
    np.testing.assert_allclose(scaled, climate_payoff(np.ones(2, bool), 2 * b, 3 * g, 50))


# ------------------------------------------------------------------ trade and security


def test_gravity_is_symmetric_with_zero_diagonal_and_documented_total():
    gdp = np.array([5.0, 3.0, 2.0])
    t = gravity(gdp, openness=0.5)
    y = gdp / gdp.sum()
    np.testing.assert_allclose(t, t.T)
    assert np.all(np.diag(t) == 0)
    assert t.sum() == pytest.approx(100 * 0.5 * (1 - (y**2).sum()))


def test_trade_payoff_formula_and_outsiders_zero():
    gdp, ideal = np.array([4.0, 3.0, 2.0, 1.0]), np.array([100.0, 50.0, 0.0, 80.0])
    m = np.array([True, True, False, True])
    p = trade_payoff(m, gdp, ideal, proposal=80, params=TradeParams(0.05, 0.6, 0.05))
    y = gdp / gdp.sum()
    flows = 100 * 0.6 * np.outer(y, y)
    expect_0 = 0.05 * (flows[0, 1] + flows[0, 3]) - 0.05 * 100 * y[0] * 0.2**2
    assert p[0] == pytest.approx(expect_0)
    assert p[2] == 0.0
    # a member at its ideal point has no adjustment cost
    assert p[3] == pytest.approx(0.05 * (flows[3, 0] + flows[3, 1]))


def test_security_payoff_formula_and_hostility():
    cap = np.array([3.0, 1.0, 1.0])
    threat = np.array([0.8, 0.5, 0.2])
    a = np.array([[0, -0.5, 0.4], [-0.5, 0, 0], [0.4, 0, 0]])
    m = np.array([True, True, False])
    p = security_payoff(m, cap, threat, a, SecurityParams(burden=0.5, hostility=0.5))
    assert p[0] == pytest.approx(0.8 * 4 / 5 - 0.5 * 3 / 5 - 0.5 * 0.5)
    assert p[1] == pytest.approx(0.5 * 4 / 5 - 0.5 * 1 / 5 - 0.5 * 0.5)
    assert p[2] == 0.0
    friendly = security_payoff(m, cap, threat, np.abs(a))
    assert np.all(friendly[m] > p[m])


# ------------------------------------------------------------------ generic properties


@settings(max_examples=60, deadline=None)
@given(issue_games(), st.data())
def test_in_out_agrees_with_recomputation(game, data):
    n = game.n
    m = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    p_in, p_out = game.in_out(m)
    for i in range(n):
        x = m.copy()
        x[i] = True
        assert p_in[i] == pytest.approx(game(x)[i], abs=1e-9)
        x[i] = False
        assert p_out[i] == pytest.approx(game(x)[i], abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(issue_games(), st.integers(0, 2**32 - 1))
def test_tracker_gains_follow_flips(game, seed):
    rng = np.random.default_rng(seed)
    m = rng.random(game.n) < 0.5
    tracker = game.tracker(m)
    for i in rng.integers(0, game.n, 3 * game.n).tolist():
        tracker.flip(i)
        m[i] = ~m[i]
        p_in, p_out = game.in_out(m)
        gains = np.array([tracker.gain(j) for j in range(game.n)])
        np.testing.assert_allclose(gains, p_in - p_out, atol=1e-9)


@settings(max_examples=80, deadline=None)
@given(issue_games(min_n=1, max_n=30), st.integers(0, 2**32 - 1))
def test_vectorised_tracker_gains_are_the_scalar_gains_bit_for_bit(game, seed):
    """``gains()`` lets the membership game skip ahead; it must decide exactly as ``gain(i)``."""
    rng = np.random.default_rng(seed)
    tracker = game.tracker(rng.random(game.n) < 0.5)
    for i in rng.integers(0, game.n, 2 * game.n + 1).tolist():
        scalar = np.array([tracker.gain(j) for j in range(game.n)])
        np.testing.assert_array_equal(tracker.gains(), scalar)
        tracker.flip(i)


@pytest.mark.parametrize("seed", range(20))
def test_vectorised_gains_of_a_three_issue_package_with_tariff(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 15))
    gdp = rng.lognormal(0, 1, n)
    a = np.triu(rng.uniform(-1, 1, (n, n)), 1)
    parts = (
        ClimateGame(rng.uniform(0, 2, n), rng.uniform(0.3, 3, n), rng.uniform(0, 100)),
        TradeGame(gdp, rng.uniform(0, 100, n), rng.uniform(0, 100)),
        SecurityGame(gdp, rng.uniform(0, 1, n), a + a.T),
    )
    tracker = PackageGame(parts, gdp, ClubParams(penalty_tariff=0.05)).tracker(rng.random(n) < 0.5)
    for i in rng.integers(0, n, 3 * n).tolist():
        scalar = np.array([tracker.gain(j) for j in range(n)])
        np.testing.assert_array_equal(tracker.gains(), scalar)
        tracker.flip(i)


def test_package_tracker_asks_parts_without_gains_state_by_state():
    rng = np.random.default_rng(0)
    n = 7
    climate = ClimateGame(rng.uniform(0.05, 2, n), rng.uniform(0.3, 3, n), 40)
    trade = TradeGame(rng.lognormal(0, 1, n), rng.uniform(0, 100, n), 70)
    tracker = PackageGame((climate, trade), rng.lognormal(0, 1, n)).tracker(rng.random(n) < 0.5)

    class NoGains:
        def __init__(self, inner):
            self.inner = inner

        def gain(self, i):
            return self.inner.gain(i)

        def flip(self, i):
            self.inner.flip(i)

    expected = tracker.gains()
    tracker.parts[0] = NoGains(tracker.parts[0])
    np.testing.assert_array_equal(tracker.gains(), expected)


# ------------------------------------------------------------------ Nordhaus climate club

#: 12 asymmetric states: 3 large economies, 9 smaller ones (GDP, any unit), vulnerability b
#: and abatement cost slope g (see docs/model.md, "climate club test instance").
CLUB_GDP = np.array([25, 18, 17, 5, 4, 3.5, 3, 2.5, 2, 1.5, 1, 0.8])
CLUB_B = np.array([70, 56, 42, 84, 49, 35, 105, 63, 28, 77, 42, 21]) / 1000
CLUB_G = np.array([1, 1.2, 0.8, 1.5, 1, 0.9, 2, 1.1, 0.7, 1.3, 0.8, 0.6])


def club_size(tariff: float, target: float, seed: int = 0) -> int:
    game = PackageGame(
        (ClimateGame(CLUB_B, CLUB_G, target),), CLUB_GDP, ClubParams(penalty_tariff=tariff)
    )
    result = membership_game(game, 12, np.random.default_rng(seed))
    assert result.settled
    assert stability(game, result.members).stable
    return result.size


def test_club_without_penalty_has_few_members():
    assert club_size(0.0, 50) == 3


@pytest.mark.parametrize("tariff", [0.02, 0.03, 0.05])
def test_small_penalty_tariff_with_moderate_target_brings_most_states_in(tariff):
    size = club_size(tariff, 50)
    assert size > club_size(0.0, 50)
    assert size >= 9  # most of 12


def test_very_high_target_stays_hard_to_sustain():
    assert club_size(0.03, 100) < club_size(0.03, 50)
    assert club_size(0.03, 100) <= 6
    assert club_size(0.0, 100) == 1


def test_club_size_does_not_depend_on_seed_here():
    assert {club_size(0.03, 50, seed) for seed in range(5)} == {9}


def test_club_payoff_wrapper_matches_package():
    m = CLUB_GDP > 3
    game = PackageGame((ClimateGame(CLUB_B, CLUB_G, 50),), CLUB_GDP, ClubParams(0.03))
    np.testing.assert_allclose(
        club_payoff(m, CLUB_B, CLUB_G, CLUB_GDP, 50, ClubParams(0.03)), game(m)
    )
    # outsiders pay tau times their exports to members
    outside = ~m
    loss = 0.03 * (gravity(CLUB_GDP) @ m)
    plain = ClimateGame(CLUB_B, CLUB_G, 50)(m)
    np.testing.assert_allclose(game(m)[outside], (plain - loss)[outside])


# ------------------------------------------------------------------ registry and errors


def test_every_registered_kind_is_documented():
    text = DOC.read_text(encoding="utf-8")
    for kind in ISSUE_GAMES:
        assert re.search(rf"^#+ .*`{kind.value}`", text, re.MULTILINE), kind
    for params in (ClimateParams, TradeParams, SecurityParams, ClubParams):
        for name in params.__dataclass_fields__:
            assert f"`{name}`" in text, (params.__name__, name)


def test_issue_payoff_dispatches_by_kind():
    rng = np.random.default_rng(0)
    m = np.array([True, False, True])
    gdp, ideal = rng.uniform(1, 2, 3), rng.uniform(0, 100, 3)
    np.testing.assert_allclose(
        issue_payoff("trade", m, gdp=gdp, ideal=ideal, proposal=70),
        trade_payoff(m, gdp, ideal, 70),
    )
    np.testing.assert_allclose(
        issue_payoff(IssueKind.CLIMATE, m, vulnerability=gdp, abatement_cost=gdp),
        climate_payoff(m, gdp, gdp),
    )
    assert set(ISSUE_GAMES) == {IssueKind.CLIMATE, IssueKind.TRADE, IssueKind.SECURITY}


def test_issue_payoff_unknown_kind():
    with pytest.raises(ValueError, match="no payoff model for issue kind 'other'"):
        issue_payoff("other", np.ones(2, bool))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: ClimateGame(np.ones(3), np.ones(2)), "abatement_cost must have length N=3"),
        (lambda: ClimateGame(np.ones(3), np.zeros(3)), "abatement_cost must be > 0"),
        (lambda: ClimateGame(-np.ones(3), np.ones(3)), "vulnerability must be >= 0"),
        (lambda: ClimateGame(np.ones(3), np.ones(3), 120), "proposal must be between 0 and 100"),
        (lambda: ClimateGame(np.ones((3, 1)), np.ones(3)), "vulnerability must be a 1-D"),
        (lambda: TradeGame(np.ones(3), np.ones(4)), "ideal must have length N=3"),
        (lambda: SecurityGame(np.ones(3), np.ones(3), np.ones((3, 2))), r"shape \(3, 3\)"),
        (lambda: PackageGame((), np.ones(3)), "at least one component"),
        (lambda: PackageGame((TradeGame(np.ones(2), np.ones(2)),), np.ones(3)), "N=2"),
        (lambda: TradeParams(tariff_gain=-1), "tariff_gain must be >= 0"),
        (lambda: ClimateParams(cost_scale=0), "cost_scale must be > 0"),
        (lambda: SecurityParams(hostility=np.nan), "hostility must be >= 0"),
        (lambda: ClubParams(penalty_tariff=-0.1), "penalty_tariff must be >= 0"),
    ],
)
def test_bad_inputs_raise_clear_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_bad_member_vector():
    game = ClimateGame(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match="members must have length N=3"):
        game(np.ones(4, bool))
    with pytest.raises(ValueError, match="members must be a 1-D array"):
        game(np.ones((3, 1), bool))
