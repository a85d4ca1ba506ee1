"""Expected-utility bargaining on one issue: the kernel of a round.

One *pass* of the Bueno de Mesquita expected-utility model as specified by Scholz, Calbert & Smith
(2011): from the current positions ``x`` (one issue, N actors) compute the forecast (weighted mean
and vote median), each actor's win probability against each other actor, the risk exponents, the
expected utility of every challenge, let every target take up its best offer, and resolve it as a
conflict, compromise, capitulation or stalemate. All decisions are taken from the same state and
applied together (synchronous update), so the result does not depend on any activation order.

Two implementations share one validation step and one vocabulary:

* ``bargain`` and the vectorised pure functions it is built from (``forecast``,
  ``win_probabilities``, ``expected_utilities``, ``risk_exponents``): O(N^2 log N) for
  ``alpha == 0`` using sorted prefix sums; for the alliance extension ``alpha > 0``
  O(nnz(alliance) N) when the alliance matrix is sparse, else O(N^3) in chunks; memory O(N^2).
* ``bargain_reference`` and the ``*_reference`` functions: plain per-pair Python loops that follow
  the equations symbol by symbol. They are the test oracle and the benchmark baseline.

Conventions (see ``docs/model.md``, section "Expected-utility bargaining"):

* ``dx = hi - lo`` is the range of the *ideal points* (given by the caller), not of the current
  positions; positions are clipped to ``[lo, hi]`` before the pass and stay there.
* A ratio whose denominator is zero is defined as 0 (``v``, ``P``, ``d``, ``m`` when ``dx == 0``);
  the weighted mean with zero total weight is the plain mean of the positions.
* The median is the actor position with the largest summed vote margin ``sum_l v_jl``; this is the
  weighted median (Condorcet winner in one dimension). Ties (relative 1e-9) go to the tied position
  nearest the weighted mean, then to the lower position.
* Offers need ``EU_ij > 1e-12`` and ``x_i != x_j``; offer ties (relative 1e-9) go to the nearest
  challenger, then to the lower position, then to the lowest index. Outcome boundaries carry
  the same relative tolerance.

References: Bueno de Mesquita (1994) in Bueno de Mesquita & Stokman (eds), *European Community
Decision Making*, Yale UP; Scholz, Calbert & Smith (2011) *J. Theoretical Politics* 23(4):510.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np

__all__ = [
    "BargainResult",
    "Outcome",
    "bargain",
    "bargain_reference",
    "expected_utilities",
    "expected_utilities_reference",
    "forecast",
    "forecast_reference",
    "risk_exponents",
    "risk_exponents_reference",
    "risk_from_security",
    "win_probabilities",
    "win_probabilities_reference",
]

#: Relative tolerance under which two vote scores or two offers count as tied.
TIE_RTOL = 1e-9
#: A denominator ``sum_k w_k |d_kij|`` below ``ZERO_RTOL * dx * sum(w)`` counts as zero (0/0 = 0);
#: so does a spread ``max S - min S`` below ``ZERO_RTOL * max(1, max |S|)`` (then r = 1).
ZERO_RTOL = 1e-12
#: An offer needs ``EU_ij > EU_EPS`` (utilities are O(1); exact zeros must not flip on rounding).
EU_EPS = 1e-12
#: Number of third parties k evaluated at once in the O(N^3) alliance route (memory K * N^2).
ALLIANCE_CHUNK = 8
#: Use the sparse alliance route when at most this share of the alliance entries is nonzero.
SPARSE_DENSITY = 0.25
#: Floats per block in the sparse alliance route.
SPARSE_BLOCK = 1 << 15


class Outcome(enum.IntEnum):
    """How a challenge that a target took up was resolved (Scholz et al. 2011).

    With ``eu_ij > 0`` the challenger's expected utility and ``eu_ji`` the target's own view:

    * ``CONFLICT``: ``0 < eu_ji < eu_ij``; both would fight, the target loses and moves to the
      challenger's position.
    * ``COMPROMISE``: ``eu_ji <= 0`` and ``|eu_ji| < eu_ij``; the target moves the fraction
      ``|eu_ji / eu_ij|`` of the way (``eu_ji == 0`` is a compromise of length zero).
    * ``CAPITULATION``: ``eu_ji < 0`` and ``|eu_ji| >= eu_ij``; the target moves to the challenger.
    * ``STALEMATE``: ``eu_ji >= eu_ij > 0``; the target expects to win and does not move.

    Every comparison carries a relative tolerance of ``1e-9 * eu_ij`` (``TIE_RTOL``), so that
    exact ties in the mathematics are not split differently by rounding.
    """

    CONFLICT = 0
    COMPROMISE = 1
    CAPITULATION = 2
    STALEMATE = 3


@dataclass(frozen=True, eq=False)
class BargainResult:
    """The record of one bargaining pass on one issue.

    Arrays are read-only. ``eq=False`` because element-wise array equality has no single truth
    value; compare fields with ``numpy.testing``.

    Attributes:
        positions: (N,) positions after the pass, in ``[lo, hi]``.
        risk: (N,) risk exponents ``r_i`` in [0.5, 2] used in this pass.
        weighted_mean: forecast ``sum(w x) / sum(w)`` at the start of the pass.
        median: vote (Condorcet) median at the start of the pass; an actor position.
        challenger, target: (M,) actor indices, one row per challenge taken up, ordered by target;
            each target appears at most once.
        outcome: (M,) ``Outcome`` values.
        eu_challenger: (M,) ``EU_ij``, the challenger's expected utility (always > 0).
        eu_target: (M,) ``EU_ji``, the target's view of the same dyad.
        position_before, position_after: (M,) the target's position before and after.
    """

    positions: np.ndarray
    risk: np.ndarray
    weighted_mean: float
    median: float
    challenger: np.ndarray
    target: np.ndarray
    outcome: np.ndarray
    eu_challenger: np.ndarray
    eu_target: np.ndarray
    position_before: np.ndarray
    position_after: np.ndarray

    def __post_init__(self) -> None:
        for value in vars(self).values():
            if isinstance(value, np.ndarray):
                value.setflags(write=False)


@dataclass(frozen=True)
class _Inputs:
    """Validated, clipped float64 copies of the arguments of one pass."""

    x: np.ndarray
    capability: np.ndarray
    salience: np.ndarray
    lo: float
    hi: float
    alliance: np.ndarray | None  # diagonal set to 1; None when alpha == 0 or no matrix given
    alpha: float
    Q: float
    T: float

    @property
    def weight(self) -> np.ndarray:
        return self.capability * self.salience

    @property
    def dx(self) -> float:
        return self.hi - self.lo


# --------------------------------------------------------------------------------------------
# validation


def _as_vector(name: str, value: object, problems: list[str]) -> np.ndarray | None:
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        problems.append(f"{name}: must be numeric, got {exc}")
        return None
    if arr.ndim != 1:
        problems.append(f"{name}: must be a 1-D array, got shape {arr.shape}")
        return None
    if not np.all(np.isfinite(arr)):
        bad = np.flatnonzero(~np.isfinite(arr)).tolist()
        problems.append(f"{name}: must be finite, got NaN or inf at index {bad}")
        return None
    return arr


def _as_scalar(name: str, value: object, problems: list[str]) -> float | None:
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        problems.append(f"{name}: must be a real number, got {value!r}")
        return None
    if not np.isfinite(out):
        problems.append(f"{name}: must be finite, got {out}")
        return None
    return out


def _validate(x, capability, salience, lo, hi, alliance, alpha, Q, T) -> _Inputs:
    """Check every argument, report all problems in one ``ValueError``, return clean copies."""
    problems: list[str] = []
    xv = _as_vector("x", x, problems)
    cv = _as_vector("capability", capability, problems)
    sv = _as_vector("salience", salience, problems)
    lo_f = _as_scalar("lo", lo, problems)
    hi_f = _as_scalar("hi", hi, problems)
    alpha_f = _as_scalar("alpha", alpha, problems)
    q_f = _as_scalar("Q", Q, problems)
    t_f = _as_scalar("T", T, problems)
    n = None if xv is None else xv.size
    if n == 0:
        problems.append("x: needs at least one actor, got 0")
    for name, arr in (("capability", cv), ("salience", sv)):
        if arr is not None and n is not None and arr.size != n:
            problems.append(f"{name}: must have the same length as x ({n}), got {arr.size}")
    if cv is not None and np.any(cv <= 0):
        problems.append(f"capability: must be > 0, got {cv[cv <= 0].tolist()}")
    if sv is not None and np.any((sv < 0) | (sv > 1)):
        problems.append(
            f"salience: must be between 0 and 1, got {sv[(sv < 0) | (sv > 1)].tolist()}"
        )
    if lo_f is not None and hi_f is not None and lo_f > hi_f:
        problems.append(f"lo, hi: need lo <= hi, got lo={lo_f}, hi={hi_f}")
    if alpha_f is not None and alpha_f < 0:
        problems.append(f"alpha: must be >= 0, got {alpha_f}")
    for name, val in (("Q", q_f), ("T", t_f)):
        if val is not None and not 0 <= val <= 1:
            problems.append(f"{name}: must be between 0 and 1, got {val}")
    av = None
    if alliance is not None:
        try:
            av = np.array(alliance, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            problems.append(f"alliance: must be numeric, got {exc}")
        if av is not None and n is not None and av.shape != (n, n):
            problems.append(f"alliance: must have shape ({n}, {n}), got {av.shape}")
            av = None
        if av is not None and not np.all(np.isfinite(av)):
            problems.append("alliance: must be finite, got NaN or inf")
            av = None
        if av is not None:
            off = av[~np.eye(n, dtype=bool)]
            if np.any(np.abs(off) > 1 + 1e-12):
                problems.append(
                    f"alliance: weights must be in [-1, 1], got max |a| = {np.abs(off).max()}"
                )
            if not np.allclose(av, av.T, rtol=0.0, atol=1e-12):
                problems.append("alliance: must be symmetric")
    if problems or xv is None or cv is None or sv is None:
        raise ValueError("invalid bargaining input: " + "; ".join(problems))
    xc = np.clip(xv, lo_f, hi_f)
    if av is not None and alpha_f > 0:
        av = np.clip(0.5 * (av + av.T), -1.0, 1.0)  # exactly symmetric (checked to 1e-12)
        np.fill_diagonal(av, 1.0)  # a_kk = 1: every actor is its own ally
    else:
        av = None
    return _Inputs(xc, cv, sv, lo_f, hi_f, av, alpha_f, q_f, t_f)


# --------------------------------------------------------------------------------------------
# forecast


def _weighted_mean(x: np.ndarray, w: np.ndarray) -> float:
    total = w.sum()
    # zero total weight: plain mean (0/0 = 0 would leave the issue range)
    mean = (w * x).sum() / total if total > 0 else x.mean()
    return float(np.clip(mean, x.min(), x.max()))  # rounding must not leave the range


def _pick_median(x: np.ndarray, score: np.ndarray, scale: float, mean: float) -> float:
    """Position with the highest vote score; ties -> nearest the weighted mean, then lower."""
    best = score.max()
    tied = score >= best - TIE_RTOL * scale
    cand = np.unique(x[tied])  # sorted ascending
    gap = np.abs(cand - mean)
    # Equidistant candidates (to rounding of the mean) count as tied too; take the lower one.
    near = gap <= gap.min() + TIE_RTOL * max(1.0, float(np.abs(cand).max()))
    return float(cand[np.argmax(near)])


def forecast(x, capability, salience, lo, hi) -> tuple[float, float]:
    """Forecast of one issue: ``(weighted_mean, median)``.

    ``w_i = c_i s_i``; the weighted mean is ``sum(w x) / sum(w)``. The median is the actor
    position ``x_j`` that wins the most pairwise votes, scored by the summed margin
    ``sum_l v_jl`` with ``v_jl = sum_i w_i (|x_i - x_l| - |x_i - x_j|) / dx``. Because
    ``sum_l v_jl = (sum_l F(x_l) - N F(x_j)) / dx`` with ``F(y) = sum_i w_i |x_i - y|``, this is
    the weighted median, computed in O(N log N) with sorted prefix sums.

    References: Bueno de Mesquita (1994); Scholz, Calbert & Smith (2011).

    >>> forecast([10, 20, 90], [1, 1, 1], [1, 1, 0.5], lo=10, hi=90)
    (30.0, 20.0)
    """
    inp = _validate(x, capability, salience, lo, hi, None, 0.0, 1.0, 1.0)
    return _forecast_fast(inp.x, inp.weight, inp.dx)


def _forecast_fast(x: np.ndarray, w: np.ndarray, dx: float) -> tuple[float, float]:
    mean = _weighted_mean(x, w)
    n = x.size
    if dx > 0:
        f = _distance_sums(x, w)
        score = (f.sum() - n * f) / dx
    else:
        score = np.zeros(n)
    return mean, _pick_median(x, score, n * w.sum(), mean)


def _distance_sums(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``F(x_j) = sum_k w_k |x_k - x_j|`` for every j, O(N log N)."""
    order = np.argsort(x, kind="stable")
    xs, ws = x[order], w[order]
    cw = np.concatenate(([0.0], np.cumsum(ws)))
    cwx = np.concatenate(([0.0], np.cumsum(ws * xs)))
    idx = np.searchsorted(xs, x, side="left")
    below_w, below_wx = cw[idx], cwx[idx]
    return x * below_w - below_wx + (cwx[-1] - below_wx) - x * (cw[-1] - below_w)


def forecast_reference(x, capability, salience, lo, hi) -> tuple[float, float]:
    """Per-pair loop version of :func:`forecast` (the test oracle)."""
    inp = _validate(x, capability, salience, lo, hi, None, 0.0, 1.0, 1.0)
    xs, w, dx, n = inp.x.tolist(), inp.weight.tolist(), inp.dx, inp.x.size
    total = sum(w)
    mean = sum(wi * xi for wi, xi in zip(w, xs, strict=True)) / total if total > 0 else sum(xs) / n
    mean = min(max(mean, min(xs)), max(xs))
    score = []
    for j in range(n):
        s = 0.0
        for l in range(n):
            margin = sum(w[i] * (abs(xs[i] - xs[l]) - abs(xs[i] - xs[j])) for i in range(n))
            s += margin / dx if dx > 0 else 0.0
        score.append(s)
    return float(mean), _pick_median(inp.x, np.array(score), n * total, float(mean))


# --------------------------------------------------------------------------------------------
# win probabilities


def win_probabilities(x, weight, *, lo, hi, alliance=None, alpha=0.0) -> np.ndarray:
    """Probability ``P_ij`` that *i* wins a contest against *j*, an (N, N) matrix in [0, 1].

    ``P_ij = max(sum_k w_k d_kij, 0) / sum_k w_k |d_kij|`` over all k (i and j included), with
    ``d_kij = |x_k - x_j| - |x_k - x_i|`` (k's utility gain from i's position over j's), and with
    the alliance extension ``d_kij + alpha * dx * (a_ki - a_kj)``, ``a_kk = 1``. ``P_ij = 0`` when
    ``x_i == x_j`` and when the denominator is (numerically) zero.

    For ``alpha == 0`` the numerator is ``F(x_j) - F(x_i)`` and the denominator splits at the
    interval ``[a, b] = [min(x_i, x_j), max(x_i, x_j)]``: actors outside contribute
    ``w_k (b - a)``, actors inside ``w_k |2 x_k - a - b|``; equivalently
    ``sum_k w_k |d_kij| = 2 sum_k w_k min(|x_k - (a + b)/2|, (b - a)/2)``, evaluated with sorted
    prefix sums of ``w`` and ``w x`` split at the midpoint: O(N^2 log N).

    Args:
        x: (N,) positions; clipped to ``[lo, hi]``.
        weight: (N,) ``w = c s >= 0``.
        lo, hi: range of the ideal points (``dx = hi - lo``).
        alliance: optional (N, N) symmetric matrix in [-1, 1]; the diagonal is treated as 1.
        alpha: alliance influence >= 0; 0 reproduces Scholz et al. exactly.

    References: Scholz, Calbert & Smith (2011); the alliance term is this project's own.
    """
    w = np.asarray(weight, dtype=np.float64)
    inp = _validate(x, np.ones(np.size(x)), np.ones(np.size(x)), lo, hi, alliance, alpha, 1.0, 1.0)
    if w.shape != inp.x.shape or not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError(f"weight: must be finite, >= 0 and of shape {inp.x.shape}")
    return _win_prob_fast(inp.x - inp.lo, w, inp.dx, inp.alliance, inp.alpha)


def _win_prob_fast(
    z: np.ndarray, w: np.ndarray, dx: float, alliance: np.ndarray | None, alpha: float
) -> np.ndarray:
    # Work on the U <= N distinct positions (sorted); expand to actors at the end.
    zu, inv = np.unique(z, return_inverse=True)
    wu = np.bincount(inv, weights=w, minlength=zu.size)
    cw = np.concatenate(([0.0], np.cumsum(wu)))
    cwz = np.concatenate(([0.0], np.cumsum(wu * zu)))
    wtot = cw[-1]
    below_w, below_wz = cw[:-1], cwz[:-1]  # weight (and weight * z) strictly below zu[p]
    # Pair (p, q): a = min, b = max position. The prefix sums are nondecreasing (w, z >= 0), so
    # W(<a) = min(W(<zu_p), W(<zu_q)) etc. without any gather.
    a = np.minimum(zu[:, None], zu[None, :])
    b = np.maximum(zu[:, None], zu[None, :])
    w_a = np.minimum(below_w[:, None], below_w[None, :])
    w_b = np.maximum(below_w[:, None], below_w[None, :])
    wz_a = np.minimum(below_wz[:, None], below_wz[None, :])
    wz_b = np.maximum(below_wz[:, None], below_wz[None, :])
    h = 0.5 * (b - a)
    mid = 0.5 * (a + b)
    # Numerator for the lower-positioned actor (at a) challenging the upper one (at b):
    # k below a gains b - a, k above b loses b - a, k inside gains 2 (mid - z_k).
    num_ab = 2.0 * (h * (w_a - (wtot - w_b)) + mid * (w_b - w_a) - (wz_b - wz_a))
    num_u = np.where(zu[:, None] > zu[None, :], -num_ab, num_ab)
    # Denominator: k outside [a, b] adds w_k (b - a); k inside adds 2 w_k |z_k - mid|.
    km = np.searchsorted(zu, mid.ravel(), side="left").reshape(mid.shape)
    w_m, wz_m = cw[km], cwz[km]
    den_u = 2.0 * (
        h * (w_a + wtot - w_b) + mid * (2.0 * w_m - w_a - w_b) + wz_a + wz_b - 2.0 * wz_m
    )
    if alliance is None:
        prob_u = _ratio(num_u, den_u, dx * wtot)
        np.fill_diagonal(prob_u, 0.0)  # equal positions
        return prob_u.take(inv, axis=0).take(inv, axis=1)
    c = alpha * dx
    pull = w @ alliance  # A_i = sum_k w_k a_ki
    num = num_u.take(inv, axis=0).take(inv, axis=1) + c * (pull[:, None] - pull[None, :])
    den0 = den_u.take(inv, axis=0).take(inv, axis=1)
    den = _alliance_denominator(z, w, alliance, c, den0)
    prob = _ratio(num, den, dx * wtot)
    prob[inv[:, None] == inv[None, :]] = 0.0  # equal positions
    return prob


def _alliance_denominator(
    z: np.ndarray,
    w: np.ndarray,
    al: np.ndarray,
    c: float,
    den0: np.ndarray,
    sparse: bool | None = None,
) -> np.ndarray:
    """``sum_k w_k |u_kj - u_ki|`` with ``u_kj = |z_k - z_j| - c a_kj`` (alliance extension).

    ``den0`` is the same sum for ``c = 0``. Two routes, both O(N^2) memory:

    * dense: all k in chunks, O(N^3);
    * sparse (chosen when at most ``SPARSE_DENSITY`` of the alliance entries are nonzero): only
      third parties k tied to i or j change the ``c = 0`` term, so
      ``den = den0 + R + R^T`` with ``R_ij = sum_{k: a_ki != 0} w_k (|u_kj - u_ki| - |d_kij|)``
      (halved when ``a_kj != 0`` too, which R^T counts again): O(nnz(a) N).
    """
    n = z.size
    nonzero = al != 0.0  # the diagonal is 1
    if sparse is None:
        sparse = nonzero.sum() <= SPARSE_DENSITY * n * n
    if not sparse:
        den = np.zeros((n, n))
        buf = np.empty((ALLIANCE_CHUNK, n, n))
        for start in range(0, n, ALLIANCE_CHUNK):
            stop = min(start + ALLIANCE_CHUNK, n)
            u = np.abs(z[start:stop, None] - z[None, :]) - c * al[start:stop]
            t = buf[: stop - start]
            np.subtract(u[:, None, :], u[:, :, None], out=t)  # t[k, i, j] = u_kj - u_ki
            np.abs(t, out=t)
            den += np.tensordot(w[start:stop], t, axes=1)
        return den
    # Pairs (i, k) with a_ki != 0, grouped by i (al is symmetric, so rows of al list them).
    ii, kk = np.nonzero(nonzero)
    starts = np.searchsorted(ii, np.arange(n + 1))  # every i has at least k = i
    dist = np.abs(z[:, None] - z[None, :])  # dist[k, j] = |z_k - z_j|
    corr = np.empty((n, n))
    budget = max(SPARSE_BLOCK // n, 1)  # pairs per block keep memory at SPARSE_BLOCK floats
    i0 = 0
    while i0 < n:
        i1 = max(int(np.searchsorted(starts, starts[i0] + budget, side="right")) - 1, i0 + 1)
        i1 = min(i1, n)
        t0, t1 = starts[i0], starts[i1]
        bi, bk = ii[t0:t1], kk[t0:t1]
        d_row = dist[bk]  # (T, N): |z_k - z_j|
        d_ki = dist[bk, bi][:, None]  # |z_k - z_i|
        shift = c * al[bk]
        shift -= c * al[bk, bi][:, None]  # c (a_kj - a_ki)
        np.subtract(d_row, d_ki, out=d_row)  # d_kij
        term = np.subtract(d_row, shift, out=shift)  # u_kj - u_ki
        np.abs(term, out=term)
        np.abs(d_row, out=d_row)
        term -= d_row
        term *= np.where(nonzero[bk], 0.5 * w[bk][:, None], w[bk][:, None])
        corr[i0:i1] = np.add.reduceat(term, starts[i0:i1] - t0, axis=0)
        i0 = i1
    return den0 + corr + corr.T


def _ratio(num: np.ndarray, den: np.ndarray, scale: float) -> np.ndarray:
    """``max(num, 0) / den`` with 0 where ``den`` is numerically zero (0/0 = 0)."""
    ok = den > ZERO_RTOL * scale
    out = np.zeros_like(num)
    np.divide(np.maximum(num, 0.0), den, out=out, where=ok)
    return np.minimum(out, 1.0)


def win_probabilities_reference(x, weight, *, lo, hi, alliance=None, alpha=0.0) -> np.ndarray:
    """Per-pair, per-third-party loop version of :func:`win_probabilities` (the test oracle)."""
    w = np.asarray(weight, dtype=np.float64)
    inp = _validate(x, np.ones(np.size(x)), np.ones(np.size(x)), lo, hi, alliance, alpha, 1.0, 1.0)
    if w.shape != inp.x.shape or not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError(f"weight: must be finite, >= 0 and of shape {inp.x.shape}")
    return _win_prob_reference(inp.x, w, inp.dx, inp.alliance, inp.alpha)


def _win_prob_reference(
    x: np.ndarray, w: np.ndarray, dx: float, alliance: np.ndarray | None, alpha: float
) -> np.ndarray:
    n = x.size
    xs, ws = x.tolist(), w.tolist()
    a = None if alliance is None else alliance.tolist()
    c = alpha * dx
    wtot = sum(ws)
    prob = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if xs[i] == xs[j]:
                continue
            num = den = 0.0
            for k in range(n):
                d = abs(xs[k] - xs[j]) - abs(xs[k] - xs[i])
                if a is not None:
                    d += c * (a[k][i] - a[k][j])
                num += ws[k] * d
                den += ws[k] * abs(d)
            if den > ZERO_RTOL * dx * wtot:
                prob[i, j] = min(max(num, 0.0) / den, 1.0)
    return prob


# --------------------------------------------------------------------------------------------
# expected utilities


def expected_utilities(x, salience, prob, risk, median, *, lo, hi, Q=1.0, T=1.0) -> np.ndarray:
    """Expected utility ``EU_ij`` of *i* challenging *j*, an (N, N) matrix (diagonal = 0).

    With ``d = |x_i - x_j| / dx``, ``m = |x_i - mu| / dx`` and risk exponent ``r_i``:
    ``Us = 2 - 4(0.5 - 0.5 d)^r``, ``Uf = 2 - 4(0.5 + 0.5 d)^r``,
    ``Ub = 2 - 4(0.5 - 0.25 (m + d))^r``, ``Uw = 2 - 4(0.5 + 0.25 (m + d))^r``,
    ``Usq = 2 - 4(0.5)^r``, and
    ``EU_ij = s_j (P_ij Us + (1 - P_ij) Uf) + (1 - s_j) Us - Q Usq - (1 - Q)(T Ub + (1 - T) Uw)``.
    Utilities are in [-2, 2]; ``d = m = 0`` when ``dx == 0``.

    References: Bueno de Mesquita (1994); Scholz, Calbert & Smith (2011).
    """
    inp = _validate(x, np.ones(np.size(x)), salience, lo, hi, None, 0.0, Q, T)
    p, r = _check_matrix("prob", prob, inp.x.size), _check_risk(risk, inp.x.size)
    return _eu_fast(inp.x, inp.salience, p, r, float(median), inp.dx, inp.Q, inp.T)


def _check_matrix(name: str, value, n: int) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.shape != (n, n) or not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: must be a finite ({n}, {n}) matrix, got shape {arr.shape}")
    return arr


def _check_risk(value, n: int) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.shape == ():
        arr = np.full(n, float(arr))
    if arr.shape != (n,) or not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError(f"risk: must be a positive scalar or ({n},) vector, got {value!r}")
    return arr


def _eu_fast(
    x: np.ndarray,
    s: np.ndarray,
    p: np.ndarray,
    r: np.ndarray | float,
    mu: float,
    dx: float,
    Q: float,
    T: float,
) -> np.ndarray:
    n = x.size
    if dx > 0:
        d = np.abs(x[:, None] - x[None, :]) / dx
        m = np.abs(x - mu) / dx
    else:
        d = np.zeros((n, n))
        m = np.zeros(n)
    rr = np.asarray(r, dtype=np.float64)
    rc = rr[:, None] if rr.ndim else rr
    us = 2.0 - 4.0 * np.maximum(0.5 - 0.5 * d, 0.0) ** rc
    uf = 2.0 - 4.0 * (0.5 + 0.5 * d) ** rc
    usq = 2.0 - 4.0 * 0.5**rc
    eu = s[None, :] * (p * us + (1.0 - p) * uf) + (1.0 - s[None, :]) * us - Q * usq
    if Q != 1.0:  # the (1 - Q) term is exactly zero for Q = 1; skip two N^2 powers
        md = m[:, None] + d
        ub = 2.0 - 4.0 * np.maximum(0.5 - 0.25 * md, 0.0) ** rc
        uw = 2.0 - 4.0 * (0.5 + 0.25 * md) ** rc
        eu = eu - (1.0 - Q) * (T * ub + (1.0 - T) * uw)
    np.fill_diagonal(eu, 0.0)
    return eu


def expected_utilities_reference(
    x, salience, prob, risk, median, *, lo, hi, Q=1.0, T=1.0
) -> np.ndarray:
    """Per-pair loop version of :func:`expected_utilities` (the test oracle)."""
    inp = _validate(x, np.ones(np.size(x)), salience, lo, hi, None, 0.0, Q, T)
    p, r = _check_matrix("prob", prob, inp.x.size), _check_risk(risk, inp.x.size)
    return _eu_reference(inp.x, inp.salience, p, r, float(median), inp.dx, inp.Q, inp.T)


def _eu_reference(x, s, p, r, mu, dx, Q, T) -> np.ndarray:
    n = x.size
    eu = np.zeros((n, n))
    for i in range(n):
        ri = float(r[i])
        m = abs(x[i] - mu) / dx if dx > 0 else 0.0
        for j in range(n):
            if i == j:
                continue
            d = abs(x[i] - x[j]) / dx if dx > 0 else 0.0
            us = 2.0 - 4.0 * max(0.5 - 0.5 * d, 0.0) ** ri
            uf = 2.0 - 4.0 * (0.5 + 0.5 * d) ** ri
            ub = 2.0 - 4.0 * max(0.5 - 0.25 * (m + d), 0.0) ** ri
            uw = 2.0 - 4.0 * (0.5 + 0.25 * (m + d)) ** ri
            usq = 2.0 - 4.0 * 0.5**ri
            eu[i, j] = (
                s[j] * (p[i, j] * us + (1.0 - p[i, j]) * uf)
                + (1.0 - s[j]) * us
                - Q * usq
                - (1.0 - Q) * (T * ub + (1.0 - T) * uw)
            )
    return eu


# --------------------------------------------------------------------------------------------
# risk


def risk_from_security(security) -> np.ndarray:
    """Risk exponents from the security levels ``S_i`` (Scholz et al. 2011).

    ``R_i = (2 S_i - max S - min S) / (max S - min S)`` in [-1, 1] and
    ``r_i = (1 - R_i / 3) / (1 + R_i / 3)`` in [0.5, 2]. When ``max S - min S`` is numerically
    zero (``<= 1e-12 * max(1, max |S|)``, e.g. N = 1) every ``R_i = 0`` and ``r_i = 1``.

    References: Bueno de Mesquita (1994); Scholz, Calbert & Smith (2011).
    """
    sec = np.asarray(security, dtype=np.float64)
    hi_s, lo_s = sec.max(), sec.min()
    spread = hi_s - lo_s
    if spread <= ZERO_RTOL * max(1.0, float(np.abs(sec).max())):
        return np.ones_like(sec)
    big_r = np.clip((2.0 * sec - hi_s - lo_s) / spread, -1.0, 1.0)
    return (1.0 - big_r / 3.0) / (1.0 + big_r / 3.0)


def _security(eu1: np.ndarray) -> np.ndarray:
    """``S_i = sum_{j != i} EU_ji``: what all others expect from challenging i (r = 1)."""
    off = eu1.copy()
    np.fill_diagonal(off, 0.0)
    return off.sum(axis=0)


def risk_exponents(x, capability, salience, *, lo, hi, alliance=None, alpha=0.0, Q=1.0, T=1.0):
    """Risk exponents ``r_i`` in [0.5, 2] for one pass, shape (N,).

    All ``EU`` are computed with ``r = 1``; the security of *i* is ``S_i = sum_{j != i} EU_ji``
    (the expected utility of every other actor challenging *i*: a secure actor is one others do
    not gain from challenging), then :func:`risk_from_security`. This is the reading that
    reproduces the published EC car-emissions risk exponents.

    References: Scholz, Calbert & Smith (2011).
    """
    inp = _validate(x, capability, salience, lo, hi, alliance, alpha, Q, T)
    _, mu = _forecast_fast(inp.x, inp.weight, inp.dx)
    p = _win_prob_fast(inp.x - inp.lo, inp.weight, inp.dx, inp.alliance, inp.alpha)
    return risk_from_security(
        _security(_eu_fast(inp.x, inp.salience, p, 1.0, mu, inp.dx, inp.Q, inp.T))
    )


def risk_exponents_reference(
    x, capability, salience, *, lo, hi, alliance=None, alpha=0.0, Q=1.0, T=1.0
):
    """Loop version of :func:`risk_exponents` (the test oracle)."""
    inp = _validate(x, capability, salience, lo, hi, alliance, alpha, Q, T)
    return _risk_reference(
        inp, forecast_reference(inp.x, inp.capability, inp.salience, inp.lo, inp.hi)[1]
    )


def _risk_reference(inp: _Inputs, mu: float) -> np.ndarray:
    n = inp.x.size
    p = _win_prob_reference(inp.x, inp.weight, inp.dx, inp.alliance, inp.alpha)
    eu1 = _eu_reference(inp.x, inp.salience, p, np.ones(n), mu, inp.dx, inp.Q, inp.T)
    security = [sum(eu1[j, i] for j in range(n) if j != i) for i in range(n)]
    return risk_from_security(np.array(security))


# --------------------------------------------------------------------------------------------
# offers and their resolution


def _select_offers(x: np.ndarray, eu: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each target j takes the offer with the highest ``EU_ij > 0``.

    Only actors at a different position make offers (a challenge from j's own position changes
    nothing; its EU is 0 in exact arithmetic when ``Q < 1`` and i sits at the median, and
    rounding must not turn that into an offer); ``EU_ij`` must exceed ``EU_EPS = 1e-12``.

    Offers within a relative 1e-9 of the best count as tied; ties go to the nearest challenger,
    then to the lower position (so the move does not depend on actor order), then to the lowest
    index. Returns ``(challenger, target)`` ordered by target.
    """
    offer = (eu > EU_EPS) & (x[:, None] != x[None, :])
    targets = np.flatnonzero(offer.any(axis=0))
    if targets.size == 0:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
    e = np.where(offer[:, targets], eu[:, targets], -np.inf)
    best = e.max(axis=0)
    tied = e >= best * (1.0 - TIE_RTOL)
    dist = np.where(tied, np.abs(x[:, None] - x[None, targets]), np.inf)
    nearest = tied & (dist == dist.min(axis=0))
    pos = np.where(nearest, x[:, None], np.inf)
    lowest = nearest & (pos == pos.min(axis=0))
    challengers = np.argmax(lowest, axis=0)  # first True: lowest index
    return challengers.astype(np.intp), targets.astype(np.intp)


def _resolve(eu_ij: np.ndarray, eu_ji: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Outcome and fraction of the way the target moves toward the challenger (``eu_ij > 0``).

    Comparisons carry a relative tolerance ``TIE_RTOL * eu_ij`` so that values equal in exact
    arithmetic (``eu_ji == eu_ij``, ``eu_ji == 0``, ``-eu_ji == eu_ij``) are not split by rounding:
    ``eu_ji`` within the tolerance of 0 counts as 0 (a compromise of length zero).
    """
    tol = TIE_RTOL * eu_ij
    stalemate = eu_ji >= eu_ij - tol
    conflict = ~stalemate & (eu_ji > tol)
    capitulation = ~stalemate & ~conflict & (-eu_ji >= eu_ij - tol)
    compromise = ~(stalemate | conflict | capitulation)
    outcome = np.full(eu_ij.shape, Outcome.STALEMATE, dtype=np.int64)
    outcome[conflict] = Outcome.CONFLICT
    outcome[compromise] = Outcome.COMPROMISE
    outcome[capitulation] = Outcome.CAPITULATION
    frac = np.zeros(eu_ij.shape)
    frac[conflict | capitulation] = 1.0
    frac[compromise] = np.maximum(-eu_ji[compromise], 0.0) / eu_ij[compromise]
    return outcome, frac


def bargain(x, capability, salience, *, lo, hi, alliance=None, alpha=0.0, Q=1.0, T=1.0):
    """One synchronous expected-utility bargaining pass on one issue.

    Steps, all from the state at the start of the pass: forecast (weighted mean, median ``mu``);
    win probabilities ``P``; risk exponents from ``EU`` at ``r = 1``; ``EU`` with those ``r``;
    every *i* offers to every *j* with ``EU_ij > 0``; each target takes its best offer and
    resolves it (:class:`Outcome`); then all moves are applied together and positions are clipped
    to ``[lo, hi]``.

    Args:
        x: (N,) current positions on the issue, clipped to ``[lo, hi]``.
        capability: (N,) capabilities ``c_i > 0``.
        salience: (N,) saliences ``s_i`` in [0, 1].
        lo, hi: smallest and largest ideal point on the issue (``dx = hi - lo``).
        alliance: optional (N, N) symmetric matrix in [-1, 1] (diagonal treated as 1).
        alpha: alliance influence >= 0 (0 ignores ``alliance`` and reproduces Scholz et al.).
        Q, T: probability that the status quo persists, and that it improves if it does not.

    Raises:
        ValueError: listing every invalid argument (shape, NaN, range).

    References: Bueno de Mesquita (1994); Scholz, Calbert & Smith (2011).
    """
    inp = _validate(x, capability, salience, lo, hi, alliance, alpha, Q, T)
    w, dx = inp.weight, inp.dx
    mean, mu = _forecast_fast(inp.x, w, dx)
    p = _win_prob_fast(inp.x - inp.lo, w, dx, inp.alliance, inp.alpha)
    r = risk_from_security(_security(_eu_fast(inp.x, inp.salience, p, 1.0, mu, dx, inp.Q, inp.T)))
    eu = _eu_fast(inp.x, inp.salience, p, r, mu, dx, inp.Q, inp.T)
    ch, tg = _select_offers(inp.x, eu)
    eu_ij, eu_ji = eu[ch, tg], eu[tg, ch]
    outcome, frac = _resolve(eu_ij, eu_ji)
    return _finish(inp, r, mean, mu, ch, tg, outcome, eu_ij, eu_ji, frac)


def _finish(inp, r, mean, mu, ch, tg, outcome, eu_ij, eu_ji, frac) -> BargainResult:
    before = inp.x[tg]
    after = np.clip(before + (inp.x[ch] - before) * frac, inp.lo, inp.hi)
    after = np.where(frac == 1.0, np.clip(inp.x[ch], inp.lo, inp.hi), after)  # exact landing
    positions = inp.x.copy()
    positions[tg] = after
    return BargainResult(
        positions=positions,
        risk=np.asarray(r, dtype=np.float64),
        weighted_mean=float(mean),
        median=float(mu),
        challenger=np.asarray(ch, dtype=np.intp),
        target=np.asarray(tg, dtype=np.intp),
        outcome=np.asarray(outcome, dtype=np.int64),
        eu_challenger=np.asarray(eu_ij, dtype=np.float64),
        eu_target=np.asarray(eu_ji, dtype=np.float64),
        position_before=np.asarray(before, dtype=np.float64),
        position_after=np.asarray(after, dtype=np.float64),
    )


def bargain_reference(x, capability, salience, *, lo, hi, alliance=None, alpha=0.0, Q=1.0, T=1.0):
    """Plain-loop version of :func:`bargain`, following the equations pair by pair (test oracle)."""
    inp = _validate(x, capability, salience, lo, hi, alliance, alpha, Q, T)
    n = inp.x.size
    mean, mu = forecast_reference(inp.x, inp.capability, inp.salience, inp.lo, inp.hi)
    p = _win_prob_reference(inp.x, inp.weight, inp.dx, inp.alliance, inp.alpha)
    r = _risk_reference(inp, mu)
    eu = _eu_reference(inp.x, inp.salience, p, r, mu, inp.dx, inp.Q, inp.T)
    rows: list[tuple[int, int, int, float, float, float]] = []
    for j in range(n):
        offers = [i for i in range(n) if inp.x[i] != inp.x[j] and eu[i, j] > EU_EPS]
        if not offers:
            continue
        best = max(eu[i, j] for i in offers)
        tied = [i for i in offers if eu[i, j] >= best * (1.0 - TIE_RTOL)]
        i = min(tied, key=lambda i: (abs(inp.x[i] - inp.x[j]), inp.x[i], i))
        e_ij, e_ji = eu[i, j], eu[j, i]
        tol = TIE_RTOL * e_ij  # values equal in exact arithmetic must not be split by rounding
        if e_ji >= e_ij - tol:
            kind, frac = Outcome.STALEMATE, 0.0
        elif e_ji > tol:
            kind, frac = Outcome.CONFLICT, 1.0
        elif -e_ji >= e_ij - tol:
            kind, frac = Outcome.CAPITULATION, 1.0
        else:
            kind, frac = Outcome.COMPROMISE, max(-e_ji, 0.0) / e_ij
        rows.append((i, j, int(kind), e_ij, e_ji, frac))
    cols = list(zip(*rows, strict=True)) if rows else [[]] * 6
    return _finish(
        inp,
        r,
        mean,
        mu,
        np.array(cols[0], dtype=np.intp),
        np.array(cols[1], dtype=np.intp),
        np.array(cols[2], dtype=np.int64),
        np.array(cols[3], dtype=np.float64),
        np.array(cols[4], dtype=np.float64),
        np.array(cols[5], dtype=np.float64),
    )
