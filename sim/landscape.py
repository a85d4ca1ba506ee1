"""Landscape theory of aggregation: two-bloc configurations and their energy.

States have sizes ``s_i`` (capability) and pairwise propensities ``p_ij`` (positive: want to be
together, e.g. alliance weights). A configuration puts every state on side 0 or side 1 (bool
vector, True = side 1). Its energy (frustration) is

    E(X) = sum_{i<j} s_i s_j p_ij d_ij(X),   d_ij = 1 when i and j are on different sides.

With ``w_ij = s_i s_j p_ij`` and spins ``sigma = 1 - 2 x`` this is ``E = W/2 - sigma' w sigma / 4``
(``W = sum_{i<j} w_ij``), and switching state ``k`` changes the energy by
``dE_k = sigma_k (w sigma)_k``: a configuration is a local minimum when every ``dE_k >= 0``.
Configurations and their mirror image have the same energy; results are in canonical form,
state 0 on side 0.

The exhaustive search enumerates the 2^(N-1) canonical configurations in blocks: the low
``L`` states are tabulated once (all 2^L patterns, vectorised), the remaining states are walked in
Gray-code order so that each step changes one state and updates all 2^L energies with one
vector operation (O(2^L) per step, O(2^(N-1)) in total).

References
----------
Axelrod & Bennett (1993) British J. Political Science 23(2):211.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

__all__ = [
    "EXHAUSTIVE_MAX",
    "LOCAL_MINIMA_EXHAUSTIVE_MAX",
    "LocalMinima",
    "Minimum",
    "MyopicPath",
    "energy",
    "global_minimum",
    "global_minimum_reference",
    "local_minima",
    "local_minima_reference",
    "minima",
    "myopic_path",
]

#: Largest N searched exhaustively by default by :func:`global_minimum` (2^25 configurations).
EXHAUSTIVE_MAX = 26
#: Largest N for which :func:`local_minima` enumerates by default.
LOCAL_MINIMA_EXHAUSTIVE_MAX = 20
#: Low block size of the enumeration (2^16 energies per vector operation).
_BLOCK = 16


# --------------------------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------------------------


def _weights(sizes: np.ndarray, propensity: np.ndarray) -> np.ndarray:
    s = np.asarray(sizes, dtype=float)
    if s.ndim != 1 or s.shape[0] < 1:
        raise ValueError(f"sizes must be a non-empty 1-D array, got shape {s.shape}")
    if not np.all(np.isfinite(s)) or np.any(s < 0):
        raise ValueError("sizes must be finite and >= 0")
    n = s.shape[0]
    p = np.asarray(propensity, dtype=float)
    if p.shape != (n, n):
        raise ValueError(f"propensity must have shape ({n}, {n}), got {p.shape}")
    if not np.all(np.isfinite(p)):
        raise ValueError("propensity must be finite")
    if not np.array_equal(p, p.T) and not np.allclose(p, p.T, rtol=0.0, atol=1e-12):
        raise ValueError("propensity must be symmetric")
    w = np.outer(s, s) * p
    np.fill_diagonal(w, 0.0)
    return w


def _config(config: np.ndarray, n: int) -> np.ndarray:
    x = np.asarray(config)
    if x.shape[-1:] != (n,) or x.ndim not in (1, 2):
        raise ValueError(f"config must have shape ({n},) or (K, {n}), got {x.shape}")
    if not np.all((x == 0) | (x == 1)):
        raise ValueError("config entries must be 0/1 or booleans (the side of each state)")
    return x.astype(bool)


def _canonical(x: np.ndarray) -> np.ndarray:
    """Mirror configurations so that state 0 is on side 0."""
    return np.where(x[..., :1], ~x, x)


def _energies(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Direct energies of a (K, N) batch of configurations (exact 0 for one bloc)."""
    xf = x.astype(float)
    return xf @ w.sum(axis=1) - np.einsum("ki,ij,kj->k", xf, w, xf)


def _tol(w: np.ndarray) -> float:
    return 1e-12 * max(1.0, float(np.abs(w).sum()))


def energy(sizes: np.ndarray, propensity: np.ndarray, config: np.ndarray) -> np.ndarray | float:
    """Energy (frustration) of one configuration, or of each row of a (K, N) batch.

    ``E(X) = sum_{i<j} s_i s_j p_ij d_ij(X)`` with ``d_ij = 1`` when ``x_i != x_j``.

    Examples
    --------
    >>> p = np.array([[0, 1, -1], [1, 0, -1], [-1, -1, 0]])
    >>> float(energy(np.ones(3), p, np.array([0, 0, 1])))
    -2.0

    References
    ----------
    Axelrod & Bennett (1993) British J. Political Science 23(2):211.
    """
    w = _weights(sizes, propensity)
    x = _config(config, w.shape[0]).astype(float)
    # sum_{i<j} w_ij (x_i + x_j - 2 x_i x_j) = x . (w 1) - x' w x
    e = x @ w.sum(axis=1) - np.einsum("...i,ij,...j->...", x, w, x)
    return float(e) if np.ndim(e) == 0 else e


# --------------------------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Minimum:
    """Lowest-energy configuration found.

    Attributes
    ----------
    config : (N,) bool, True = side 1; state 0 on side 0.
    energy : its energy (units of size^2 x propensity).
    exhaustive : True when every configuration was examined (a proven global minimum).
    """

    config: np.ndarray
    energy: float
    exhaustive: bool


@dataclass(frozen=True, eq=False)
class LocalMinima:
    """Configurations where no single state lowers the energy by switching sides.

    Attributes
    ----------
    configs : (M, N) bool, canonical (state 0 on side 0), ordered by energy (from local
        search: energies within the tolerance count as tied, kept in lexicographic order).
    energies : (M,).
    exhaustive : True when found by enumeration (the complete set), False from local search.
    """

    configs: np.ndarray
    energies: np.ndarray
    exhaustive: bool


@dataclass(frozen=True, eq=False)
class MyopicPath:
    """A sequence of single-state switches, each lowering the energy.

    Attributes
    ----------
    configs : (T + 1, N) bool, from the start to the final (locally minimal) configuration.
    energies : (T + 1,), strictly decreasing.
    switched : (T,) int, the state that switched at each step.
    """

    configs: np.ndarray
    energies: np.ndarray
    switched: np.ndarray


# --------------------------------------------------------------------------------------------
# exhaustive enumeration
# --------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _spins_table(n: int) -> np.ndarray:
    """(2^n, n) spins +-1 of every bit pattern (bit j of the row index = state j on side 1).

    Depends on n only, so it is cached (read-only; 8 MiB at n = 16).
    """
    codes = np.arange(2**n, dtype="<u4").view(np.uint8).reshape(-1, 4)
    bits = np.unpackbits(codes, axis=1, bitorder="little")[:, :n]
    table = 1.0 - 2.0 * bits
    table.setflags(write=False)
    return table


class _Enumeration:
    """Block Gray-code walk over the 2^(N-1) canonical configurations.

    Low block: states 1..nl (tabulated). Rest R: state 0 (fixed spin +1) and states nl+1..N-1
    (walked in Gray-code order). For the current spins of R, ``q`` holds ``sigma' w sigma`` of
    every low pattern.
    """

    def __init__(self, w: np.ndarray, block: int = _BLOCK) -> None:
        n = w.shape[0]
        self.n = n
        self.nl = min(n - 1, block)
        low = np.arange(1, 1 + self.nl)
        rest = np.concatenate(([0], np.arange(1 + self.nl, n))).astype(np.int64)
        self.low, self.rest = low, rest
        self.sl = _spins_table(self.nl)  # (2^nl, nl)
        w_ll = w[np.ix_(low, low)]
        w_lr = w[np.ix_(low, rest)]
        self.w_rr = w[np.ix_(rest, rest)]
        # einsum, not @: these skinny products are faster without BLAS threads
        self.ml = np.einsum("ki,ij->kj", self.sl, w_ll)  # low-low field, (2^nl, nl)
        self.q_low = np.einsum("ki,ki->k", self.ml, self.sl)
        # (|R|, 2^nl): low-rest coupling, rows contiguous for the Gray-code updates
        self.pt = np.ascontiguousarray(np.einsum("ki,ir->rk", self.sl, w_lr))
        self.w_lr = w_lr
        self.sr = np.ones(len(rest))
        self.fr = self.w_rr @ self.sr  # rest-rest field
        self.v = self.pt.sum(axis=0)  # sum_r pt[r] * sr[r]
        self.c_rr = float(self.sr @ self.fr)
        self.steps = 2 ** (len(rest) - 1)
        self.buf = np.empty_like(self.q_low)

    def q(self) -> np.ndarray:
        """sigma' w sigma for every low pattern, current rest spins (a reused buffer)."""
        np.multiply(self.v, 2.0, out=self.buf)
        self.buf += self.q_low
        self.buf += self.c_rr
        return self.buf

    def flip(self, t: int) -> None:
        """Gray-code step t (1-based): flip the rest state of t's lowest set bit."""
        r = (t & -t).bit_length()  # rest index 1.. (0 is state 0, never flipped)
        old = self.sr[r]
        self.c_rr -= 4.0 * old * self.fr[r]
        self.fr -= 2.0 * old * self.w_rr[:, r]
        self.v -= 2.0 * old * self.pt[r]
        self.sr[r] = -old

    def configs(self, rows: np.ndarray) -> np.ndarray:
        """Side vectors (bool, (len(rows), N)) of low patterns ``rows`` with the current rest."""
        x = np.empty((len(rows), self.n), dtype=bool)
        x[:, self.low] = self.sl[rows] < 0
        x[:, self.rest] = self.sr < 0
        return x

    def local_rows(self, tol: float) -> np.ndarray:
        """Low patterns that are local minima with the current rest spins."""
        f_low = self.ml + (self.w_lr @ self.sr)[None, :]
        ok = np.all(self.sl * f_low >= -tol, axis=1)
        f_rest = self.pt.T + self.fr[None, :]
        ok &= np.all(self.sr[None, :] * f_rest >= -tol, axis=1)
        return np.flatnonzero(ok)


def _exhaustive_minimum(w: np.ndarray) -> tuple[np.ndarray, float]:
    if w.shape[0] == 1:
        return np.zeros(1, dtype=bool), 0.0
    en = _Enumeration(w)
    best_q, best_x = -np.inf, None
    for t in range(en.steps):
        if t:
            en.flip(t)
        q = en.q()
        k = int(np.argmax(q))
        if q[k] > best_q:
            best_q, best_x = float(q[k]), en.configs(np.array([k]))[0]
    # the Gray-code value only ranks configurations; report the directly computed energy
    return best_x, float(_energies(w, best_x[None, :])[0])


def global_minimum(
    sizes: np.ndarray,
    propensity: np.ndarray,
    rng: np.random.Generator | None = None,
    *,
    exhaustive: bool | None = None,
    starts: int = 200,
) -> Minimum:
    """Lowest-energy two-bloc configuration.

    Exhaustive (a proven minimum) when ``N <= EXHAUSTIVE_MAX`` (26) or ``exhaustive=True``:
    Gray-code block enumeration of all 2^(N-1) canonical configurations, about 0.02 s at N = 20
    and 0.2 s at N = 24. Otherwise steepest-descent local search from ``starts`` random
    configurations drawn from ``rng`` (required then), keeping the best.

    References
    ----------
    Axelrod & Bennett (1993) British J. Political Science 23(2):211.
    """
    w = _weights(sizes, propensity)
    n = w.shape[0]
    if exhaustive is None:
        exhaustive = n <= EXHAUSTIVE_MAX
    if exhaustive:
        x, e = _exhaustive_minimum(w)
        return Minimum(x, e, True)
    if rng is None:
        raise ValueError(f"N={n} > {EXHAUSTIVE_MAX}: local search needs rng=np.random.Generator")
    found = _multistart(w, rng, starts)
    k = int(np.argmin(found.energies))
    return Minimum(found.configs[k], float(found.energies[k]), False)


def global_minimum_reference(sizes: np.ndarray, propensity: np.ndarray) -> Minimum:
    """Plain brute force: :func:`energy` of every canonical configuration, one at a time."""
    w = _weights(sizes, propensity)
    n = w.shape[0]
    best_e, best_x = np.inf, None
    for code in range(2 ** (n - 1)):
        x = np.zeros(n, dtype=bool)
        x[1:] = (code >> np.arange(n - 1)) & 1
        e = energy(sizes, propensity, x)
        if e < best_e:
            best_e, best_x = e, x
    return Minimum(best_x, float(best_e), True)


# --------------------------------------------------------------------------------------------
# local minima
# --------------------------------------------------------------------------------------------


#: Largest K N^2 for which the local fields of K configurations are computed with einsum.
EINSUM_MAX_WORK = 2**23


def _fields(sig: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Local fields ``sig @ w`` of a (K, N) batch; without BLAS when small (K = 64: N <= 362).

    OpenBLAS multithreads a product this size; on a small machine shared with other processes
    the waiting thread costs 10-30 ms per call, far more than einsum's own loop (0.5 ms at
    K = 64, N = 193).
    """
    k, n = sig.shape
    if k * n * n <= EINSUM_MAX_WORK:
        return np.einsum("ki,ij->kj", sig, w)
    return sig @ w


def _descend(w: np.ndarray, x: np.ndarray, tol: float) -> np.ndarray:
    """Steepest descent of a batch (K, N) of configurations to local minima (vectorised).

    Every row flips, per step, the state with the most negative ``dE_k`` (first on ties) until
    no switch lowers the energy by more than ``tol``. Rows are independent; once at most half of
    the rows still move, the finished ones are set aside so later steps touch only live rows.
    Each row's arithmetic does not depend on the others: the result is that of
    :func:`_descend_reference`, one row at a time.
    """
    sig = 1.0 - 2.0 * x
    field = _fields(sig, w)
    n = w.shape[0]
    live = np.arange(len(sig))
    s, f = sig, field
    delta, upd = np.empty_like(s), np.empty_like(s)
    base = np.arange(len(s)) * n  # flat index of each row's first entry
    for _ in range(10 * n + 10):
        np.multiply(s, f, out=delta)
        k = delta.argmin(axis=1)
        flat = base + k
        move = delta.ravel().take(flat) < -tol
        moving = int(np.count_nonzero(move))
        if moving == 0:
            break
        coef = None
        if moving < len(k):
            if 2 * moving <= len(k):  # set the finished rows aside
                sig[live], field[live] = s, f
                live, k = live[move], k[move]
                s, f = sig[live], field[live]
                delta, upd = np.empty_like(s), np.empty_like(s)
                base = np.arange(moving) * n
                flat = base + k
            else:  # a zero coefficient leaves a finished row exactly as it was
                coef = move
        sv = s.ravel()
        old = sv.take(flat)
        if coef is None:
            sv[flat] = -old
            coef = 2.0 * old
        else:
            sv[flat] = np.where(coef, -old, old)
            coef = 2.0 * old * coef
        np.multiply(coef[:, None], w.take(k, axis=0), out=upd)
        f -= upd
    sig[live], field[live] = s, f
    return sig < 0


def _descend_reference(w: np.ndarray, x: np.ndarray, tol: float) -> np.ndarray:
    """:func:`_descend` one configuration at a time, one flip at a time (slow reference)."""
    out = np.empty(np.shape(x), dtype=bool)
    fields = _fields(1.0 - 2.0 * x, w)  # the same starting fields as the batch
    for r, row in enumerate(np.asarray(x, dtype=bool)):
        sig = 1.0 - 2.0 * row
        field = fields[r].copy()
        for _ in range(10 * w.shape[0] + 10):
            delta = sig * field
            k = int(np.argmin(delta))
            if not delta[k] < -tol:
                break
            old = sig[k]
            sig[k] = -old
            field = field - (2.0 * old) * w[k]
        out[r] = sig < 0
    return out


def _batch_energies(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Energies of a (K, N) batch, the formula of :func:`_energies` in two-operand steps.

    Four times faster than the three-operand einsum; still einsum, not BLAS, so the values do
    not depend on the BLAS library or its thread count.
    """
    xf = x.astype(float)
    linear = np.einsum("ki,i->k", xf, w.sum(axis=1))
    return linear - np.einsum("ki,ki->k", np.einsum("ki,ij->kj", xf, w), xf)


def _by_energy(e: np.ndarray, tol: float) -> np.ndarray:
    """Order by energy; energies within about ``tol`` keep their given (lexicographic) order.

    Exact ties are common (a state without ties can sit on either side at no cost); ranking
    them by rounding noise would make the order depend on the summation order of the energy.
    """
    return np.argsort(np.round(e / tol), kind="stable")


def _multistart(w: np.ndarray, rng: np.random.Generator, starts: int) -> LocalMinima:
    """Distinct end points of steepest descent from ``starts`` random configurations.

    Canonical, deduplicated (``np.unique`` order) and sorted by energy (ties within the
    tolerance in lexicographic order), so the first row is the best found; ``rng`` draws one
    (starts, N) block.
    """
    if starts < 1:
        raise ValueError(f"starts must be >= 1, got {starts}")
    n = w.shape[0]
    x0 = rng.random((starts, n)) < 0.5
    tol = _tol(w)
    x = _canonical(_descend(w, x0, tol))
    x = np.unique(x, axis=0)
    e = _batch_energies(w, x)
    order = _by_energy(e, tol)
    return LocalMinima(x[order], e[order], False)


def local_minima(
    sizes: np.ndarray,
    propensity: np.ndarray,
    rng: np.random.Generator | None = None,
    *,
    exhaustive: bool | None = None,
    starts: int = 500,
) -> LocalMinima:
    """All configurations in which no single state lowers the energy by switching.

    Exhaustive for ``N <= LOCAL_MINIMA_EXHAUSTIVE_MAX`` (20) or ``exhaustive=True``: the test
    ``dE_k = sigma_k (w sigma)_k >= 0`` for all k is vectorised over each Gray-code block.
    Otherwise the distinct end points of steepest descent from ``starts`` random
    configurations (``rng`` required): a subset of the local minima, the deep ones most likely.

    References
    ----------
    Axelrod & Bennett (1993) British J. Political Science 23(2):211.
    """
    w = _weights(sizes, propensity)
    n = w.shape[0]
    if exhaustive is None:
        exhaustive = n <= LOCAL_MINIMA_EXHAUSTIVE_MAX
    if not exhaustive:
        if rng is None:
            raise ValueError(
                f"N={n} > {LOCAL_MINIMA_EXHAUSTIVE_MAX}: local search needs rng=np.random.Generator"
            )
        return _multistart(w, rng, starts)
    if n == 1:
        return LocalMinima(np.zeros((1, 1), dtype=bool), np.zeros(1), True)
    tol = _tol(w)
    en = _Enumeration(w, block=min(_BLOCK, 14))
    xs = []
    for t in range(en.steps):
        if t:
            en.flip(t)
        rows = en.local_rows(tol)
        if len(rows):
            xs.append(en.configs(rows))
    x = np.concatenate(xs) if xs else np.zeros((0, n), dtype=bool)
    e = _energies(w, x)
    order = np.argsort(e, kind="stable")
    return LocalMinima(x[order], e[order], True)


def local_minima_reference(sizes: np.ndarray, propensity: np.ndarray) -> LocalMinima:
    """Brute force: every canonical configuration, every single switch, via :func:`energy`."""
    w = _weights(sizes, propensity)
    n = w.shape[0]
    tol = _tol(w)
    xs, es = [], []
    for code in range(2 ** (n - 1)):
        x = np.zeros(n, dtype=bool)
        x[1:] = (code >> np.arange(n - 1)) & 1
        e = energy(sizes, propensity, x)
        flipped = np.where(np.eye(n, dtype=bool), ~x, x)
        if np.all(energy(sizes, propensity, flipped) >= e - tol):
            xs.append(x)
            es.append(e)
    x = np.array(xs, dtype=bool).reshape(-1, n)
    e = np.array(es, dtype=float)
    order = np.argsort(e, kind="stable")
    return LocalMinima(x[order], e[order], True)


def minima(
    sizes: np.ndarray,
    propensity: np.ndarray,
    rng: np.random.Generator | None = None,
    *,
    starts: int = 64,
    exhaustive_max: int = EXHAUSTIVE_MAX,
    local_exhaustive_max: int = LOCAL_MINIMA_EXHAUSTIVE_MAX,
) -> tuple[Minimum, LocalMinima]:
    """The global minimum and the local minima of one landscape, sharing the work.

    * ``N <= local_exhaustive_max`` (and ``<= exhaustive_max``): one enumeration gives every
      local minimum; the global minimum is the lowest of them (a global minimum is also a local
      one). Only when the two lowest are tied within the tolerance is the separate exhaustive
      search run, so the result is the one :func:`global_minimum` would give.
    * ``N <= exhaustive_max``: exhaustive global minimum, local minima from ``starts`` descents.
    * otherwise: ONE multistart of ``starts`` descents (``rng`` draws one (starts, N) block);
      the best end point is the reported minimum and the first of the local minima, instead of
      two independent multistarts as ``global_minimum`` plus ``local_minima`` would run.

    References
    ----------
    Axelrod & Bennett (1993) British J. Political Science 23(2):211.
    """
    w = _weights(sizes, propensity)
    n = w.shape[0]
    if n <= min(exhaustive_max, local_exhaustive_max):
        local = local_minima(sizes, propensity, exhaustive=True)
        e = local.energies
        if n > 1 and (len(e) < 2 or e[1] - e[0] > _tol(w)):
            x = local.configs[0]
            # energy of the single row, exactly as global_minimum reports it
            return Minimum(x.copy(), float(_energies(w, x[None, :])[0]), True), local
        return global_minimum(sizes, propensity, exhaustive=True), local
    if rng is None:
        raise ValueError(
            f"N={n} > {local_exhaustive_max}: local search needs rng=np.random.Generator"
        )
    if n <= exhaustive_max:
        best = global_minimum(sizes, propensity, exhaustive=True)
        return best, _multistart(w, rng, starts)
    local = _multistart(w, rng, starts)
    return Minimum(local.configs[0], float(local.energies[0]), False), local


def myopic_path(
    sizes: np.ndarray,
    propensity: np.ndarray,
    config: np.ndarray,
    rng: np.random.Generator,
    max_steps: int | None = None,
) -> MyopicPath:
    """Myopic adjustment: one state at a time switches sides if that lowers the energy.

    At each step one state is drawn uniformly from those whose switch strictly lowers the
    energy (its own frustration falls by the same amount), until none is left (a local minimum)
    or ``max_steps`` (default ``10 N^2``) is reached. Configurations are not canonicalised.

    References
    ----------
    Axelrod & Bennett (1993) British J. Political Science 23(2):211.
    """
    w = _weights(sizes, propensity)
    n = w.shape[0]
    x = _config(config, n)
    if x.ndim != 1:
        raise ValueError(f"config must have shape ({n},), got {x.shape}")
    tol = _tol(w)
    limit = 10 * n * n if max_steps is None else int(max_steps)
    sig = 1.0 - 2.0 * x
    field = w @ sig
    e = float(energy(sizes, propensity, x))
    configs, energies, switched = [sig < 0], [e], []
    while len(switched) < limit:
        delta = sig * field
        better = np.flatnonzero(delta < -tol)
        if not len(better):
            break
        k = int(better[rng.integers(len(better))])
        e += float(delta[k])
        old = sig[k]
        sig[k] = -old
        field -= 2.0 * old * w[:, k]
        configs.append(sig < 0)
        energies.append(e)
        switched.append(k)
    return MyopicPath(np.array(configs), np.array(energies), np.array(switched, dtype=np.int64))
