"""Membership game, stability (d'Aspremont et al. 1983) and optimal transfers."""

from __future__ import annotations

import numpy as np
import pytest
from generators_treaties import issue_games
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import coalitions
from sim.coalitions import (
    Switch,
    in_out,
    largest_stable_coalition,
    membership_game,
    membership_game_reference,
    optimal_transfers,
    potentially_internally_stable,
    stability,
    stable_coalitions,
)
from sim.payoffs import ClimateGame, ClubParams, PackageGame, SecurityGame, TradeGame, TradeParams


def all_sets(n: int) -> np.ndarray:
    codes = np.arange(2**n)
    return ((codes[:, None] >> np.arange(n)) & 1).astype(bool)


def brute_flags(fn, m: np.ndarray, atol: float = 1e-9) -> tuple[bool, bool]:
    """Internal and external stability straight from the definitions (ties favour joining)."""
    base = fn(m)
    internal, external = True, True
    for i in range(len(m)):
        x = m.copy()
        x[i] = not m[i]
        other = fn(x)
        if m[i] and other[i] > base[i] + atol:
            internal = False
        if not m[i] and other[i] >= base[i] - atol:
            external = False
    return internal, external


def random_instance(n: int, seed: int):
    rng = np.random.default_rng(seed)
    gdp = rng.lognormal(0, 1, n)
    a = np.triu(rng.uniform(-1, 1, (n, n)), 1)
    climate = ClimateGame(rng.uniform(0.01, 0.2, n), rng.uniform(0.5, 2, n), 60)
    trade = TradeGame(gdp, rng.uniform(0, 100, n), 70)
    security = SecurityGame(gdp, rng.uniform(0, 1, n), a + a.T)
    return climate, trade, security, PackageGame((climate, trade, security), gdp)


# ------------------------------------------------------------------ membership game


@settings(max_examples=40, deadline=None)
@given(issue_games(min_n=1, max_n=12), st.integers(0, 2**32 - 1), st.booleans())
def test_fast_game_equals_reference(game, seed, start_full):
    initial = np.full(game.n, start_full)
    fast = membership_game(game, game.n, np.random.default_rng(seed), initial)
    ref = membership_game_reference(game, game.n, np.random.default_rng(seed), initial)
    assert np.array_equal(fast.members, ref.members)
    assert fast.switches == ref.switches
    assert (fast.settled, fast.iterations) == (ref.settled, ref.iterations)


@pytest.mark.parametrize("seed", range(4))
def test_fast_game_equals_reference_on_larger_instances(seed):
    for game in random_instance(40, seed):
        fast = membership_game(game, 40, np.random.default_rng(seed))
        ref = membership_game_reference(game, 40, np.random.default_rng(seed))
        assert np.array_equal(fast.members, ref.members)
        assert fast.switches == ref.switches


@settings(max_examples=40, deadline=None)
@given(issue_games(), st.integers(0, 2**32 - 1))
def test_settled_outcome_is_stable(game, seed):
    result = membership_game(game, game.n, np.random.default_rng(seed))
    if result.settled:
        assert stability(game, result.members).stable
    replay = np.zeros(game.n, bool)
    for switch in result.switches:
        assert replay[switch.state] != switch.joined
        replay[switch.state] = switch.joined
    assert np.array_equal(replay, result.members)


def test_same_seed_same_result_and_plain_callables_work():
    climate = random_instance(15, 1)[0]

    def plain(m):
        return climate(m)

    a = membership_game(plain, 15, np.random.default_rng(7))
    b = membership_game(climate, 15, np.random.default_rng(7))
    assert np.array_equal(a.members, b.members) and a.switches == b.switches


def test_cycling_game_hits_the_cap():
    def matching_pennies(m):
        # state 0 wants to match state 1, state 1 wants to differ: no pure equilibrium
        same = float(m[0] == m[1])
        return np.array([same, 1.0 - same])

    result = membership_game(matching_pennies, 2, np.random.default_rng(0), max_iter=7)
    assert not result.settled
    assert result.iterations == 7
    assert all(isinstance(s, Switch) for s in result.switches) and result.switches


def loop_result(game, n, seed, initial=None, max_iter=100):
    """The membership game with the plain one-state-at-a-time sweep (no vectorised scans)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(coalitions, "_sweep_scan", coalitions._sweep_loop)
        return membership_game(game, n, np.random.default_rng(seed), initial, max_iter)


def assert_same_game(a, b) -> None:
    assert np.array_equal(a.members, b.members)
    assert a.switches == b.switches
    assert (a.settled, a.iterations) == (b.settled, b.iterations)


@settings(max_examples=80, deadline=None)
@given(
    issue_games(min_n=1, max_n=40),
    st.integers(0, 2**32 - 1),
    st.sampled_from([None, False, True]),
    st.sampled_from([0, 1, 3, 16]),
)
def test_vectorised_sweeps_make_the_same_decisions(game, seed, start, run):
    initial = None if start is None else np.full(game.n, start)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(coalitions, "_SCALAR_RUN", run)
        fast = membership_game(game, game.n, np.random.default_rng(seed), initial)
    assert_same_game(fast, loop_result(game, game.n, seed, initial))


@pytest.mark.parametrize("proposal", [0.0, 100.0])
def test_vectorised_sweeps_with_indifferent_states(proposal):
    """Zero gains everywhere (ties favour joining) and zero ambition (a treaty without bite)."""
    n = 25
    trade = TradeGame(np.ones(n), np.full(n, proposal), proposal, TradeParams(0.0, 0.6, 0.0))
    climate = ClimateGame(np.full(n, 0.1), np.ones(n), proposal)
    for game in (trade, climate, PackageGame((climate, trade), np.ones(n), ClubParams(0.0))):
        fast = membership_game(game, n, np.random.default_rng(2))
        assert_same_game(fast, loop_result(game, n, 2))
        assert_same_game(fast, membership_game_reference(game, n, np.random.default_rng(2)))


@pytest.mark.parametrize("seed", range(3))
def test_vectorised_sweeps_at_un_scale(seed):
    for game in random_instance(193, seed):
        fast = membership_game(game, 193, np.random.default_rng(seed))
        assert_same_game(fast, loop_result(game, 193, seed))


def test_trackers_without_gains_use_the_plain_sweep():
    class GainOnly:
        def __init__(self, inner):
            self.inner = inner

        def gain(self, i):
            return self.inner.gain(i)

        def flip(self, i):
            self.inner.flip(i)

    class Plain:
        """A game whose tracker has gain/flip only (the Tracker protocol before gains)."""

        def __init__(self, game):
            self.game = game

        def __call__(self, m):
            return self.game(m)

        def tracker(self, m):
            return GainOnly(self.game.tracker(m))

    game = random_instance(30, 1)[1]
    fast = membership_game(Plain(game), 30, np.random.default_rng(4))
    assert_same_game(fast, loop_result(game, 30, 4))


def test_membership_game_errors():
    game = ClimateGame(np.ones(3), np.ones(3))
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="n must be >= 1"):
        membership_game(game, 0, rng)
    with pytest.raises(ValueError, match="max_iter must be >= 1"):
        membership_game(game, 3, rng, max_iter=0)
    with pytest.raises(ValueError, match="members must have length N=3"):
        membership_game(game, 3, rng, initial=np.ones(4, bool))
    with pytest.raises(ValueError, match="incremental=True needs a game"):
        membership_game(lambda m: m.astype(float), 3, rng, incremental=True)


# ------------------------------------------------------------------ stability


@pytest.mark.parametrize("seed", range(6))
def test_stability_flags_agree_with_brute_force_on_all_coalitions(seed):
    n = 4 + seed % 5  # 4..8
    for game in random_instance(n, seed):
        for m in all_sets(n):
            s = stability(game, m)
            assert (s.internally_stable, s.externally_stable) == brute_flags(game, m)


def test_stability_reports_leaver_and_joiner():
    game = ClimateGame(np.ones(6), np.ones(6))
    m = np.array([1, 1, 1, 1, 0, 0], bool)  # k = 4: a member gains by leaving
    s = stability(game, m)
    assert not s.internally_stable
    assert s.leaver in {0, 1, 2, 3} and s.leave_gain == pytest.approx(1.5)  # (k-1)(k-3)/2
    assert s.joiner in {4, 5} and s.join_gain < 0
    p_in, p_out = in_out(lambda x: game(x), m)  # the generic path
    np.testing.assert_allclose(p_in, s.payoff_in)
    np.testing.assert_allclose(p_out, s.payoff_out)
    nobody = stability(game, np.zeros(6, bool))
    assert nobody.leaver is None and nobody.internally_stable and not nobody.externally_stable
    everybody = stability(game, np.ones(6, bool))
    assert everybody.joiner is None and everybody.externally_stable


# ------------------------------------------------------------------ transfers

#: Asymmetric climate instance for the transfers check (Carraro, Eyckmans & Finus 2006).
T_B = np.array([1.9, 1.5, 1.2, 0.9, 0.6, 0.4, 0.3, 0.2])
T_G = np.array([0.6, 1.0, 1.4, 0.8, 1.8, 1.2, 0.7, 1.5])


def test_transfers_sustain_larger_stable_coalitions():
    game = ClimateGame(T_B, T_G)
    plain = largest_stable_coalition(game, 8)
    with_transfers = largest_stable_coalition(game, 8, transfers=True)
    assert plain is not None and with_transfers is not None
    assert with_transfers.sum() > plain.sum()
    assert plain.sum() == 2 and with_transfers.sum() == 4
    # the larger coalition is not internally stable without transfers, but is with them
    assert not stability(game, with_transfers).internally_stable
    assert potentially_internally_stable(game, with_transfers)
    p_in, p_out = in_out(game, with_transfers)
    t = optimal_transfers(p_in, p_out, with_transfers)
    assert np.all(t.payoffs[with_transfers] >= p_out[with_transfers] - 1e-12)


@settings(max_examples=50, deadline=None)
@given(issue_games(), st.integers(0, 2**32 - 1), st.booleans())
def test_transfers_balance_and_guarantee_outside_options(game, seed, weighted):
    rng = np.random.default_rng(seed)
    m = rng.random(game.n) < 0.6
    p_in, p_out = in_out(game, m)
    share = rng.uniform(0.1, 1, game.n) if weighted else None
    t = optimal_transfers(p_in, p_out, m, share)
    assert t.transfers.sum() == pytest.approx(0.0, abs=1e-9)
    assert np.all(t.transfers[~m] == 0)
    np.testing.assert_allclose(t.payoffs, np.where(m, p_in + t.transfers, p_out))
    assert t.surplus == pytest.approx((p_in - p_out)[m].sum())
    if t.potentially_internally_stable:
        assert np.all(t.payoffs[m] >= p_out[m] - 1e-9)


def test_stable_coalitions_in_symmetric_case_with_and_without_transfers():
    game = ClimateGame(np.ones(6), np.ones(6))
    for transfers in (False, True):
        found = stable_coalitions(game, 6, transfers=transfers)
        assert set(found.sizes.tolist()) == {3}
        assert len(found.coalitions) == 20  # C(6, 3)


def test_transfer_errors():
    m = np.array([True, False])
    with pytest.raises(ValueError, match=r"must have shape \(2,\)"):
        optimal_transfers(np.zeros(3), np.zeros(2), m)
    with pytest.raises(ValueError, match="share must be a non-negative array"):
        optimal_transfers(np.zeros(2), np.zeros(2), m, share=-np.ones(2))
    with pytest.raises(ValueError, match="share must be positive for at least one member"):
        optimal_transfers(np.zeros(2), np.zeros(2), m, share=np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"n must be 1\.\.16"):
        stable_coalitions(ClimateGame(np.ones(17), np.ones(17)), 17)
