"""Summits: treaty proposals, membership games, stability, transfers, and the bloc split.

This module turns the model's arrays into the pure games of :mod:`sim.payoffs` and runs them with
:mod:`sim.coalitions` and :mod:`sim.landscape`; it holds no maths of its own beyond the glue. It
also writes each decision in words ("India stayed out of the climate treaty: ...").
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

import numpy as np

from .bargaining import forecast
from .coalitions import in_out, membership_game, optimal_transfers, stability
from .landscape import minima
from .narrative import treaty_reason
from .payoffs import (
    ClimateGame,
    ClimateParams,
    ClubParams,
    PackageGame,
    SecurityGame,
    SecurityParams,
    TradeGame,
    TradeParams,
)
from .scenario import IssueKind, Scenario, TreatySpec

if TYPE_CHECKING:
    from .model import NegotiationModel

#: Parameter records settable under ``parameters.payoffs.<kind>`` in a scenario.
PAYOFF_PARAMS = {
    "climate": ClimateParams,
    "trade": TradeParams,
    "security": SecurityParams,
    "club": ClubParams,
}


def payoff_params(scenario: Scenario, kind: str):
    """The kind's parameter record with the scenario's overrides applied."""
    cls = PAYOFF_PARAMS[kind]
    return cls(**scenario.parameters.payoffs.get(kind, {}))


def payoff_param_names() -> dict[str, list[str]]:
    return {k: [f.name for f in fields(c)] for k, c in PAYOFF_PARAMS.items()}


def default_treaties(scenario: Scenario) -> list[TreatySpec]:
    """The scenario's treaties, or one per issue with a payoff model."""
    if scenario.treaties is not None:
        return list(scenario.treaties)
    return [
        TreatySpec(name=f"{i.name} treaty", issues=[i.name])
        for i in scenario.issues
        if i.payoff_kind != IssueKind.OTHER
    ]


@dataclass(frozen=True, eq=False)
class TreatyOutcome:
    """One treaty after a summit's membership game."""

    name: str
    issues: tuple[str, ...]
    proposal: tuple[float, ...]
    members: tuple[str, ...]
    member_mask: np.ndarray
    internally_stable: bool
    externally_stable: bool
    settled: bool
    payoff_in: np.ndarray
    payoff_out: np.ndarray
    leaver: str | None
    leave_gain: float
    joiner: str | None
    join_gain: float
    transfers: np.ndarray | None

    @property
    def stable(self) -> bool:
        return self.internally_stable and self.externally_stable


@dataclass(frozen=True, eq=False)
class BlocOutcome:
    """The two-bloc split of lowest energy found at a summit, and the other local minima."""

    side: np.ndarray
    energy: float
    is_global: bool
    local_configs: np.ndarray
    local_energies: np.ndarray


class Summit:
    """Builds and runs the games of one summit for a model."""

    def __init__(self, model: NegotiationModel):
        self.model = model
        self.spec = model.spec
        self.kinds = {i.name: i.payoff_kind for i in self.spec.issues}
        econ = [s.economics for s in self.spec.states]
        self.vulnerability = np.array([e.vulnerability for e in econ])
        self.abatement_cost = np.array([e.abatement_cost for e in econ])
        self.threat = np.array([e.threat for e in econ])
        self.gdp = np.array(
            [
                e.gdp
                if e.gdp is not None
                else (
                    s.indicators.gdp_usd_billions
                    if s.indicators is not None and s.indicators.gdp_usd_billions
                    else s.capability
                )
                for e, s in zip(econ, self.spec.states, strict=True)
            ]
        )

    def _proposal(self, treaty: TreatySpec, issue: str) -> float:
        """Fixed proposal, else the current forecast median; on the issue's own axis."""
        if issue in treaty.proposal:
            return float(treaty.proposal[issue])
        m = self.model
        k = m.issue_names.index(issue)
        idx = np.flatnonzero(m.active[:, k])
        ideal = m.ideal[idx, k]
        _, median = forecast(
            m.position[idx, k], m.capability[idx], m.salience[idx, k], ideal.min(), ideal.max()
        )
        return float(median)

    def _to_100(self, issue: str, value: float) -> float:
        spec = self.spec.issues[self.model.issue_names.index(issue)]
        return float(np.clip(100.0 * (value - spec.min) / (spec.max - spec.min), 0.0, 100.0))

    def _to_100_all(self, issue: str, values: np.ndarray) -> np.ndarray:
        """:meth:`_to_100` of every value at once (the same operations, element by element)."""
        spec = self.spec.issues[self.model.issue_names.index(issue)]
        return np.clip(100.0 * (values - spec.min) / (spec.max - spec.min), 0.0, 100.0)

    def game(self, treaty: TreatySpec, idx: np.ndarray, proposals: list[float]):
        m = self.model
        parts = []
        for issue, p in zip(treaty.issues, proposals, strict=True):
            kind = self.kinds[issue]
            p100 = self._to_100(issue, p)
            k = m.issue_names.index(issue)
            if kind == IssueKind.CLIMATE:
                parts.append(
                    ClimateGame(
                        self.vulnerability[idx],
                        self.abatement_cost[idx],
                        p100,
                        payoff_params(self.spec, "climate"),
                    )
                )
            elif kind == IssueKind.TRADE:
                ideal = self._to_100_all(issue, m.ideal[idx, k])
                parts.append(
                    TradeGame(self.gdp[idx], ideal, p100, payoff_params(self.spec, "trade"))
                )
            elif kind == IssueKind.SECURITY:
                parts.append(
                    SecurityGame(
                        m.capability[idx],
                        self.threat[idx],
                        _block(np.asarray(m.alliances.weights), idx),
                        payoff_params(self.spec, "security"),
                    )
                )
        if len(parts) == 1 and treaty.penalty_tariff == 0:
            return parts[0]
        club = payoff_params(self.spec, "club")
        params = ClubParams(penalty_tariff=treaty.penalty_tariff, openness=club.openness)
        return PackageGame(tuple(parts), self.gdp[idx], params)

    def run_treaty(self, treaty: TreatySpec, previous: np.ndarray | None) -> TreatyOutcome:
        m = self.model
        ks = [m.issue_names.index(i) for i in treaty.issues]
        idx = np.flatnonzero(m.active[:, ks].all(axis=1))
        proposals = [self._proposal(treaty, i) for i in treaty.issues]
        game = self.game(treaty, idx, proposals)
        initial = previous[idx] if previous is not None else None
        fn = game
        if treaty.transfers > 0:
            fn = _with_transfers(game, treaty.transfers)
        result = membership_game(
            fn,
            len(idx),
            m.rng,
            initial=initial,
            max_iter=m.params.game_max_iter,
            incremental=False if m.reference else None,
        )
        st = stability(fn, result.members)
        names = np.asarray(m.state_names, dtype=object)[idx]
        full = np.zeros(m.n, dtype=bool)
        full[idx] = result.members
        p_in = np.full(m.n, np.nan)
        p_out = np.full(m.n, np.nan)
        p_in[idx], p_out[idx] = st.payoff_in, st.payoff_out
        transfers = None
        if treaty.transfers > 0:
            raw_in, raw_out = in_out(game, result.members)
            tr = optimal_transfers(raw_in, raw_out, result.members)
            transfers = np.zeros(m.n)
            transfers[idx] = treaty.transfers * tr.transfers
        return TreatyOutcome(
            name=treaty.name,
            issues=tuple(treaty.issues),
            proposal=tuple(proposals),
            members=tuple(names[result.members]),
            member_mask=full,
            internally_stable=st.internally_stable,
            externally_stable=st.externally_stable,
            settled=result.settled,
            payoff_in=p_in,
            payoff_out=p_out,
            leaver=None if st.leaver is None else str(names[st.leaver]),
            leave_gain=st.leave_gain,
            joiner=None if st.joiner is None else str(names[st.joiner]),
            join_gain=st.join_gain,
            transfers=transfers,
        )

    def blocs(self) -> BlocOutcome:
        """Global and local minima of the bloc landscape (one shared search, see ``minima``)."""
        m = self.model
        sizes, prop = landscape_inputs(m)
        cfg = m.params.blocs
        best, local = minima(
            sizes,
            prop,
            m.rng,
            starts=cfg.starts,
            exhaustive_max=cfg.exhaustive_max,
            local_exhaustive_max=min(cfg.exhaustive_max, 20),
        )
        return BlocOutcome(best.config, best.energy, best.exhaustive, local.configs, local.energies)


def _block(a: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``a[np.ix_(idx, idx)]``, without the N x N copy when ``idx`` is every state in order."""
    if len(idx) == a.shape[0] and (len(idx) == 0 or idx[-1] == len(idx) - 1):
        return a  # idx is sorted and unique (flatnonzero), so it is 0..N-1
    return a[np.ix_(idx, idx)]


def landscape_inputs(model: NegotiationModel) -> tuple[np.ndarray, np.ndarray]:
    """Sizes (capability, or the scenario's landscape sizes) and propensities (ties, or matrix)."""
    spec = model.spec.landscape
    sizes = model.capability.copy()
    prop = np.array(model.alliances.weights)
    if spec is not None:
        index = {n: i for i, n in enumerate(model.state_names)}
        for name, v in spec.sizes.items():
            sizes[index[name]] = v
        if spec.propensities:
            prop = np.zeros_like(prop)
            for p in spec.propensities:
                i, j = index[p.a], index[p.b]
                prop[i, j] = prop[j, i] = p.weight
    return sizes, prop


def _with_transfers(game, share: float):
    """Payoffs after a fraction ``share`` of the optimal transfer scheme is paid.

    Members pool the coalition's surplus over their outside options and pay every member its
    outside option plus an equal share of the surplus (Carraro, Eyckmans & Finus 2006); with
    ``share < 1`` only that fraction of each transfer is made. Outsiders are unaffected.
    """

    def payoff(members: np.ndarray) -> np.ndarray:
        p = game(members)
        if not members.any():
            return p
        p_in, p_out = in_out(game, members)
        tr = optimal_transfers(p_in, p_out, members)
        return p + share * tr.transfers

    return payoff


def decision_lines(
    outcome: TreatyOutcome, kinds: list[IssueKind], names: list[str], top: int = 3
) -> list[str]:
    """Who signed, who stayed out and why, in plain English."""
    name = outcome.name
    n_in = len(outcome.members)
    if n_in == 0:
        head = f"Nobody signed the {name}."
    else:
        shown = ", ".join(outcome.members[:8]) + (" and others" if n_in > 8 else "")
        head = f"{n_in} signed the {name} ({shown})."
    if outcome.stable:
        head += " It is stable: no member gains by leaving and no outsider by joining."
    elif not outcome.internally_stable:
        head += (
            f" It is not internally stable: {outcome.leaver} would gain"
            f" {outcome.leave_gain:.3g} by leaving."
        )
    else:
        head += (
            f" It is not externally stable: {outcome.joiner} would gain"
            f" {outcome.join_gain:.3g} by joining."
        )
    if not outcome.settled:
        head += " The membership game did not settle (states kept switching)."
    lines = [head]
    why = treaty_reason([k.value for k in kinds], joined=False)
    gap = outcome.payoff_out - outcome.payoff_in
    out = np.flatnonzero(~outcome.member_mask & np.isfinite(gap))
    for i in out[np.argsort(-gap[out], kind="stable")][:top]:
        lines.append(
            f"  {names[i]} stayed out of the {name}: {why} "
            f"(payoff {outcome.payoff_in[i]:.3g} inside vs {outcome.payoff_out[i]:.3g} outside)."
        )
    return lines
