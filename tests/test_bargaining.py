"""Tests of the expected-utility bargaining kernel (sim/bargaining.py).

Golden numbers from the EC car-emissions case (Bueno de Mesquita 1994, as tabulated by Scholz,
Calbert & Smith 2011), the fast kernel against the per-pair reference on generated inputs, the
invariants of a pass, the degenerate inputs, and the input errors.
"""

from __future__ import annotations

import numpy as np
import pytest
from generators import BargainCase, bargain_cases
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import bargaining as bg
from sim.bargaining import BargainResult, Outcome, bargain, bargain_reference

RTOL = 1e-9
ATOL = 1e-12
# Every generated input runs the O(N^3) Python reference; keep the example counts modest.
COMPARE = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
INVARIANT = settings(max_examples=80, deadline=None)

# --------------------------------------------------------------------------------------------
# golden check: EC car emissions, round 0

from golden import EC_ACTORS, EC_MEAN, EC_MEDIAN, EC_RISK  # noqa: E402


@pytest.fixture
def ec() -> BargainCase:
    capability = np.array([row[1] for row in EC_ACTORS])
    x = np.array([row[2] for row in EC_ACTORS], dtype=float)
    salience = np.array([row[3] for row in EC_ACTORS]) / 100.0
    return BargainCase(x, capability, salience, lo=4.0, hi=10.0)


@pytest.mark.parametrize("fn", [bg.forecast, bg.forecast_reference])
def test_ec_forecast_matches_published(ec, fn):
    mean, median = fn(ec.x, ec.capability, ec.salience, ec.lo, ec.hi)
    assert mean == pytest.approx(EC_MEAN, rel=1e-12)
    assert median == EC_MEDIAN


@pytest.mark.parametrize("fn", [bg.risk_exponents, bg.risk_exponents_reference])
def test_ec_risk_exponents_match_published(ec, fn):
    risk = fn(*ec.args(), **ec.kwargs())
    expected = np.array([EC_RISK[row[0]] for row in EC_ACTORS])
    np.testing.assert_allclose(risk, expected, atol=1e-3)
    # The published table rounds to 4 decimals; we reproduce every digit.
    np.testing.assert_allclose(np.round(risk, 4), expected, atol=1e-12)


@pytest.mark.parametrize("fn", [bargain, bargain_reference])
def test_ec_first_pass_records_forecast_and_risk(ec, fn):
    result = fn(*ec.args(), **ec.kwargs())
    assert result.weighted_mean == pytest.approx(EC_MEAN, rel=1e-12)
    assert result.median == EC_MEDIAN
    np.testing.assert_allclose(result.risk, [EC_RISK[row[0]] for row in EC_ACTORS], atol=1e-4)
    assert result.challenger.size > 0
    assert np.all((result.positions >= 4.0) & (result.positions <= 10.0))


def test_ec_alliance_with_zero_influence_is_scholz(ec):
    """alpha = 0 must ignore the alliance matrix entirely (bitwise)."""
    a = np.full((ec.n, ec.n), -1.0)
    plain = bargain(*ec.args(), lo=ec.lo, hi=ec.hi)
    with_matrix = bargain(*ec.args(), lo=ec.lo, hi=ec.hi, alliance=a, alpha=0.0)
    for field in ("positions", "risk", "challenger", "target", "outcome", "eu_challenger"):
        np.testing.assert_array_equal(getattr(plain, field), getattr(with_matrix, field))


def test_win_probability_hand_example():
    """Three actors at 0, 5, 10 with weights 1, 1, 2: P(10 beats 0) = 2 / 4 (actor at 5 is
    indifferent between 0 and 10, so it adds nothing to the numerator and nothing to the
    denominator)."""
    p = bg.win_probabilities([0, 5, 10], [1.0, 1.0, 2.0], lo=0, hi=10)
    # d_k(i=2, j=0) = |x_k - 0| - |x_k - 10| = -10, 0, 10 -> num = -10 + 20, den = 10 + 20
    assert p[2, 0] == pytest.approx(10 / 30)
    assert p[0, 2] == 0.0
    # i=1 (5) vs j=0 (0): d = -5, 5, 5 -> num = -5 + 5 + 10 = 10, den = 5 + 5 + 10 = 20
    assert p[1, 0] == pytest.approx(0.5)


# --------------------------------------------------------------------------------------------
# fast == reference


def _p_pair(case: BargainCase):
    kw = {"lo": case.lo, "hi": case.hi, "alliance": case.alliance, "alpha": case.alpha}
    fast = bg.win_probabilities(case.x, case.weight, **kw)
    ref = bg.win_probabilities_reference(case.x, case.weight, **kw)
    return fast, ref


@COMPARE
@given(bargain_cases(max_n=30))
def test_win_probabilities_fast_equals_reference(case):
    fast, ref = _p_pair(case)
    np.testing.assert_allclose(fast, ref, rtol=RTOL, atol=ATOL)
    assert np.all((fast >= 0) & (fast <= 1))


@COMPARE
@given(bargain_cases(max_n=25, alliance=True))
def test_win_probabilities_with_alliance_fast_equals_reference(case):
    fast, ref = _p_pair(case)
    np.testing.assert_allclose(fast, ref, rtol=RTOL, atol=ATOL)


@COMPARE
@given(bargain_cases(min_n=2, max_n=30, alliance=True), st.booleans())
def test_alliance_denominator_routes_agree(case, sparse):
    """The sparse (den0 + R + R^T) and the dense (all k) routes give the reference denominator."""
    inp = bg._validate(*case.args(), **case.kwargs())
    z, w, al, c = inp.x - inp.lo, inp.weight, inp.alliance, inp.alpha * inp.dx
    n = case.n
    reference = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            for k in range(n):
                d = abs(z[k] - z[j]) - abs(z[k] - z[i]) + c * (al[k, i] - al[k, j])
                reference[i, j] += w[k] * abs(d)
    den0 = np.array(
        [[sum(w[k] * abs(abs(z[k] - z[j]) - abs(z[k] - z[i])) for k in range(n)) for j in range(n)]
         for i in range(n)]
    )  # fmt: skip
    fast = bg._alliance_denominator(z, w, al, c, den0, sparse=sparse)
    np.testing.assert_allclose(fast, reference, rtol=RTOL, atol=1e-10 * max(1.0, reference.max()))


@COMPARE
@given(bargain_cases(max_n=30))
def test_forecast_fast_equals_reference(case):
    args = (case.x, case.capability, case.salience, case.lo, case.hi)
    mean, median = bg.forecast(*args)
    mean_ref, median_ref = bg.forecast_reference(*args)
    assert mean == pytest.approx(mean_ref, rel=RTOL, abs=ATOL)
    assert median == median_ref
    assert median in case.x
    assert case.lo <= mean <= case.hi


@COMPARE
@given(bargain_cases(max_n=30), st.floats(0.5, 2.0))
def test_expected_utilities_fast_equals_reference(case, r):
    """Same P, r and median in, the same EU out (checked on its own, not through the pass)."""
    p = bg.win_probabilities_reference(case.x, case.weight, lo=case.lo, hi=case.hi)
    risk = np.linspace(0.5, 2.0, case.n) if case.n > 1 else np.array([r])
    median = float(np.median(case.x))
    kw = {"lo": case.lo, "hi": case.hi, "Q": case.Q, "T": case.T}
    fast = bg.expected_utilities(case.x, case.salience, p, risk, median, **kw)
    ref = bg.expected_utilities_reference(case.x, case.salience, p, risk, median, **kw)
    np.testing.assert_allclose(fast, ref, rtol=RTOL, atol=ATOL)
    assert np.all(np.abs(fast) <= 4.0 + 1e-12)  # utilities are in [-2, 2]


@COMPARE
@given(bargain_cases(max_n=30))
def test_risk_exponents_fast_equals_reference(case):
    fast = bg.risk_exponents(*case.args(), **case.kwargs())
    ref = bg.risk_exponents_reference(*case.args(), **case.kwargs())
    np.testing.assert_allclose(fast, ref, rtol=RTOL, atol=ATOL)
    assert np.all((fast >= 0.5 - 1e-12) & (fast <= 2.0 + 1e-12))


def assert_same_result(fast: BargainResult, ref: BargainResult) -> None:
    np.testing.assert_array_equal(fast.target, ref.target)
    np.testing.assert_array_equal(fast.challenger, ref.challenger)
    np.testing.assert_array_equal(fast.outcome, ref.outcome)
    assert fast.median == ref.median
    assert fast.weighted_mean == pytest.approx(ref.weighted_mean, rel=RTOL, abs=ATOL)
    for field in ("risk", "eu_challenger", "eu_target", "position_before", "position_after"):
        np.testing.assert_allclose(
            getattr(fast, field), getattr(ref, field), rtol=RTOL, atol=ATOL, err_msg=field
        )
    np.testing.assert_allclose(fast.positions, ref.positions, rtol=RTOL, atol=ATOL)


@COMPARE
@given(bargain_cases(max_n=30))
def test_bargain_fast_equals_reference(case):
    assert_same_result(
        bargain(*case.args(), **case.kwargs()), bargain_reference(*case.args(), **case.kwargs())
    )


@COMPARE
@given(bargain_cases(max_n=20, alliance=True))
def test_bargain_with_alliance_fast_equals_reference(case):
    assert_same_result(
        bargain(*case.args(), **case.kwargs()), bargain_reference(*case.args(), **case.kwargs())
    )


# --------------------------------------------------------------------------------------------
# invariants of a pass


@INVARIANT
@given(bargain_cases(max_n=60))
def test_pass_invariants(case):
    result = bargain(*case.args(), **case.kwargs())
    n = case.n
    assert result.positions.shape == (n,)
    for field in ("positions", "risk", "eu_challenger", "eu_target", "position_after"):
        assert np.all(np.isfinite(getattr(result, field))), field
    assert np.all((result.positions >= case.lo) & (result.positions <= case.hi))
    assert np.all((result.risk >= 0.5 - 1e-12) & (result.risk <= 2.0 + 1e-12))
    # each target at most once, never itself
    assert np.unique(result.target).size == result.target.size
    assert np.all(result.challenger != result.target)
    # bookkeeping
    np.testing.assert_array_equal(result.position_before, case.x[result.target])
    np.testing.assert_array_equal(result.positions[result.target], result.position_after)
    untouched = np.setdiff1d(np.arange(n), result.target)
    np.testing.assert_array_equal(result.positions[untouched], case.x[untouched])
    # outcomes consistent with the EU signs
    eu_ij, eu_ji, out = result.eu_challenger, result.eu_target, result.outcome
    assert np.all(eu_ij > bg.EU_EPS)
    assert np.all(case.x[result.challenger] != case.x[result.target])
    x_i = case.x[result.challenger]
    tol = bg.TIE_RTOL * eu_ij  # exact ties are resolved with a relative tolerance
    expected = np.select(
        [eu_ji >= eu_ij - tol, eu_ji > tol, -eu_ji >= eu_ij - tol],
        [Outcome.STALEMATE, Outcome.CONFLICT, Outcome.CAPITULATION],
        Outcome.COMPROMISE,
    )
    np.testing.assert_array_equal(out, expected)
    moves_all = np.isin(out, [Outcome.CONFLICT, Outcome.CAPITULATION])
    np.testing.assert_array_equal(result.position_after[moves_all], x_i[moves_all])
    stays = out == Outcome.STALEMATE
    np.testing.assert_array_equal(result.position_after[stays], result.position_before[stays])
    comp = out == Outcome.COMPROMISE
    np.testing.assert_allclose(
        result.position_after[comp],
        result.position_before[comp]
        + (x_i[comp] - result.position_before[comp]) * np.maximum(-eu_ji[comp], 0) / eu_ij[comp],
    )
    # compromise moves toward the challenger and never past it
    lo = np.minimum(result.position_before, x_i)
    hi = np.maximum(result.position_before, x_i)
    assert np.all((result.position_after >= lo) & (result.position_after <= hi))


@INVARIANT
@given(bargain_cases(max_n=40))
def test_each_target_takes_its_best_offer(case):
    """The chosen challenger has the highest EU_ij > 0 among all offers to that target."""
    inp = bg._validate(*case.args(), **case.kwargs())
    result = bargain(*case.args(), **case.kwargs())
    p = bg.win_probabilities(inp.x, inp.weight, lo=case.lo, hi=case.hi,
                             alliance=case.alliance, alpha=case.alpha)  # fmt: skip
    kw = {"lo": case.lo, "hi": case.hi, "Q": case.Q, "T": case.T}
    eu = bg.expected_utilities(inp.x, inp.salience, p, result.risk, result.median, **kw)
    eu[case.x[:, None] == case.x[None, :]] = -np.inf  # no offers from one's own position
    has_offer = np.flatnonzero((eu > bg.EU_EPS).any(axis=0))
    np.testing.assert_array_equal(result.target, has_offer)
    best = eu[:, result.target].max(axis=0)
    np.testing.assert_allclose(result.eu_challenger, best, rtol=1e-9)


@settings(max_examples=60, deadline=None)
@given(bargain_cases(min_n=2, max_n=30, alliance=False))
def test_pass_is_independent_of_actor_order(case):
    """Synchronous update: permuting the actors permutes the result (up to offer ties)."""
    perm = np.random.default_rng(case.n).permutation(case.n)
    a = bargain(*case.args(), lo=case.lo, hi=case.hi, Q=case.Q, T=case.T)
    b = bargain(case.x[perm], case.capability[perm], case.salience[perm],
                lo=case.lo, hi=case.hi, Q=case.Q, T=case.T)  # fmt: skip
    np.testing.assert_allclose(b.risk, a.risk[perm], rtol=RTOL, atol=ATOL)
    assert b.median == a.median
    # Offer ties go to the nearest, then the lower position, and only then to the lowest index,
    # which the permutation changes; challengers at one position produce the same move.
    np.testing.assert_allclose(b.positions, a.positions[perm], rtol=RTOL, atol=ATOL)


# --------------------------------------------------------------------------------------------
# degenerate but legal inputs


def _assert_finite(result: BargainResult) -> None:
    for field in ("positions", "risk", "eu_challenger", "eu_target"):
        assert np.all(np.isfinite(getattr(result, field)))
    assert np.isfinite(result.weighted_mean) and np.isfinite(result.median)


@pytest.mark.parametrize("fn", [bargain, bargain_reference])
def test_everyone_at_one_position(fn):
    result = fn([30.0] * 5, [1, 2, 3, 4, 5], [0.5] * 5, lo=30, hi=30, Q=0.5, T=0.3)
    _assert_finite(result)
    assert result.challenger.size == 0
    np.testing.assert_array_equal(result.positions, 30.0)
    np.testing.assert_array_equal(result.risk, 1.0)
    assert result.median == 30.0 and result.weighted_mean == 30.0


@pytest.mark.parametrize("fn", [bargain, bargain_reference])
def test_all_salience_zero(fn):
    result = fn([0.0, 40.0, 100.0], [1, 2, 3], [0, 0, 0], lo=0, hi=100)
    _assert_finite(result)
    assert result.weighted_mean == pytest.approx(140 / 3)  # plain mean when sum(w) == 0
    np.testing.assert_array_equal(
        bg.win_probabilities([0.0, 40.0, 100.0], [0, 0, 0], lo=0, hi=100), 0.0
    )


@pytest.mark.parametrize("fn", [bargain, bargain_reference])
def test_one_actor(fn):
    result = fn([42.0], [1.0], [0.7], lo=0, hi=100, Q=0.2)
    _assert_finite(result)
    assert result.challenger.shape == (0,) and result.outcome.shape == (0,)
    np.testing.assert_array_equal(result.risk, [1.0])
    assert result.median == 42.0 and result.positions.tolist() == [42.0]


@pytest.mark.parametrize("fn", [bargain, bargain_reference])
@pytest.mark.parametrize("positions", [[10.0, 90.0], [50.0, 50.0]])
def test_two_actors(fn, positions):
    result = fn(positions, [1.0, 3.0], [1.0, 0.5], lo=10, hi=90)
    _assert_finite(result)
    if positions[0] == positions[1]:
        assert result.challenger.size == 0
        np.testing.assert_array_equal(result.risk, 1.0)
    else:
        np.testing.assert_allclose(sorted(result.risk), [0.5, 2.0])


def test_equal_positions_have_zero_win_probability():
    p = bg.win_probabilities([5.0, 5.0, 9.0], [1.0, 2.0, 3.0], lo=0, hi=10)
    assert p[0, 1] == p[1, 0] == 0.0
    np.testing.assert_array_equal(np.diag(p), 0.0)


def test_equal_security_gives_risk_neutral():
    np.testing.assert_array_equal(bg.risk_from_security([0.3, 0.3, 0.3]), 1.0)
    np.testing.assert_allclose(bg.risk_from_security([0.0, 1.0, 0.5]), [2.0, 0.5, 1.0])


def test_positions_outside_range_are_clipped():
    result = bargain([-5.0, 50.0, 120.0], [1, 1, 1], [1, 1, 1], lo=0, hi=100)
    assert np.all((result.positions >= 0) & (result.positions <= 100))


def test_median_tie_goes_to_position_nearest_weighted_mean():
    # Two equal blocs: every point of [20, 60] is a weighted median; the mean is 40 + 10/3.
    x = [20.0, 60.0, 90.0, 0.0]
    mean, median = bg.forecast(x, [1.0, 1.0, 1.0, 1.0], [1.0, 0.5, 0.5, 0.0], lo=0, hi=100)
    assert mean == pytest.approx((20 + 30 + 45) / 2)
    assert median == 60.0
    assert bg.forecast_reference(x, [1.0, 1.0, 1.0, 1.0], [1.0, 0.5, 0.5, 0.0], 0, 100)[1] == 60.0


@pytest.mark.parametrize("fn", [bargain, bargain_reference])
@pytest.mark.parametrize("order", [[0, 1, 2], [2, 1, 0]])
def test_offer_tie_goes_to_lower_position_whatever_the_order(fn, order):
    """Mirror-image challengers at 3 and 7 make the target at 5 the same offer."""
    x = np.array([3.0, 5.0, 7.0])[order]
    result = fn(x, [1.0, 1.0, 1.0], np.array([1.0, 0.2, 1.0])[order], lo=0, hi=10)
    assert result.target.tolist() == [1]
    assert x[result.challenger[0]] == 3.0
    assert result.position_after.tolist() == [3.0]


def test_median_tie_equidistant_from_mean_is_order_free():
    """Zero weight: every position ties; 0.11 and 6.66 are equally near the mean 3.385."""
    x = np.array([0.014, 0.11, 6.66, 6.756])
    for order in ([0, 1, 2, 3], [3, 2, 1, 0], [2, 0, 3, 1]):
        for fn in (bg.forecast, bg.forecast_reference):
            assert fn(x[order], np.ones(4), np.zeros(4), 0.014, 6.756)[1] == 0.11


def test_result_is_frozen():
    result = bargain([0.0, 10.0], [1.0, 1.0], [1.0, 1.0], lo=0, hi=10)
    with pytest.raises(AttributeError):
        result.median = 3.0  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        result.positions[0] = 1.0


# --------------------------------------------------------------------------------------------
# input errors


GOOD = {"x": [1.0, 2.0, 3.0], "capability": [1.0, 1.0, 1.0], "salience": [0.5, 0.5, 0.5]}


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"x": [[1.0, 2.0, 3.0]]}, r"x: must be a 1-D array"),
        ({"x": [1.0, np.nan, 3.0]}, r"x: must be finite"),
        ({"x": []}, r"at least one actor"),
        ({"capability": [1.0, 1.0]}, r"capability: must have the same length as x \(3\)"),
        ({"capability": [1.0, 0.0, 1.0]}, r"capability: must be > 0"),
        ({"salience": [0.5, 1.5, 0.5]}, r"salience: must be between 0 and 1"),
        ({"salience": [0.5, np.inf, 0.5]}, r"salience: must be finite"),
        ({"lo": 5.0}, r"need lo <= hi"),
        ({"alpha": -0.1}, r"alpha: must be >= 0"),
        ({"Q": 1.5}, r"Q: must be between 0 and 1"),
        ({"T": np.nan}, r"T: must be finite"),
        ({"alliance": np.eye(2)}, r"alliance: must have shape \(3, 3\)"),
        ({"alliance": np.triu(np.ones((3, 3)))}, r"alliance: must be symmetric"),
        ({"alliance": np.full((3, 3), 2.0)}, r"alliance: weights must be in \[-1, 1\]"),
        ({"alliance": np.full((3, 3), np.nan)}, r"alliance: must be finite"),
    ],
)
@pytest.mark.parametrize("fn", [bargain, bargain_reference])
def test_invalid_input_raises(fn, override, message):
    args = {**GOOD, "lo": 1.0, "hi": 3.0, "alpha": 0.5}
    args.update(override)
    x, c, s = args.pop("x"), args.pop("capability"), args.pop("salience")
    with pytest.raises(ValueError, match=message):
        fn(x, c, s, **args)


def test_all_problems_reported_at_once():
    with pytest.raises(ValueError, match=r"capability: must be > 0.*salience: must be between"):
        bargain([1.0, 2.0], [0.0, 1.0], [0.5, 3.0], lo=1, hi=2)


def test_intermediate_functions_validate_shapes():
    with pytest.raises(ValueError, match=r"weight: must be finite"):
        bg.win_probabilities([1.0, 2.0], [1.0], lo=1, hi=2)
    with pytest.raises(ValueError, match=r"prob: must be a finite \(2, 2\) matrix"):
        bg.expected_utilities([1.0, 2.0], [1.0, 1.0], np.zeros((3, 3)), 1.0, 1.5, lo=1, hi=2)
    with pytest.raises(ValueError, match=r"risk: must be a positive"):
        bg.expected_utilities([1.0, 2.0], [1.0, 1.0], np.zeros((2, 2)), [1.0], 1.5, lo=1, hi=2)
