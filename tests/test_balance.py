"""Alliance update, structural balance (Cartwright & Harary 1956) and triad dynamics (AKR 2005)."""

from __future__ import annotations

import numpy as np
import pytest
from generators_treaties import symmetric_matrices
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import balance
from sim.balance import (
    AllianceParams,
    triad_dynamics,
    two_cliques,
    unbalanced_triads,
    unbalanced_triads_reference,
    update_alliances,
)


def two_hostile_cliques(n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """Complete signed graph: states < k friends, states >= k friends, hostile across."""
    side = np.arange(n) >= k
    sign = np.where(side[:, None] == side[None, :], 1.0, -1.0)
    mag = np.triu(rng.uniform(0.1, 1.0, (n, n)), 1)
    a = sign * (mag + mag.T)
    np.fill_diagonal(a, 0.0)
    return a


# ------------------------------------------------------------------ update


@settings(max_examples=50, deadline=None)
@given(symmetric_matrices(min_n=2), st.integers(0, 2**32 - 1))
def test_update_stays_symmetric_bounded_with_zero_diagonal(a, seed):
    rng = np.random.default_rng(seed)
    n = a.shape[0]
    c = rng.integers(0, 3, (n, n))
    lost = np.triu(rng.random((n, n)) < 0.3, 1)
    new = update_alliances(a, np.zeros((n, n)), c + c.T, (lost | lost.T).astype(float))
    np.testing.assert_array_equal(new, new.T)
    assert np.all(np.abs(new) <= 1) and np.all(np.diag(new) == 0)


def test_update_formula_and_defaults():
    a = np.array([[0, 0.5, -0.2], [0.5, 0, 0.0], [-0.2, 0.0, 0]])
    base = np.array([[0, 0.1, 0.0], [0.1, 0, -0.5], [0.0, -0.5, 0]])
    comember = np.array([[0, 1, 0], [1, 0, 0], [0, 0, 0]])
    lost = np.array([[0, 0, 1], [0, 0, 0], [1, 0, 0]])
    new = update_alliances(a, base, comember, lost)
    p = AllianceParams()
    assert (p.strengthen, p.weaken, p.decay) == (0.05, 0.05, 0.02)
    assert new[0, 1] == pytest.approx(0.5 + 0.05 + 0.02 * (0.1 - 0.5))
    assert new[0, 2] == pytest.approx(-0.2 - 0.05 + 0.02 * (0.0 + 0.2))
    assert new[1, 2] == pytest.approx(0.02 * -0.5)
    full = update_alliances(
        np.full((2, 2), 0.99), np.ones((2, 2)), np.full((2, 2), 5), np.zeros((2, 2))
    )
    assert full[0, 1] == 1.0


def test_ties_decay_to_baseline():
    rng = np.random.default_rng(0)
    a = np.triu(rng.uniform(-1, 1, (5, 5)), 1)
    base = np.triu(rng.uniform(-1, 1, (5, 5)), 1)
    a, base = a + a.T, base + base.T
    zero = np.zeros((5, 5))
    for _ in range(2000):
        a = update_alliances(a, base, zero, zero)
    np.testing.assert_allclose(a, base, atol=1e-12)


def test_update_errors():
    z = np.zeros((3, 3))
    with pytest.raises(ValueError, match=r"baseline must have shape \(3, 3\)"):
        update_alliances(z, np.zeros((2, 2)), z, z)
    with pytest.raises(ValueError, match="A must be a square"):
        update_alliances(np.zeros((3, 2)), z, z, z)
    with pytest.raises(ValueError, match="decay must be between 0 and 1"):
        update_alliances(z, z, z, z, decay=1.5)
    with pytest.raises(ValueError, match="strengthen must be >= 0"):
        update_alliances(z, z, z, z, strengthen=-0.1)


# ------------------------------------------------------------------ structural balance


@pytest.mark.parametrize(("n", "k"), [(6, 3), (9, 2), (10, 10), (7, 0)])
def test_two_hostile_cliques_are_balanced_and_recovered(n, k):
    rng = np.random.default_rng(n + k)
    a = two_hostile_cliques(n, k, rng)
    assert unbalanced_triads(a) == 0
    # permute states: the cliques are still found
    perm = rng.permutation(n)
    cliques = two_cliques(a[np.ix_(perm, perm)])
    groups = {frozenset(perm[cliques.first].tolist()), frozenset(perm[cliques.second].tolist())}
    expected = {frozenset(range(min(k, n))), frozenset(range(k, n))}
    assert groups - {frozenset()} == expected - {frozenset()}
    assert 0 in cliques.first
    np.testing.assert_array_equal(np.flatnonzero(cliques.side), cliques.second)


def test_one_negative_triangle_counts():
    a = np.array([[0, 1, 1], [1, 0, -1], [1, -1, 0]], float)
    assert unbalanced_triads(a) == 1
    assert unbalanced_triads(-a) == 0  # + - -: balanced
    assert unbalanced_triads(-np.abs(a)) == 1  # all hostile: unbalanced
    a[1, 2] = a[2, 1] = 0.05
    assert unbalanced_triads(a, eps=0.1) == 0  # the weak tie is absent


@settings(max_examples=60, deadline=None)
@given(symmetric_matrices(max_n=14), st.sampled_from([0.0, 0.3]))
def test_matrix_count_agrees_with_triple_loop(a, eps):
    assert unbalanced_triads(a, eps) == unbalanced_triads_reference(a, eps)


@settings(max_examples=60, deadline=None)
@given(symmetric_matrices(min_n=1, max_n=30), st.sampled_from([-1.0, 0.0, 0.3]), st.booleans())
def test_both_product_paths_count_the_same(a, eps, einsum):
    """einsum for small N, BLAS float32 beyond: exact integer counts either way."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(balance, "EINSUM_MAX_WORK", 2**40 if einsum else 0)
        assert unbalanced_triads(a, eps) == unbalanced_triads_reference(a, eps)


@pytest.mark.parametrize("n", [1, 2, 3, 12])
def test_triad_count_of_degenerate_graphs(n):
    assert unbalanced_triads(np.zeros((n, n))) == 0
    hostile = -np.ones((n, n))  # every triangle all-negative: unbalanced
    np.fill_diagonal(hostile, 0.0)
    assert unbalanced_triads(hostile) == n * (n - 1) * (n - 2) // 6
    assert unbalanced_triads(-hostile) == 0  # all friends
    assert unbalanced_triads(hostile, eps=1.0) == 0  # no tie stronger than eps


def test_two_cliques_errors():
    a = np.array([[0, 1, 1], [1, 0, -1], [1, -1, 0]], float)
    with pytest.raises(ValueError, match="not balanced"):
        two_cliques(a)
    a[1, 2] = a[2, 1] = 0
    with pytest.raises(ValueError, match="complete signed graph"):
        two_cliques(a)
    with pytest.raises(ValueError, match="must be symmetric"):
        unbalanced_triads(np.triu(np.ones((3, 3)), 1))


# ------------------------------------------------------------------ triad dynamics


@settings(max_examples=30, deadline=None)
@given(symmetric_matrices(min_n=3, max_n=12, zero_prob=0.0), st.floats(0, 1), st.integers(0, 99))
def test_triad_dynamics_flips_signs_only_and_reaches_balance(a, p, seed):
    result = triad_dynamics(a, p, np.random.default_rng(seed), steps=2_000)
    np.testing.assert_allclose(np.abs(result.A), np.abs(a))
    np.testing.assert_array_equal(result.A, result.A.T)
    changed = np.sign(result.A) != np.sign(a)
    assert result.flips >= changed.sum() // 2
    assert result.balanced == (unbalanced_triads(result.A) == 0)
    if result.balanced:
        two_cliques(result.A)  # a complete balanced graph splits into two cliques


def test_triad_dynamics_counts_steps_and_is_seeded():
    rng = np.random.default_rng(5)
    a = np.triu(rng.uniform(-1, 1, (30, 30)), 1)
    a = a + a.T
    first = triad_dynamics(a, 0.4, np.random.default_rng(1), steps=25)
    again = triad_dynamics(a, 0.4, np.random.default_rng(1), steps=25)
    assert first.flips == 25 and not first.balanced
    np.testing.assert_array_equal(first.A, again.A)
    assert triad_dynamics(a, 0.4, np.random.default_rng(1), steps=0).flips == 0


def test_friendly_dynamics_ends_in_paradise():
    # p = 1 in AKR's model: unbalanced triads only ever gain friendly ties; a complete graph
    # ends all-positive or in two cliques; either way balanced
    rng = np.random.default_rng(2)
    a = np.triu(rng.uniform(-1, 1, (20, 20)), 1)
    a = a + a.T
    before = unbalanced_triads(a)
    result = triad_dynamics(a, 1.0, np.random.default_rng(3), steps=100_000)
    assert before > 0 and result.balanced
    assert (np.sign(result.A) >= np.sign(a)).all()  # only negative -> positive moves


def test_triad_dynamics_errors():
    with pytest.raises(ValueError, match="p must be between 0 and 1"):
        triad_dynamics(np.zeros((3, 3)), 1.5, np.random.default_rng(0), 10)
    with pytest.raises(ValueError, match="steps must be >= 0"):
        triad_dynamics(np.zeros((3, 3)), 0.5, np.random.default_rng(0), -1)
