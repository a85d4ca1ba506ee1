"""Issue payoffs of a treaty: who gains what, given who is in.

Each issue is a *game*: a frozen dataclass that holds the states' data for that issue, the
proposal on the table (0-100 axis) and a frozen parameter record. A game is a payoff function:
``game(members)`` returns the payoff of every state (shape ``(N,)``) given the member set
(bool, shape ``(N,)``). Games also offer

* ``in_out(members)``: every state's payoff when it is in and when it is out, the others fixed
  (vectorised, used by :func:`sim.coalitions.stability`);
* ``tracker(members)``: an incremental evaluator whose ``gain(i)`` (payoff in minus payoff out
  for state ``i``, the others fixed) costs O(1) and whose ``flip(i)`` costs at most O(N), used by
  the fast membership game in :mod:`sim.coalitions`.

Units. All payoffs are in one welfare unit, **percent of world GDP** (``%WGDP``), so issues can be
added in a package. Trade flows come from a gravity model on GDP shares; climate benefits and
costs are in the same unit once ``vulnerability`` and ``abatement_cost`` are calibrated (the
``damage_scale`` and ``cost_scale`` parameters convert scenario indices into it).

The plain functions :func:`climate_payoff`, :func:`trade_payoff`, :func:`security_payoff` and
:func:`club_payoff` are thin wrappers that build the game and evaluate it; :func:`issue_payoff`
and :data:`ISSUE_GAMES` let the model call payoffs generically by :class:`IssueKind`.

References
----------
Barrett (1994) Oxford Economic Papers 46:878; Carraro & Siniscalco (1993) J. Public Economics
52:309; Nordhaus (2015) American Economic Review 105(4):1339.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from .scenario import IssueKind

__all__ = [
    "ISSUE_GAMES",
    "ClimateGame",
    "ClimateParams",
    "ClubParams",
    "IssueGame",
    "IssueKind",
    "PackageGame",
    "SecurityGame",
    "SecurityParams",
    "Tracker",
    "TradeGame",
    "TradeParams",
    "as_members",
    "climate_abatement",
    "climate_payoff",
    "club_payoff",
    "gravity",
    "issue_payoff",
    "security_payoff",
    "trade_payoff",
]


# --------------------------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------------------------


def as_members(members: np.ndarray, n: int | None = None) -> np.ndarray:
    """Return ``members`` as a 1-D bool array, checking its length against ``n`` if given."""
    m = np.asarray(members)
    if m.ndim != 1:
        raise ValueError(f"members must be a 1-D array of N booleans, got shape {m.shape}")
    if n is not None and m.shape[0] != n:
        raise ValueError(f"members must have length N={n}, got {m.shape[0]}")
    return m.astype(bool, copy=False)


def _vector(name: str, x: np.ndarray, n: int | None = None, positive: bool = False) -> np.ndarray:
    v = np.asarray(x, dtype=float)
    if v.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of length N, got shape {v.shape}")
    if n is not None and v.shape[0] != n:
        raise ValueError(f"{name} must have length N={n}, got {v.shape[0]}")
    if not np.all(np.isfinite(v)):
        raise ValueError(f"{name} must be finite")
    if positive and np.any(v <= 0):
        raise ValueError(f"{name} must be > 0")
    return v


def _square(name: str, x: np.ndarray, n: int) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if a.shape != (n, n):
        raise ValueError(f"{name} must have shape ({n}, {n}), got {a.shape}")
    return a


def _proposal(p: float) -> float:
    p = float(p)
    if not 0.0 <= p <= 100.0:
        raise ValueError(f"proposal must be between 0 and 100, got {p}")
    return p


def gravity(gdp: np.ndarray, openness: float = 0.6) -> np.ndarray:
    """Gravity trade flows between states, in percent of world GDP.

    ``T_ij = 100 * openness * y_i * y_j`` with ``y = gdp / sum(gdp)`` the GDP shares, and
    ``T_ii = 0``. The total flow is ``100 * openness * (1 - sum_i y_i^2)`` %WGDP.

    Parameters
    ----------
    gdp : (N,) array, > 0, any unit (only shares matter).
    openness : world trade per unit of world GDP (default 0.6, roughly the 2020s value).

    References
    ----------
    Tinbergen (1962) gravity equation, with unit distances (no distance term).
    """
    g = _vector("gdp", gdp, positive=True)
    y = g / g.sum()
    t = 100.0 * float(openness) * np.outer(y, y)
    np.fill_diagonal(t, 0.0)
    return t


# --------------------------------------------------------------------------------------------
# protocols
# --------------------------------------------------------------------------------------------


class Tracker(Protocol):
    """Incremental evaluator of one game for one evolving member set."""

    def gain(self, i: int) -> float:
        """Payoff of state ``i`` in minus out, the others' membership fixed."""
        ...

    def flip(self, i: int) -> None:
        """Toggle state ``i``'s membership and update the running sums."""
        ...

    def gains(self) -> np.ndarray:
        """``gain(i)`` of every state at once, (N,), bit for bit the same values (O(N))."""
        ...


class IssueGame(Protocol):
    """A payoff function with an incremental evaluator (see module docstring)."""

    @property
    def n(self) -> int: ...

    def __call__(self, members: np.ndarray) -> np.ndarray: ...

    def in_out(self, members: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...

    def tracker(self, members: np.ndarray) -> Tracker: ...


# --------------------------------------------------------------------------------------------
# climate
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClimateParams:
    """Parameters of the climate (public-good) game.

    Attributes
    ----------
    damage_scale : %WGDP per unit of global abatement per unit of ``vulnerability`` (default 1.0);
        effective benefit ``b_i = damage_scale * vulnerability_i``.
    cost_scale : %WGDP per unit of squared abatement per unit of ``abatement_cost`` (default 1.0);
        effective cost slope ``g_i = cost_scale * abatement_cost_i``.
    """

    damage_scale: float = 1.0
    cost_scale: float = 1.0

    def __post_init__(self) -> None:
        if not (self.damage_scale >= 0 and np.isfinite(self.damage_scale)):
            raise ValueError(f"damage_scale must be >= 0, got {self.damage_scale}")
        if not (self.cost_scale > 0 and np.isfinite(self.cost_scale)):
            raise ValueError(f"cost_scale must be > 0, got {self.cost_scale}")


@dataclass(frozen=True, eq=False)
class ClimateGame:
    """Climate agreement as a public good (Barrett 1994; Carraro & Siniscalco 1993).

    Abatement ``q_i``; payoff ``pi_i = b_i * Q - (g_i / 2) * q_i^2`` with ``Q = sum_j q_j``.
    Outsiders abate at their Nash level ``b_i / g_i``. Members abate
    ``q_j = b_j / g_j + a * (B_S - b_j) / g_j`` with ``B_S`` the members' summed ``b`` and the
    ambition ``a = proposal / 100``: ``a = 1`` is the members' joint optimum ``B_S / g_j``,
    ``a = 0`` is Nash (a treaty without bite).

    Attributes
    ----------
    vulnerability : (N,) >= 0, climate benefit per unit of total abatement (scenario
        ``economics.vulnerability``).
    abatement_cost : (N,) > 0, cost slope g (scenario ``economics.abatement_cost``).
    proposal : ambition on the 0-100 climate axis (default 100 = joint optimum).
    params : :class:`ClimateParams`.

    References
    ----------
    Barrett (1994) Oxford Economic Papers 46:878; Carraro & Siniscalco (1993) J. Public
    Economics 52:309.
    """

    vulnerability: np.ndarray
    abatement_cost: np.ndarray
    proposal: float = 100.0
    params: ClimateParams = field(default_factory=ClimateParams)

    def __post_init__(self) -> None:
        b = _vector("vulnerability", self.vulnerability)
        if np.any(b < 0):
            raise ValueError("vulnerability must be >= 0")
        g = _vector("abatement_cost", self.abatement_cost, b.shape[0], positive=True)
        object.__setattr__(self, "vulnerability", b)
        object.__setattr__(self, "abatement_cost", g)
        object.__setattr__(self, "proposal", _proposal(self.proposal))

    @property
    def n(self) -> int:
        return int(self.vulnerability.shape[0])

    @property
    def b(self) -> np.ndarray:
        """Effective benefit per unit of total abatement, %WGDP."""
        return self.params.damage_scale * self.vulnerability

    @property
    def g(self) -> np.ndarray:
        """Effective cost slope, %WGDP per squared abatement unit."""
        return self.params.cost_scale * self.abatement_cost

    @property
    def ambition(self) -> float:
        return self.proposal / 100.0

    def abatement(self, members: np.ndarray) -> np.ndarray:
        """Abatement ``q`` of every state given the member set."""
        m = as_members(members, self.n)
        b, g, a = self.b, self.g, self.ambition
        bs = float(b[m].sum())
        return np.where(m, b / g + a * (bs - b) / g, b / g)

    def __call__(self, members: np.ndarray) -> np.ndarray:
        q = self.abatement(members)
        return self.b * q.sum() - 0.5 * self.g * q**2

    def in_out(self, members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        m = as_members(members, self.n)
        b, g, a = self.b, self.g, self.ambition
        nash = b / g
        n0 = float(nash.sum())
        # sums over the *other* members (i excluded)
        bo = float(b[m].sum()) - np.where(m, b, 0.0)
        ho = float((1.0 / g)[m].sum()) - np.where(m, 1.0 / g, 0.0)
        no = float(nash[m].sum()) - np.where(m, nash, 0.0)
        q_in = nash + a * bo / g
        tot_in = n0 + a * ((bo + b) * (ho + 1.0 / g) - (no + nash))
        tot_out = n0 + a * (bo * ho - no)
        p_in = b * tot_in - 0.5 * g * q_in**2
        p_out = b * tot_out - 0.5 * g * nash**2
        return p_in, p_out

    def tracker(self, members: np.ndarray) -> _ClimateTracker:
        return _ClimateTracker(self, as_members(members, self.n))


class _ClimateTracker:
    """Running sums B_S, H_S = sum 1/g, n_S = sum b/g over members: O(1) gain and flip."""

    def __init__(self, game: ClimateGame, members: np.ndarray) -> None:
        b, g = game.b, game.g
        self.b = b.tolist()
        self.g = g.tolist()
        self.nash = (b / g).tolist()
        self.n0 = float(sum(self.nash))
        self.a = game.ambition
        self.m = members.tolist()
        self.mask = members.copy()
        self.bs = float(b[members].sum())
        self.hs = float((1.0 / g)[members].sum())
        self.ns = float((b / g)[members].sum())
        self.b_arr, self.g_arr = b, g
        self.nash_arr, self.inv_g = b / g, 1.0 / g

    def gain(self, i: int) -> float:
        b, g, nash, a = self.b[i], self.g[i], self.nash[i], self.a
        if self.m[i]:
            bo, ho, no = self.bs - b, self.hs - 1.0 / g, self.ns - nash
        else:
            bo, ho, no = self.bs, self.hs, self.ns
        q_in = nash + a * bo / g
        tot_in = self.n0 + a * ((bo + b) * (ho + 1.0 / g) - (no + nash))
        tot_out = self.n0 + a * (bo * ho - no)
        return b * (tot_in - tot_out) - 0.5 * g * (q_in * q_in - nash * nash)

    def gains(self) -> np.ndarray:
        # the scalar formula of gain(), operation for operation, on whole arrays
        b, g, nash, inv_g, a = self.b_arr, self.g_arr, self.nash_arr, self.inv_g, self.a
        m = self.mask
        bo = np.where(m, self.bs - b, self.bs)
        ho = np.where(m, self.hs - inv_g, self.hs)
        no = np.where(m, self.ns - nash, self.ns)
        q_in = nash + a * bo / g
        tot_in = self.n0 + a * ((bo + b) * (ho + inv_g) - (no + nash))
        tot_out = self.n0 + a * (bo * ho - no)
        return b * (tot_in - tot_out) - 0.5 * g * (q_in * q_in - nash * nash)

    def flip(self, i: int) -> None:
        s = -1.0 if self.m[i] else 1.0
        self.m[i] = not self.m[i]
        self.mask[i] = self.m[i]
        self.bs += s * self.b[i]
        self.hs += s / self.g[i]
        self.ns += s * self.nash[i]


def climate_abatement(
    members: np.ndarray,
    vulnerability: np.ndarray,
    abatement_cost: np.ndarray,
    proposal: float = 100.0,
    params: ClimateParams | None = None,
) -> np.ndarray:
    """Abatement of every state given the climate member set (see :class:`ClimateGame`)."""
    game = ClimateGame(vulnerability, abatement_cost, proposal, params or ClimateParams())
    return game.abatement(members)


def climate_payoff(
    members: np.ndarray,
    vulnerability: np.ndarray,
    abatement_cost: np.ndarray,
    proposal: float = 100.0,
    params: ClimateParams | None = None,
) -> np.ndarray:
    """Climate payoff of every state, %WGDP (see :class:`ClimateGame`).

    Examples
    --------
    >>> p = climate_payoff(np.array([1, 1, 1, 0, 0], bool), np.ones(5), np.ones(5))
    >>> p.round(2).tolist()
    [6.5, 6.5, 6.5, 10.5, 10.5]

    References
    ----------
    Barrett (1994) Oxford Economic Papers 46:878.
    """
    game = ClimateGame(vulnerability, abatement_cost, proposal, params or ClimateParams())
    return game(members)


# --------------------------------------------------------------------------------------------
# trade
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TradeParams:
    """Parameters of the trade (club-good) game.

    Attributes
    ----------
    tariff_gain : welfare gain per unit of trade freed of tariffs (default 0.05: a 5 % average
        tariff removed, gain taken as the tariff rate times the flow).
    openness : world trade / world GDP used by :func:`gravity` (default 0.6).
    adjustment_cost : cost, as a fraction of the state's own GDP, of a proposal 100 points away
        from its ideal point (default 0.05); quadratic in the distance.
    """

    tariff_gain: float = 0.05
    openness: float = 0.6
    adjustment_cost: float = 0.05

    def __post_init__(self) -> None:
        for name in ("tariff_gain", "openness", "adjustment_cost"):
            v = getattr(self, name)
            if not (v >= 0 and np.isfinite(v)):
                raise ValueError(f"{name} must be >= 0, got {v}")


@dataclass(frozen=True, eq=False)
class TradeGame:
    """Trade liberalisation as a club good.

    Member ``i``: ``pi_i = tariff_gain * sum_{j in S, j != i} T_ij - adjustment_cost * 100 * y_i *
    (|proposal - ideal_i| / 100)^2`` with ``T`` the gravity flows (:func:`gravity`) and ``y_i``
    the GDP share. Outsiders get 0.

    Attributes
    ----------
    gdp : (N,) > 0, economic mass (any unit; only shares matter).
    ideal : (N,) ideal points on the 0-100 trade axis.
    proposal : proposed liberalisation, 0-100 (default 100 = full tariff removal).
    params : :class:`TradeParams`.
    """

    gdp: np.ndarray
    ideal: np.ndarray
    proposal: float = 100.0
    params: TradeParams = field(default_factory=TradeParams)

    def __post_init__(self) -> None:
        gdp = _vector("gdp", self.gdp, positive=True)
        ideal = _vector("ideal", self.ideal, gdp.shape[0])
        object.__setattr__(self, "gdp", gdp)
        object.__setattr__(self, "ideal", ideal)
        object.__setattr__(self, "proposal", _proposal(self.proposal))
        object.__setattr__(self, "flows", gravity(gdp, self.params.openness))

    flows: np.ndarray = field(init=False, repr=False)

    @property
    def n(self) -> int:
        return int(self.gdp.shape[0])

    @property
    def adjustment(self) -> np.ndarray:
        """Adjustment cost of each state if it joins, %WGDP."""
        y = self.gdp / self.gdp.sum()
        d = np.abs(self.proposal - self.ideal) / 100.0
        return self.params.adjustment_cost * 100.0 * y * d**2

    def __call__(self, members: np.ndarray) -> np.ndarray:
        m = as_members(members, self.n)
        inside = self.params.tariff_gain * (self.flows @ m) - self.adjustment
        return np.where(m, inside, 0.0)

    def in_out(self, members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        m = as_members(members, self.n)
        p_in = self.params.tariff_gain * (self.flows @ m) - self.adjustment
        return p_in, np.zeros(self.n)

    def tracker(self, members: np.ndarray) -> _FlowTracker:
        # gravity flows are exactly symmetric (y_i y_j == y_j y_i)
        return _FlowTracker(
            self.flows, members, self.params.tariff_gain, self.adjustment, symmetric=True
        )


class _FlowTracker:
    """gain_i = w * (F @ m)_i - c_i with a running F @ m: O(1) gain, O(N) flip."""

    def __init__(
        self, flows: np.ndarray, members: np.ndarray, weight: float, cost, symmetric: bool = False
    ) -> None:
        # row i = column i of F, for any F; a symmetric F is used as it is (no N x N copy)
        self.f = flows if symmetric else np.ascontiguousarray(flows.T)
        self.m = as_members(members, flows.shape[0]).copy()
        self.fm = flows @ self.m.astype(float)
        self.w = float(weight)
        self.c_arr = np.array(np.broadcast_to(np.asarray(cost, float), self.m.shape))
        self.c = self.c_arr.tolist()

    def gain(self, i: int) -> float:
        return self.w * float(self.fm[i]) - self.c[i]

    def gains(self) -> np.ndarray:
        return self.w * self.fm - self.c_arr

    def flip(self, i: int) -> None:
        if self.m[i]:
            self.fm -= self.f[i]
        else:
            self.fm += self.f[i]
        self.m[i] = not self.m[i]


def trade_payoff(
    members: np.ndarray,
    gdp: np.ndarray,
    ideal: np.ndarray,
    proposal: float = 100.0,
    params: TradeParams | None = None,
) -> np.ndarray:
    """Trade payoff of every state, %WGDP (see :class:`TradeGame`)."""
    return TradeGame(gdp, ideal, proposal, params or TradeParams())(members)


# --------------------------------------------------------------------------------------------
# security
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SecurityParams:
    """Parameters of the collective-defence game.

    Attributes
    ----------
    burden : beta, cost of membership per unit of own capability share (default 0.5).
    hostility : h, cost per unit of negative tie to each other member (default 0.5).
    """

    burden: float = 0.5
    hostility: float = 0.5

    def __post_init__(self) -> None:
        for name in ("burden", "hostility"):
            v = getattr(self, name)
            if not (v >= 0 and np.isfinite(v)):
                raise ValueError(f"{name} must be >= 0, got {v}")


@dataclass(frozen=True, eq=False)
class SecurityGame:
    """Collective defence.

    Member ``i``: ``pi_i = theta_i * C_S / C - beta * c_i / C - h * sum_{j in S, j != i}
    max(0, -a_ij)`` with ``C_S`` the members' summed capability and ``C`` everyone's. Outsiders 0.
    The proposal does not enter (a treaty either is or is not a defence pact).

    Attributes
    ----------
    capability : (N,) > 0.
    threat : (N,) >= 0, threat exposure theta.
    alliances : (N, N) signed tie weights in [-1, 1] (diagonal ignored).
    params : :class:`SecurityParams`.
    """

    capability: np.ndarray
    threat: np.ndarray
    alliances: np.ndarray
    params: SecurityParams = field(default_factory=SecurityParams)

    def __post_init__(self) -> None:
        c = _vector("capability", self.capability, positive=True)
        n = c.shape[0]
        th = _vector("threat", self.threat, n)
        a = _square("alliances", self.alliances, n)
        neg = np.negative(a)
        np.maximum(0.0, neg, out=neg)  # max(0, -a) with one N x N temporary
        np.fill_diagonal(neg, 0.0)
        object.__setattr__(self, "capability", c)
        object.__setattr__(self, "threat", th)
        object.__setattr__(self, "alliances", a)
        object.__setattr__(self, "enmity", neg)

    enmity: np.ndarray = field(init=False, repr=False)

    @property
    def n(self) -> int:
        return int(self.capability.shape[0])

    def in_out(self, members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        m = as_members(members, self.n)
        share = self.capability / self.capability.sum()
        others = float(share[m].sum()) - np.where(m, share, 0.0)
        p_in = (
            self.threat * (others + share)
            - self.params.burden * share
            - self.params.hostility * (self.enmity @ m)
        )
        return p_in, np.zeros(self.n)

    def __call__(self, members: np.ndarray) -> np.ndarray:
        m = as_members(members, self.n)
        return np.where(m, self.in_out(m)[0], 0.0)

    def tracker(self, members: np.ndarray) -> _SecurityTracker:
        return _SecurityTracker(self, as_members(members, self.n))


class _SecurityTracker:
    def __init__(self, game: SecurityGame, members: np.ndarray) -> None:
        share = game.capability / game.capability.sum()
        self.share = share.tolist()
        self.theta = game.threat.tolist()
        self.cs = float(share[members].sum())
        symmetric = np.array_equal(game.enmity, game.enmity.T)
        self.hostile = _FlowTracker(game.enmity, members, -game.params.hostility, 0.0, symmetric)
        self.beta = game.params.burden
        self.m = members.tolist()
        self.mask = members.copy()
        self.share_arr, self.theta_arr = share, game.threat

    def gain(self, i: int) -> float:
        c = self.share[i]
        others = self.cs - c if self.m[i] else self.cs
        return self.theta[i] * (others + c) - self.beta * c + self.hostile.gain(i)

    def gains(self) -> np.ndarray:
        c = self.share_arr
        others = np.where(self.mask, self.cs - c, self.cs)
        return self.theta_arr * (others + c) - self.beta * c + self.hostile.gains()

    def flip(self, i: int) -> None:
        self.cs += -self.share[i] if self.m[i] else self.share[i]
        self.m[i] = not self.m[i]
        self.mask[i] = self.m[i]
        self.hostile.flip(i)


def security_payoff(
    members: np.ndarray,
    capability: np.ndarray,
    threat: np.ndarray,
    alliances: np.ndarray,
    params: SecurityParams | None = None,
) -> np.ndarray:
    """Security payoff of every state (see :class:`SecurityGame`)."""
    return SecurityGame(capability, threat, alliances, params or SecurityParams())(members)


# --------------------------------------------------------------------------------------------
# linkage: packages and the climate club
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClubParams:
    """Parameters of a linked package / climate club.

    Attributes
    ----------
    penalty_tariff : tau, tariff members levy on imports from non-members (default 0.03 = 3 %,
        inside Nordhaus's 2-5 % range). An outsider loses ``tau`` times its exports to members.
    openness : world trade / world GDP for the penalty's gravity flows (default 0.6).
    """

    penalty_tariff: float = 0.03
    openness: float = 0.6

    def __post_init__(self) -> None:
        for name in ("penalty_tariff", "openness"):
            v = getattr(self, name)
            if not (v >= 0 and np.isfinite(v)):
                raise ValueError(f"{name} must be >= 0, got {v}")


@dataclass(frozen=True, eq=False)
class PackageGame:
    """A linked package: one membership decision for several issues, plus a penalty tariff.

    ``pi_i = sum_k pi_i^k(S) - tau * (1 - m_i) * sum_{j in S} T_ij`` with ``T`` the gravity
    flows on ``gdp``. A climate club (Nordhaus 2015) is ``components = (climate,)`` with
    ``tau > 0``; linking climate and trade is ``components = (climate, trade)``.

    Attributes
    ----------
    components : the issue games (all with the same N).
    gdp : (N,) > 0, for the penalty's gravity flows.
    params : :class:`ClubParams`.

    References
    ----------
    Nordhaus (2015) American Economic Review 105(4):1339 (climate clubs with a uniform penalty
    tariff on non-participants).
    """

    components: tuple[IssueGame, ...]
    gdp: np.ndarray
    params: ClubParams = field(default_factory=ClubParams)

    def __post_init__(self) -> None:
        comps = tuple(self.components)
        if not comps:
            raise ValueError("a package needs at least one component game")
        gdp = _vector("gdp", self.gdp, positive=True)
        for c in comps:
            if c.n != gdp.shape[0]:
                raise ValueError(f"component has N={c.n}, package gdp has N={gdp.shape[0]}")
        object.__setattr__(self, "components", comps)
        object.__setattr__(self, "gdp", gdp)
        object.__setattr__(self, "flows", gravity(gdp, self.params.openness))

    flows: np.ndarray = field(init=False, repr=False)

    @property
    def n(self) -> int:
        return int(self.gdp.shape[0])

    def penalty(self, members: np.ndarray) -> np.ndarray:
        """Loss of each state from the penalty tariff (0 for members), %WGDP."""
        m = as_members(members, self.n)
        return np.where(m, 0.0, self.params.penalty_tariff * (self.flows @ m))

    def __call__(self, members: np.ndarray) -> np.ndarray:
        m = as_members(members, self.n)
        return sum((c(m) for c in self.components), np.zeros(self.n)) - self.penalty(m)

    def in_out(self, members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        m = as_members(members, self.n)
        p_in, p_out = np.zeros(self.n), np.zeros(self.n)
        for c in self.components:
            a, b = c.in_out(m)
            p_in += a
            p_out += b
        p_out -= self.params.penalty_tariff * (self.flows @ m)
        return p_in, p_out

    def tracker(self, members: np.ndarray) -> _PackageTracker:
        m = as_members(members, self.n)
        parts: list[Tracker] = [c.tracker(m) for c in self.components]
        parts.append(_FlowTracker(self.flows, m, self.params.penalty_tariff, 0.0, symmetric=True))
        return _PackageTracker(parts, self.n)


class _PackageTracker:
    def __init__(self, parts: list[Tracker], n: int) -> None:
        self.parts = parts
        self.n = n

    def gain(self, i: int) -> float:
        return sum(p.gain(i) for p in self.parts)

    def gains(self) -> np.ndarray:
        """``gain`` of every state: the parts summed exactly as the built-in ``sum`` does.

        ``sum`` of floats (Python >= 3.12) is Neumaier's compensated summation; it is
        reproduced element by element so that the vectorised membership game decides exactly as
        the one-state-at-a-time loop. A part without ``gains`` is asked state by state.
        """
        parts = [
            p.gains() if hasattr(p, "gains") else np.array([p.gain(i) for i in range(self.n)])
            for p in self.parts
        ]
        total = parts[0] + 0.0  # sum() starts from 0
        comp = np.zeros_like(total)
        for x in parts[1:]:
            t = total + x
            comp += np.where(np.abs(total) >= np.abs(x), (total - t) + x, (x - t) + total)
            total = t
        return np.where((comp != 0.0) & np.isfinite(comp), total + comp, total)

    def flip(self, i: int) -> None:
        for p in self.parts:
            p.flip(i)


def club_payoff(
    members: np.ndarray,
    vulnerability: np.ndarray,
    abatement_cost: np.ndarray,
    gdp: np.ndarray,
    proposal: float = 50.0,
    params: ClubParams | None = None,
    climate: ClimateParams | None = None,
) -> np.ndarray:
    """Payoff of every state in a Nordhaus climate club (climate game plus penalty tariff).

    References
    ----------
    Nordhaus (2015) American Economic Review 105(4):1339.
    """
    game = PackageGame(
        (ClimateGame(vulnerability, abatement_cost, proposal, climate or ClimateParams()),),
        gdp,
        params or ClubParams(),
    )
    return game(members)


# --------------------------------------------------------------------------------------------
# registry
# --------------------------------------------------------------------------------------------

#: Game class per issue kind; every key is documented in docs/model.md.
ISSUE_GAMES: dict[IssueKind, Callable[..., IssueGame]] = {
    IssueKind.CLIMATE: ClimateGame,
    IssueKind.TRADE: TradeGame,
    IssueKind.SECURITY: SecurityGame,
}


def issue_payoff(kind: IssueKind | str, members: np.ndarray, **data) -> np.ndarray:
    """Payoff of every state for issue ``kind`` given the member set.

    ``data`` are the keyword arguments of the kind's game class (``ISSUE_GAMES[kind]``), e.g.
    ``issue_payoff("trade", m, gdp=gdp, ideal=ideal, proposal=80)``.
    """
    try:
        cls = ISSUE_GAMES[IssueKind(kind)]
    except (ValueError, KeyError):
        known = ", ".join(k.value for k in ISSUE_GAMES)
        raise ValueError(f"no payoff model for issue kind {kind!r}; known: {known}") from None
    return cls(**data)(members)
