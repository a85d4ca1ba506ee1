"""Alliance dynamics and structural balance on the signed alliance matrix.

The alliance graph is held as a symmetric (N, N) float matrix ``A`` with ``a_ij`` in [-1, 1]
(+1 formal alliance, 0 neutral or absent, -1 hostile) and a zero diagonal. All functions here are
pure: they take arrays and return new arrays.

References
----------
Heider (1946) J. Psychology 21:107; Cartwright & Harary (1956) Psychological Review 63:277;
Antal, Krapivsky & Redner (2005) Physical Review E 72:036121.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "AllianceParams",
    "Cliques",
    "TriadDynamics",
    "sign_matrix",
    "triad_dynamics",
    "two_cliques",
    "unbalanced_triads",
    "unbalanced_triads_reference",
    "update_alliances",
]


def _square(name: str, x: np.ndarray, n: int | None = None) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"{name} must be a square (N, N) matrix, got shape {a.shape}")
    if n is not None and a.shape[0] != n:
        raise ValueError(f"{name} must have shape ({n}, {n}), got {a.shape}")
    return a


def _symmetric(name: str, a: np.ndarray) -> None:
    # exact equality first: ten times cheaper than allclose, and the model's ties are exact
    if not np.array_equal(a, a.T) and not np.allclose(a, a.T, rtol=0.0, atol=1e-12):
        raise ValueError(f"{name} must be symmetric")


@dataclass(frozen=True)
class AllianceParams:
    """Rates of the alliance update, per round (all in tie-weight units, weights in [-1, 1]).

    Attributes
    ----------
    strengthen : added to a tie per shared treaty this round (default 0.05).
    weaken : subtracted from a tie across a lost conflict (default 0.05).
    decay : fraction of the gap to the scenario baseline closed each round (default 0.02,
        a half-life of about 34 rounds).
    """

    strengthen: float = 0.05
    weaken: float = 0.05
    decay: float = 0.02

    def __post_init__(self) -> None:
        for name in ("strengthen", "weaken"):
            v = getattr(self, name)
            if not (v >= 0 and np.isfinite(v)):
                raise ValueError(f"{name} must be >= 0, got {v}")
        if not 0 <= self.decay <= 1:
            raise ValueError(f"decay must be between 0 and 1, got {self.decay}")


_DEFAULT = AllianceParams()


def update_alliances(
    A: np.ndarray,
    baseline: np.ndarray,
    comember: np.ndarray,
    lost_conflict: np.ndarray,
    *,
    strengthen: float = _DEFAULT.strengthen,
    weaken: float = _DEFAULT.weaken,
    decay: float = _DEFAULT.decay,
) -> np.ndarray:
    """One round of alliance change.

    ``A_new = clip(A + strengthen * C - weaken * L + decay * (baseline - A), -1, 1)`` with
    ``C`` the number of treaties each pair co-signed this round and ``L`` the indicator of
    pairs on the two sides of a lost conflict; the result is symmetrised and its diagonal zeroed.

    Parameters
    ----------
    A, baseline : (N, N) symmetric tie weights in [-1, 1].
    comember : (N, N) non-negative counts (or 0/1 indicators) of treaty co-membership.
    lost_conflict : (N, N) 0/1 indicator, symmetric.
    strengthen, weaken, decay : see :class:`AllianceParams` (defaults 0.05, 0.05, 0.02).
    """
    AllianceParams(strengthen, weaken, decay)  # validates the rates
    a = _square("A", A)
    n = a.shape[0]
    base = _square("baseline", baseline, n)
    c = _square("comember", comember, n)
    lost = _square("lost_conflict", lost_conflict, n)
    new = a + strengthen * c - weaken * lost + decay * (base - a)
    new = 0.5 * (new + new.T)
    np.clip(new, -1.0, 1.0, out=new)
    np.fill_diagonal(new, 0.0)
    return new


def sign_matrix(A: np.ndarray, eps: float = 0.0) -> np.ndarray:
    """Signs of the ties, 0 where ``|a_ij| <= eps`` and on the diagonal (int8)."""
    a = _square("A", A)
    s = np.where(np.abs(a) > eps, np.sign(a), 0.0).astype(np.int8)
    np.fill_diagonal(s, 0)
    return s


def unbalanced_triads(A: np.ndarray, eps: float = 0.0) -> int:
    """Number of triangles with three ties ``|a| > eps`` whose sign product is negative.

    With ``S = sign(A)`` masked by ``|A| > eps`` (zero diagonal), ``trace(S^3)`` counts every
    triangle six times with its sign product and ``trace(|S|^3)`` six times with weight 1, so
    ``unbalanced = (trace(|S|^3) - trace(S^3)) / 12``. O(N^3), in float32: every entry of
    ``S @ S`` is an integer of at most N, exact in float32 (N < 2^24), and the traces are summed
    in float64, so the count is exact at half the cost of float64 products.

    References
    ----------
    Cartwright & Harary (1956) Psychological Review 63:277.
    """
    a = _square("A", A)
    _symmetric("A", a)
    e = max(float(eps), 0.0)  # |a| > eps for eps < 0 keeps every nonzero tie, as eps = 0
    pos, neg = a > e, a < -e
    np.fill_diagonal(pos, False)
    np.fill_diagonal(neg, False)
    s = pos.astype(np.float32)
    s -= neg
    u = (pos | neg).astype(np.float32)
    # S is symmetric, so trace(S S S) = sum_ij (S S)_ij S_ij
    signed = float(np.multiply(_square_of(s), s).sum(dtype=np.float64))
    total = float(np.multiply(_square_of(u), u).sum(dtype=np.float64))
    return round((total - signed) / 12.0)


#: Largest N^3 for which S @ S is computed with einsum rather than BLAS (about 1 ms).
EINSUM_MAX_WORK = 2**23


def _square_of(s: np.ndarray) -> np.ndarray:
    """``s @ s``; without BLAS for small N (N <= 203).

    A BLAS product this size is multithreaded by OpenBLAS, and on a small machine shared with
    other processes the waiting thread costs 10-30 ms per call (and slows the rest of the round
    while it spins); einsum's own loop takes about 1 ms at N = 193. The entries are integers,
    so both give the same exact result.
    """
    n = s.shape[0]
    if n**3 <= EINSUM_MAX_WORK:
        return np.einsum("ij,jk->ik", s, s)
    return s @ s


def unbalanced_triads_reference(A: np.ndarray, eps: float = 0.0) -> int:
    """Triple loop over i < j < k (slow reference for :func:`unbalanced_triads`)."""
    s = sign_matrix(A, eps)
    n = s.shape[0]
    count = 0
    for i in range(n):
        for j in range(i + 1, n):
            for k in range(j + 1, n):
                prod = int(s[i, j]) * int(s[j, k]) * int(s[i, k])
                if prod < 0:
                    count += 1
    return count


@dataclass(frozen=True, eq=False)
class Cliques:
    """The two hostile cliques of a complete balanced signed graph.

    Attributes
    ----------
    first : sorted indices of the clique holding state 0.
    second : sorted indices of the other clique (may be empty).
    side : (N,) bool, True for states in ``second``.
    """

    first: np.ndarray
    second: np.ndarray
    side: np.ndarray


def two_cliques(A: np.ndarray, eps: float = 0.0) -> Cliques:
    """Split a complete balanced signed graph into its two hostile cliques.

    By the structure theorem, every tie is nonzero and balanced iff the states split into at
    most two groups, positive inside and negative across: state 0's friends are its group.

    Raises
    ------
    ValueError
        When a tie is zero (the graph is not complete) or the graph is not balanced.

    References
    ----------
    Cartwright & Harary (1956) Psychological Review 63:277.
    """
    s = sign_matrix(A, eps)
    n = s.shape[0]
    off = ~np.eye(n, dtype=bool)
    if np.any(s[off] == 0):
        raise ValueError("two_cliques needs a complete signed graph: some ties are zero")
    side = s[0] < 0
    side[0] = False
    sigma = np.where(side, -1, 1)
    expected = np.outer(sigma, sigma)
    if np.any(s[off] != expected[off]):
        raise ValueError("the signed graph is not balanced: it has no split into two cliques")
    return Cliques(np.flatnonzero(~side), np.flatnonzero(side), side)


@dataclass(frozen=True, eq=False)
class TriadDynamics:
    """Result of :func:`triad_dynamics`.

    Attributes
    ----------
    A : (N, N) the new tie matrix (magnitudes kept, some signs flipped).
    flips : number of ties whose sign flipped (= steps run).
    balanced : True when no unbalanced triad was left at the end.
    """

    A: np.ndarray
    flips: int
    balanced: bool


class _IndexedSet:
    """A set of ints with O(1) add, remove and uniform random choice."""

    def __init__(self) -> None:
        self.items: list[int] = []
        self.pos: dict[int, int] = {}

    def toggle(self, x: int) -> None:
        if x in self.pos:
            k = self.pos.pop(x)
            last = self.items.pop()
            if last != x:
                self.items[k] = last
                self.pos[last] = k
        else:
            self.pos[x] = len(self.items)
            self.items.append(x)

    def __len__(self) -> int:
        return len(self.items)


def triad_dynamics(
    A: np.ndarray,
    p: float,
    rng: np.random.Generator,
    steps: int,
    eps: float = 0.0,
) -> TriadDynamics:
    """Local triad dynamics (Antal, Krapivsky & Redner 2005).

    Each step picks an unbalanced triad uniformly at random. If it has a positive tie, then with
    probability ``p`` one of its negative ties (chosen at random) turns positive, else one of its
    positive ties turns negative; a triad of three negative ties always has one turned positive
    (as in the original model). A flip keeps the tie's magnitude. Stops after ``steps`` flips or
    when no unbalanced triad is left. Ties with ``|a| <= eps`` are absent and never change.
    The set of unbalanced triads is updated in O(N) per flip (a flip toggles the balance of every
    triangle on that edge).

    Parameters
    ----------
    A : (N, N) symmetric tie weights.
    p : probability in [0, 1] of the friendly move.
    rng : the only source of randomness.
    steps : most flips (>= 0).

    References
    ----------
    Antal, Krapivsky & Redner (2005) Physical Review E 72:036121.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be between 0 and 1, got {p}")
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    a = _square("A", A).copy()
    _symmetric("A", a)
    np.fill_diagonal(a, 0.0)
    s = sign_matrix(a, eps).astype(np.int64)
    n = s.shape[0]

    def key(i: int, j: int, k: int) -> int:
        i, j, k = sorted((i, j, k))
        return (i * n + j) * n + k

    live = _IndexedSet()
    for i in range(n):
        for j in range(i + 1, n):
            if s[i, j] == 0:
                continue
            ks = np.arange(j + 1, n)
            bad = (s[i, ks] * s[j, ks] * s[i, j]) < 0
            for k in ks[bad].tolist():
                live.toggle((i * n + j) * n + k)

    flips = 0
    while flips < steps and len(live):
        code = live.items[int(rng.integers(len(live)))]
        i, rest = divmod(code, n * n)
        j, k = divmod(rest, n)
        edges = ((i, j), (j, k), (i, k))
        neg = [e for e in edges if s[e] < 0]
        pos = [e for e in edges if s[e] > 0]
        if pos and rng.random() >= p:
            u, v = pos[int(rng.integers(len(pos)))]
        else:
            u, v = neg[int(rng.integers(len(neg)))]
        s[u, v] = s[v, u] = -s[u, v]
        a[u, v] = a[v, u] = -a[u, v]
        flips += 1
        others = np.flatnonzero((s[u] != 0) & (s[v] != 0)).tolist()
        for w in others:
            live.toggle(key(u, v, w))
    return TriadDynamics(a, flips, len(live) == 0)
