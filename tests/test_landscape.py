"""Landscape theory (Axelrod & Bennett 1993): energy, global and local minima, myopic paths."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from generators_treaties import landscapes
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import landscape
from sim.landscape import (
    energy,
    global_minimum,
    global_minimum_reference,
    local_minima,
    local_minima_reference,
    myopic_path,
)


def random_landscape(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = np.triu(rng.uniform(-1, 1, (n, n)), 1)
    return rng.uniform(0.1, 3.0, n), p + p.T


def improving_switch_exists(s, p, x) -> bool:
    e = energy(s, p, x)
    flipped = np.where(np.eye(len(x), dtype=bool), ~x, x)
    return bool(np.any(energy(s, p, flipped) < e - 1e-9))


def as_set(configs: np.ndarray) -> set[tuple[bool, ...]]:
    return {tuple(row.tolist()) for row in configs}


def test_doctests():
    assert doctest.testmod(landscape, raise_on_error=True).attempted > 0


def test_energy_definition_pair_by_pair():
    s, p = random_landscape(6, 0)
    x = np.array([0, 1, 1, 0, 1, 0], bool)
    expected = sum(s[i] * s[j] * p[i, j] for i in range(6) for j in range(i + 1, 6) if x[i] != x[j])
    assert energy(s, p, x) == pytest.approx(expected)
    assert energy(s, p, ~x) == pytest.approx(expected)  # mirror image
    batch = energy(s, p, np.stack([x, ~x, np.zeros(6, bool)]))
    np.testing.assert_allclose(batch, [expected, expected, 0.0])


@settings(max_examples=60, deadline=None)
@given(landscapes(min_n=1, max_n=12))
def test_global_minimum_equals_brute_force(sp):
    s, p = sp
    fast, ref = global_minimum(s, p), global_minimum_reference(s, p)
    assert fast.exhaustive
    assert fast.energy == pytest.approx(ref.energy, abs=1e-9)
    assert energy(s, p, fast.config) == pytest.approx(fast.energy, abs=1e-9)
    assert not fast.config[0]


@pytest.mark.parametrize("n", [13, 17, 18])
def test_global_minimum_across_block_sizes(n):
    # n > 17 walks more than one Gray-code block; compare with a vectorised brute force
    s, p = random_landscape(n, n)
    codes = np.arange(2 ** (n - 1))
    x = np.zeros((len(codes), n), bool)
    x[:, 1:] = (codes[:, None] >> np.arange(n - 1)) & 1
    assert global_minimum(s, p).energy == pytest.approx(energy(s, p, x).min())


def test_two_blocs_of_friends_are_the_global_minimum():
    n = 8
    side = np.arange(n) >= 3
    p = np.where(side[:, None] == side[None, :], 1.0, -1.0)
    np.fill_diagonal(p, 0)
    best = global_minimum(np.ones(n), p)
    np.testing.assert_array_equal(best.config, side)
    assert best.energy == -3 * 5


@settings(max_examples=40, deadline=None)
@given(landscapes(min_n=1, max_n=9))
def test_local_minima_equal_brute_force(sp):
    s, p = sp
    fast, ref = local_minima(s, p), local_minima_reference(s, p)
    assert fast.exhaustive
    assert as_set(fast.configs) == as_set(ref.configs)
    assert len(fast.configs) == len(as_set(fast.configs))  # no duplicates
    np.testing.assert_allclose(np.sort(fast.energies), np.sort(ref.energies), atol=1e-9)


@pytest.mark.parametrize("n", [12, 16])
def test_each_local_minimum_admits_no_improving_switch(n):
    s, p = random_landscape(n, 100 + n)
    found = local_minima(s, p)
    assert len(found.configs) >= 1
    for x, e in zip(found.configs, found.energies, strict=True):
        assert not x[0]
        assert not improving_switch_exists(s, p, x)
        assert energy(s, p, x) == pytest.approx(e)
    assert found.energies[0] == pytest.approx(global_minimum(s, p).energy)
    assert np.all(np.diff(found.energies) >= 0)


def test_local_search_beyond_exhaustive_range():
    s, p = random_landscape(40, 1)
    rng = np.random.default_rng(0)
    found = local_minima(s, p, rng, starts=100)
    assert not found.exhaustive and len(found.configs) >= 1
    for x in found.configs:
        assert not x[0] and not improving_switch_exists(s, p, x)
    best = global_minimum(s, p, np.random.default_rng(0))
    assert not best.exhaustive
    assert best.energy <= found.energies[0] + 1e-9
    assert not improving_switch_exists(s, p, best.config)


def test_local_search_finds_the_exhaustive_minimum_at_moderate_n():
    s, p = random_landscape(16, 7)
    exact = global_minimum(s, p)
    searched = global_minimum(s, p, np.random.default_rng(1), exhaustive=False, starts=400)
    assert searched.energy == pytest.approx(exact.energy)


@settings(max_examples=40, deadline=None)
@given(landscapes(min_n=1, max_n=25), st.integers(0, 2**32 - 1))
def test_myopic_path_descends_to_a_local_minimum(sp, seed):
    s, p = sp
    rng = np.random.default_rng(seed)
    start = rng.random(len(s)) < 0.5
    path = myopic_path(s, p, start, rng)
    np.testing.assert_array_equal(path.configs[0], start)
    assert np.all(np.diff(path.energies) < 0)  # strictly decreasing, hence never increasing
    np.testing.assert_allclose(path.energies, energy(s, p, path.configs), atol=1e-9)
    steps = np.abs(np.diff(path.configs.astype(int), axis=0))
    assert np.all(steps.sum(axis=1) == 1)  # one state at a time
    np.testing.assert_array_equal(np.argmax(steps, axis=1), path.switched)
    assert not improving_switch_exists(s, p, path.configs[-1])


def test_exhaustive_n20_is_fast():
    import time

    s, p = random_landscape(20, 3)
    global_minimum(s, p)
    start = time.perf_counter()
    global_minimum(s, p)
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: energy(np.ones(3), np.zeros((3, 2)), np.zeros(3)), r"shape \(3, 3\)"),
        (lambda: energy(np.ones(3), np.triu(np.ones((3, 3))), np.zeros(3)), "symmetric"),
        (lambda: energy(-np.ones(3), np.zeros((3, 3)), np.zeros(3)), "sizes must be finite"),
        (lambda: energy(np.ones(3), np.zeros((3, 3)), np.zeros(4)), r"config must have shape"),
        (lambda: energy(np.ones(3), np.zeros((3, 3)), np.full(3, 2)), "0/1 or booleans"),
        (lambda: energy(np.ones((3, 1)), np.zeros((3, 3)), np.zeros(3)), "sizes must be"),
        (lambda: global_minimum(np.ones(30), np.zeros((30, 30))), "needs rng"),
        (lambda: local_minima(np.ones(30), np.zeros((30, 30))), "needs rng"),
        (
            lambda: global_minimum(
                np.ones(4), np.zeros((4, 4)), np.random.default_rng(0), exhaustive=False, starts=0
            ),
            "starts must be >= 1",
        ),
        (
            lambda: myopic_path(np.ones(3), np.zeros((3, 3)), np.zeros((2, 3)), None),
            r"config must have shape \(3,\)",
        ),
    ],
)
def test_bad_inputs(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ------------------------------------------------------------------ fast kernels vs references


def integer_landscape(n: int, seed: int, isolated: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Unit sizes and integer propensities: exact fields, many exact ties; some isolated states."""
    rng = np.random.default_rng(seed)
    p = np.triu(rng.integers(-2, 3, (n, n)), 1).astype(float)
    p[:isolated] = 0.0
    p = np.triu(p, 1)
    return np.ones(n), p + p.T


@settings(max_examples=100, deadline=None)
@given(
    st.integers(1, 30),
    st.integers(1, 24),
    st.integers(0, 2**32 - 1),
    st.booleans(),
    st.booleans(),
)
def test_batched_descent_equals_one_row_at_a_time(n, k, seed, ties, einsum):
    s, p = integer_landscape(n, seed, isolated=n // 4) if ties else random_landscape(n, seed)
    w = landscape._weights(s, p)
    x = np.random.default_rng(seed).random((k, n)) < 0.5
    with pytest.MonkeyPatch.context() as mp:
        # both ways of computing the starting fields (einsum for small batches, BLAS beyond)
        mp.setattr(landscape, "EINSUM_MAX_WORK", 2**40 if einsum else 0)
        fast = landscape._descend(w, x, landscape._tol(w))
        ref = landscape._descend_reference(w, x, landscape._tol(w))
    np.testing.assert_array_equal(fast, ref)
    for row in fast:
        assert not improving_switch_exists(s, p, row)


def test_descent_of_degenerate_landscapes():
    for n in (1, 2, 5):
        w = np.zeros((n, n))
        x = np.random.default_rng(n).random((3, n)) < 0.5
        np.testing.assert_array_equal(landscape._descend(w, x, 0.0), x)  # nothing to gain
    s, p = integer_landscape(6, 0, isolated=6)  # no ties at all
    found = local_minima(s, p, np.random.default_rng(0), exhaustive=False, starts=8)
    np.testing.assert_array_equal(found.energies, 0.0)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 13), st.integers(0, 2**32 - 1), st.sampled_from(["float", "ties", "zero"]))
def test_minima_in_the_exhaustive_range_equal_the_separate_searches(n, seed, kind):
    if kind == "float":
        s, p = random_landscape(n, seed)
    else:
        s, p = integer_landscape(n, seed, isolated=n // 3)
        if kind == "zero":
            s[: n // 2] = 0.0
    best, local = landscape.minima(s, p)
    exact, every = global_minimum(s, p), local_minima(s, p)
    assert best.exhaustive and local.exhaustive
    np.testing.assert_array_equal(best.config, exact.config)
    assert best.energy == exact.energy
    np.testing.assert_array_equal(local.configs, every.configs)
    np.testing.assert_array_equal(local.energies, every.energies)


def test_minima_between_the_limits_is_exact_globally_and_searched_locally():
    s, p = random_landscape(12, 3)
    best, local = landscape.minima(
        s, p, np.random.default_rng(0), starts=20, exhaustive_max=14, local_exhaustive_max=10
    )
    assert best.exhaustive and not local.exhaustive
    assert best.energy == global_minimum(s, p).energy
    assert best.energy <= local.energies[0] + 1e-9


@pytest.mark.parametrize("ties", [False, True])
def test_minima_beyond_the_limits_share_one_multistart(ties):
    n, starts = 40, 32
    s, p = integer_landscape(n, 5, isolated=8) if ties else random_landscape(n, 5)
    rng = np.random.default_rng(9)
    best, local = landscape.minima(s, p, rng, starts=starts)
    assert not best.exhaustive and not local.exhaustive
    np.testing.assert_array_equal(best.config, local.configs[0])
    assert best.energy == local.energies[0]
    # one (starts, N) block drawn, whatever the outcome
    after = np.random.default_rng(9)
    after.random((starts, n))
    assert rng.random() == after.random()
    # the same as local_minima with the same generator, and every row a local minimum
    again = local_minima(s, p, np.random.default_rng(9), starts=starts)
    np.testing.assert_array_equal(local.configs, again.configs)
    for x, e in zip(local.configs, local.energies, strict=True):
        assert not x[0] and not improving_switch_exists(s, p, x)
        assert energy(s, p, x) == pytest.approx(e, abs=1e-9)
    tol = landscape._tol(landscape._weights(s, p))
    assert np.all(np.diff(local.energies) >= -tol)
    if ties:  # exactly tied minima (isolated states) come in lexicographic order
        e = local.energies
        tied = np.flatnonzero(np.abs(np.diff(e)) <= tol)
        assert len(tied)
        for i in tied:
            a, b = local.configs[i], local.configs[i + 1]
            first = np.flatnonzero(a != b)[0]
            assert not a[first] and b[first]


def test_minima_needs_rng_beyond_the_exhaustive_range():
    s, p = random_landscape(30, 0)
    with pytest.raises(ValueError, match="local search needs rng"):
        landscape.minima(s, p)
