"""The membership game of a treaty: best responses, stability and transfers.

A *payoff function* maps a member set (bool, shape ``(N,)``) to every state's payoff (shape
``(N,)``). The games of :mod:`sim.payoffs` are payoff functions that also offer a vectorised
``in_out`` and an incremental ``tracker``; any plain callable works too, at the cost of full
recomputation.

Conventions (documented in docs/model.md, section 4):

* a state *gains from joining* when ``payoff_in - payoff_out >= -atol``: indifference (within
  ``atol``, default 1e-9 payoff units) is resolved in favour of membership;
* internally stable: no member strictly gains by leaving (``payoff_out - payoff_in <= atol``);
* externally stable: no outsider gains by joining; with ``prefer_membership=True`` (default, the
  same convention as the membership game) an indifferent outsider counts as joining, so a
  coalition is stable exactly when it is a rest point of :func:`membership_game`; with
  ``prefer_membership=False`` only a strict gain counts (d'Aspremont et al. 1983).

References
----------
d'Aspremont, Jacquemin, Gabszewicz & Weymark (1983) Canadian J. Economics 16:17;
Carraro, Eyckmans & Finus (2006) Review of International Organizations 1:379;
Nagashima, Dellink, van Ierland & Weikard (2009) Ecological Economics 68:1476.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .payoffs import as_members

__all__ = [
    "ATOL",
    "GameResult",
    "PayoffFn",
    "Stability",
    "StableCoalitions",
    "Switch",
    "Transfers",
    "in_out",
    "largest_stable_coalition",
    "membership_game",
    "membership_game_reference",
    "optimal_transfers",
    "potentially_internally_stable",
    "stability",
    "stable_coalitions",
]

#: Payoff differences within this many payoff units count as indifference.
ATOL = 1e-9

PayoffFn = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Switch:
    """One membership change in the game: in ``sweep`` (1-based), ``state`` joined or left."""

    sweep: int
    state: int
    joined: bool


@dataclass(frozen=True, eq=False)
class GameResult:
    """Outcome of :func:`membership_game`.

    Attributes
    ----------
    members : (N,) bool, the final member set.
    settled : True when the last sweep changed nothing (a Nash equilibrium of the membership
        game); False when ``max_iter`` sweeps were used up.
    iterations : number of sweeps run.
    switches : every change, in order.
    """

    members: np.ndarray
    settled: bool
    iterations: int
    switches: tuple[Switch, ...]

    @property
    def size(self) -> int:
        return int(self.members.sum())


def _start(n: int, initial: np.ndarray | None) -> np.ndarray:
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    if initial is None:
        return np.zeros(n, dtype=bool)
    return as_members(initial, n).copy()


class _ReferenceTracker:
    """Recomputes the full payoff vector twice for every decision (slow reference)."""

    def __init__(self, payoff_fn: PayoffFn, members: np.ndarray) -> None:
        self.fn = payoff_fn
        self.m = members.copy()

    def gain(self, i: int) -> float:
        m = self.m.copy()
        m[i] = True
        p_in = float(np.asarray(self.fn(m))[i])
        m[i] = False
        p_out = float(np.asarray(self.fn(m))[i])
        return p_in - p_out

    def flip(self, i: int) -> None:
        self.m[i] = not self.m[i]


def membership_game(
    payoff_fn: PayoffFn,
    n: int,
    rng: np.random.Generator,
    initial: np.ndarray | None = None,
    max_iter: int = 100,
    *,
    atol: float = ATOL,
    incremental: bool | None = None,
) -> GameResult:
    """Best-response dynamics of the join / stay-out game.

    Each sweep visits every state once in a fresh random order (``rng.permutation(n)``); the
    visited state joins when its payoff in is at least its payoff out (within ``atol``), the
    others as they are now, and leaves otherwise. Sweeps repeat until one changes nothing
    (``settled``) or ``max_iter`` sweeps have run. Changes apply at once (asynchronous best
    response), so the order matters and comes from ``rng``.

    Parameters
    ----------
    payoff_fn : members -> payoffs (N,); a game from :mod:`sim.payoffs` for the fast path.
    n : number of states.
    rng : the only source of randomness.
    initial : starting member set (default: nobody).
    max_iter : most sweeps (default 100).
    atol : indifference tolerance, payoff units.
    incremental : use ``payoff_fn.tracker`` (O(1) decisions, O(N) switches; with the tracker's
        vectorised ``gains()`` a sweep skips ahead to the next state that changes its mind, see
        :func:`_sweep_scan`). Default: when available. ``False`` recomputes the full payoff
        vector for every decision.
    """
    if max_iter < 1:
        raise ValueError(f"max_iter must be >= 1, got {max_iter}")
    m = _start(n, initial)
    use_fast = hasattr(payoff_fn, "tracker") if incremental is None else incremental
    if use_fast and not hasattr(payoff_fn, "tracker"):
        raise ValueError("incremental=True needs a game with a tracker() method")
    tracker = payoff_fn.tracker(m) if use_fast else _ReferenceTracker(payoff_fn, m)
    sweep_fn = _sweep_scan if use_fast and hasattr(tracker, "gains") else _sweep_loop
    switches: list[Switch] = []
    settled = False
    sweep = 0
    while sweep < max_iter:
        sweep += 1
        before = len(switches)
        sweep_fn(tracker, m, rng.permutation(n), atol, sweep, switches)
        if len(switches) == before:
            settled = True
            break
    return GameResult(m, settled, sweep, tuple(switches))


def _sweep_loop(tracker, m, order, atol, sweep, switches) -> None:
    """One sweep, one ``gain`` call per state in ``order`` (the plain rule)."""
    for i in order.tolist():
        join = tracker.gain(i) >= -atol
        if join != m[i]:
            tracker.flip(i)
            m[i] = join
            switches.append(Switch(sweep, i, join))


#: After a switch, this many states are decided one by one before the next vectorised scan.
_SCALAR_RUN = 16


def _sweep_scan(tracker, m, order, atol, sweep, switches) -> None:
    """The sweep of :func:`_sweep_loop`, skipping ahead with vectorised scans.

    ``tracker.gains()`` gives every state's gain with the current members (bit for bit the
    values ``gain`` returns), so one vector comparison finds the next state in ``order`` whose
    decision differs from its membership: every state before it keeps its membership, exactly
    as in the one-by-one loop. After a switch the gains change, so the next ``_SCALAR_RUN``
    states are decided one by one (cheap when switches come in runs, as in a first sweep from
    nobody), then scanning resumes. Same decisions, same order, same result.
    """
    n = len(order)
    seq = order.tolist()
    pos = 0
    while pos < n:
        rest = order[pos:]
        join = tracker.gains()[rest] >= -atol
        differ = np.flatnonzero(join != m[rest])
        if not len(differ):
            return
        pos += int(differ[0])
        i, j = seq[pos], bool(join[differ[0]])
        tracker.flip(i)
        m[i] = j
        switches.append(Switch(sweep, i, j))
        pos += 1
        quiet = 0
        while pos < n and quiet < _SCALAR_RUN:
            i = seq[pos]
            j = tracker.gain(i) >= -atol
            if j != m[i]:
                tracker.flip(i)
                m[i] = j
                switches.append(Switch(sweep, i, j))
                quiet = 0
            else:
                quiet += 1
            pos += 1


def membership_game_reference(
    payoff_fn: PayoffFn,
    n: int,
    rng: np.random.Generator,
    initial: np.ndarray | None = None,
    max_iter: int = 100,
    *,
    atol: float = ATOL,
) -> GameResult:
    """:func:`membership_game` recomputing every payoff from scratch (slow reference)."""
    return membership_game(payoff_fn, n, rng, initial, max_iter, atol=atol, incremental=False)


# --------------------------------------------------------------------------------------------
# stability
# --------------------------------------------------------------------------------------------


def in_out(payoff_fn: PayoffFn, members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each state's payoff with itself in and out of ``members``, the others fixed.

    Uses ``payoff_fn.in_out`` when the game has one (vectorised), else 2N calls.
    """
    m = as_members(members)
    if hasattr(payoff_fn, "in_out"):
        p_in, p_out = payoff_fn.in_out(m)
        return np.asarray(p_in, float), np.asarray(p_out, float)
    n = m.shape[0]
    p_in, p_out = np.empty(n), np.empty(n)
    for i in range(n):
        x = m.copy()
        x[i] = True
        p_in[i] = np.asarray(payoff_fn(x))[i]
        x[i] = False
        p_out[i] = np.asarray(payoff_fn(x))[i]
    return p_in, p_out


@dataclass(frozen=True, eq=False)
class Stability:
    """Internal and external stability of one member set (d'Aspremont et al. 1983).

    Attributes
    ----------
    members : (N,) bool.
    internally_stable : no member gains by leaving.
    externally_stable : no outsider gains by joining (see module docstring for ties).
    leaver, leave_gain : the member with the largest ``payoff_out - payoff_in`` and that value
        (may be <= 0); ``None`` and ``-inf`` when there are no members.
    joiner, join_gain : the outsider with the largest ``payoff_in - payoff_out`` and that value;
        ``None`` and ``-inf`` when everyone is in.
    payoff_in, payoff_out : (N,) each state's payoff with itself in / out, others fixed.
    """

    members: np.ndarray
    internally_stable: bool
    externally_stable: bool
    leaver: int | None
    leave_gain: float
    joiner: int | None
    join_gain: float
    payoff_in: np.ndarray
    payoff_out: np.ndarray

    @property
    def stable(self) -> bool:
        return self.internally_stable and self.externally_stable


def stability(
    payoff_fn: PayoffFn,
    members: np.ndarray,
    *,
    atol: float = ATOL,
    prefer_membership: bool = True,
) -> Stability:
    """Stability report of ``members`` under ``payoff_fn``.

    References
    ----------
    d'Aspremont et al. (1983) Canadian J. Economics 16:17.
    """
    m = as_members(members).copy()
    p_in, p_out = in_out(payoff_fn, m)
    gain = p_in - p_out
    if m.any():
        idx = np.flatnonzero(m)
        k = idx[np.argmax(-gain[idx])]
        leaver, leave_gain = int(k), float(-gain[k])
    else:
        leaver, leave_gain = None, float("-inf")
    if (~m).any():
        idx = np.flatnonzero(~m)
        k = idx[np.argmax(gain[idx])]
        joiner, join_gain = int(k), float(gain[k])
    else:
        joiner, join_gain = None, float("-inf")
    internal = leave_gain <= atol
    external = join_gain < -atol if prefer_membership else join_gain <= atol
    return Stability(
        m, bool(internal), bool(external), leaver, leave_gain, joiner, join_gain, p_in, p_out
    )


# --------------------------------------------------------------------------------------------
# transfers
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Transfers:
    """Optimal transfer scheme for one coalition (Carraro, Eyckmans & Finus 2006).

    Attributes
    ----------
    members : (N,) bool.
    surplus : ``sum_{i in S} (payoff_in_i - payoff_out_i)``, the coalition's gain over every
        member's free-riding option.
    potentially_internally_stable : ``surplus >= -atol``.
    transfers : (N,) received (> 0) or paid (< 0) by each member; sums to 0; 0 for outsiders.
    payoffs : (N,) transfer-adjusted payoffs: ``payoff_out_i + w_i * surplus`` for members,
        the plain payoff for outsiders.
    """

    members: np.ndarray
    surplus: float
    potentially_internally_stable: bool
    transfers: np.ndarray
    payoffs: np.ndarray


def optimal_transfers(
    payoff_in: np.ndarray,
    payoff_out: np.ndarray,
    members: np.ndarray,
    share: np.ndarray | None = None,
    *,
    atol: float = ATOL,
) -> Transfers:
    """Redistribute a coalition's payoff so every member gets its outside option plus a share.

    Member ``i`` ends with ``payoff_out_i + w_i * surplus``, where ``surplus = sum_{j in S}
    (payoff_in_j - payoff_out_j)`` and ``w`` are sharing weights over members (``share``
    normalised over members; default equal shares). The transfer is ``t_i = payoff_out_i +
    w_i * surplus - payoff_in_i``; transfers sum to zero. When ``surplus >= 0`` no member gains
    by leaving: the coalition is potentially internally stable, and no other budget-balanced
    scheme can make a coalition stable that this one cannot.

    References
    ----------
    Carraro, Eyckmans & Finus (2006) Review of International Organizations 1:379; Nagashima
    et al. (2009) Ecological Economics 68:1476 (STACO sharing rules).
    """
    m = as_members(members)
    n = m.shape[0]
    p_in = np.asarray(payoff_in, float)
    p_out = np.asarray(payoff_out, float)
    if p_in.shape != (n,) or p_out.shape != (n,):
        raise ValueError(f"payoff_in and payoff_out must have shape ({n},)")
    if share is None:
        w = m.astype(float)
    else:
        w = np.asarray(share, float)
        if w.shape != (n,) or np.any(w < 0):
            raise ValueError(f"share must be a non-negative array of shape ({n},)")
        w = np.where(m, w, 0.0)
    if m.any() and w.sum() <= 0:
        raise ValueError("share must be positive for at least one member")
    w = w / w.sum() if m.any() else w
    surplus = float((p_in - p_out)[m].sum())
    adjusted = np.where(m, p_out + w * surplus, p_out)
    t = np.where(m, adjusted - p_in, 0.0)
    return Transfers(m.copy(), surplus, surplus >= -atol, t, adjusted)


def potentially_internally_stable(
    payoff_fn: PayoffFn, members: np.ndarray, *, atol: float = ATOL
) -> bool:
    """True when optimal transfers can keep every member in (surplus >= 0)."""
    m = as_members(members)
    p_in, p_out = in_out(payoff_fn, m)
    return bool((p_in - p_out)[m].sum() >= -atol)


@dataclass(frozen=True, eq=False)
class StableCoalitions:
    """All stable coalitions of a game, found by enumeration.

    Attributes
    ----------
    coalitions : (K, N) bool, one stable member set per row (ordered by size, then by index).
    transfers : whether stability allows optimal transfers.
    """

    coalitions: np.ndarray
    transfers: bool

    @property
    def sizes(self) -> np.ndarray:
        return self.coalitions.sum(axis=1)

    @property
    def largest(self) -> np.ndarray | None:
        """The largest stable coalition (first among equals), or None."""
        if not len(self.coalitions):
            return None
        return self.coalitions[int(np.argmax(self.sizes))]


def _all_coalitions(n: int) -> np.ndarray:
    codes = np.arange(2**n, dtype=np.int64)
    return ((codes[:, None] >> np.arange(n)) & 1).astype(bool)


def stable_coalitions(
    payoff_fn: PayoffFn,
    n: int,
    *,
    transfers: bool = False,
    atol: float = ATOL,
    min_size: int = 1,
) -> StableCoalitions:
    """Enumerate all ``2^n`` member sets and keep the stable ones (``n <= 16``).

    Without transfers: internally and externally stable (:func:`stability`, ties favour
    membership). With transfers: potentially internally stable (``surplus(S) >= 0``) and
    potentially externally stable (no outsider ``j`` with ``S + j`` potentially internally
    stable: with optimal transfers ``j`` would get at least its outside option by joining).

    References
    ----------
    Carraro, Eyckmans & Finus (2006) Review of International Organizations 1:379.
    """
    if not 1 <= n <= 16:
        raise ValueError(f"stable_coalitions enumerates 2^n sets; n must be 1..16, got {n}")
    sets = _all_coalitions(n)
    keep = np.zeros(len(sets), dtype=bool)
    if not transfers:
        for k, m in enumerate(sets):
            keep[k] = stability(payoff_fn, m, atol=atol).stable
    else:
        pis = np.zeros(len(sets), dtype=bool)
        for k, m in enumerate(sets):
            p_in, p_out = in_out(payoff_fn, m)
            pis[k] = (p_in - p_out)[m].sum() >= -atol
        bits = 1 << np.arange(n)
        for k, m in enumerate(sets):
            if pis[k]:
                grown = k | bits[~m]
                keep[k] = not pis[grown].any()
    found = sets[keep & (sets.sum(axis=1) >= min_size)]
    order = np.lexsort((np.arange(len(found)), found.sum(axis=1)))
    return StableCoalitions(found[order], transfers)


def largest_stable_coalition(
    payoff_fn: PayoffFn, n: int, *, transfers: bool = False, atol: float = ATOL
) -> np.ndarray | None:
    """The largest stable member set (see :func:`stable_coalitions`), or None if none."""
    return stable_coalitions(payoff_fn, n, transfers=transfers, atol=atol).largest
