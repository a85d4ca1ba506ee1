"""NegotiationModel: orchestration of one negotiation, one ``step()`` per round.

A round (MODEL.md section 2): (1) scheduled events; (2) one expected-utility bargaining pass per
issue; (3) on summit rounds, treaty formation; (4) alliance update; (5) recording; (6) the stop
rule. Decisions within a round are synchronous: every state decides from the same positions and
the moves are applied together, so results do not depend on agent activation order.
"""

from __future__ import annotations

import logging

import mesa
import numpy as np

from .agents import StateAgent
from .alliances import AllianceNetwork
from .bargaining import Outcome, bargain
from .events import Fired, apply_change, crisis_changes
from .records import Recorder, RunResult
from .scenario import EventSpec, Scenario

log = logging.getLogger(__name__)


class NegotiationModel(mesa.Model):
    """States bargaining over several issues on a signed alliance graph.

    Parameters
    ----------
    scenario : a validated, frozen :class:`~sim.scenario.Scenario`.
    seed : root seed; default the scenario's ``seed``. Every random draw in the run comes from
        ``self.rng`` (numpy Generator) seeded by it.
    rounds : override ``parameters.rounds``.
    """

    def __init__(self, scenario: Scenario, *, seed: int | None = None, rounds: int | None = None):
        self.seed_used = int(scenario.seed if seed is None else seed)
        super().__init__(rng=self.seed_used)
        self.spec = scenario
        p = scenario.parameters
        self.params = p
        self.max_rounds = int(rounds if rounds is not None else p.rounds)
        if self.max_rounds < 1:
            raise ValueError("rounds must be at least 1")
        self.issue_names = scenario.issue_names
        self.state_names = scenario.state_names
        self.capability = np.array([s.capability for s in scenario.states], dtype=float)
        self.ideal = np.array(
            [[s.position[i] for i in self.issue_names] for s in scenario.states], dtype=float
        )
        self.position = self.ideal.copy()
        self.salience = np.array(
            [[s.salience[i] for i in self.issue_names] for s in scenario.states], dtype=float
        )
        #: Whether a state takes part in an issue (join/leave events change it).
        self.active = np.ones_like(self.ideal, dtype=bool)
        self.alliances = AllianceNetwork.from_scenario(scenario)
        for idx, s in enumerate(scenario.states):
            StateAgent(self, idx, s.name, s.iso3)
        self.round = 0
        self.first_change: float | None = None
        self.converged = False
        self.recorder = Recorder(self.state_names, self.issue_names, self.max_rounds)
        self.recorder.initial(self.position, self.alliances.edges(), self.unbalanced_triads())
        self._lost = np.zeros((self.n, self.n))

    # ------------------------------------------------------------------ properties
    @property
    def n(self) -> int:
        return len(self.state_names)

    @property
    def states(self) -> list[StateAgent]:
        """Agents in index order."""
        return sorted(self.agents, key=lambda a: a.idx)

    # ------------------------------------------------------------------ the round
    def step(self) -> None:
        if not self.running:
            return
        rnd = self.round + 1
        self.apply_scheduled_events(rnd)
        before = self.position.copy()
        self._lost[:] = 0.0
        new = self.position.copy()
        alpha = self.params.alliance_influence
        weights = self.alliances.weights
        for k in range(len(self.issue_names)):
            idx = np.flatnonzero(self.active[:, k])
            if len(idx) == 0:
                continue
            ideal = self.ideal[idx, k]
            res = bargain(
                self.position[idx, k],
                self.capability[idx],
                self.salience[idx, k],
                lo=float(ideal.min()),
                hi=float(ideal.max()),
                alliance=weights[np.ix_(idx, idx)] if alpha > 0 else None,
                alpha=alpha,
                Q=self.params.Q,
                T=self.params.T,
            )
            new[idx, k] = res.positions
            self.recorder.bargaining(rnd, k, idx, res)
            lost = res.outcome == Outcome.CONFLICT
            if lost.any():
                a, b = idx[res.challenger[lost]], idx[res.target[lost]]
                self._lost[a, b] = self._lost[b, a] = 1.0
        self.position = new
        if self.params.summit_every and rnd % self.params.summit_every == 0:
            self.summit(rnd)
        self.update_alliances(rnd)
        change = float(np.abs(self.position - before).sum())
        self.converged = self._check_convergence(rnd, change)
        self.round = rnd
        self.recorder.end_round(
            rnd,
            self.position,
            change,
            self.converged,
            self.alliances.edges(),
            self.unbalanced_triads(),
        )
        if self.converged or rnd >= self.max_rounds:
            self.running = False

    def _check_convergence(self, rnd: int, change: float) -> bool:
        """KTAB SMP stop rule: this round's change below threshold x the first round's."""
        if rnd == 1:
            self.first_change = change
        rule = self.params.convergence
        if rule.rule == "none" or rnd < rule.min_rounds:
            return False
        return change == 0.0 or change < rule.threshold * (self.first_change or 0.0)

    # ------------------------------------------------------------------ hooks
    def apply_scheduled_events(self, rnd: int) -> None:
        """Apply the scenario's events scheduled for this round, in file order."""
        for event in self.spec.events:
            if event.round == rnd:
                self.fire(event)

    def fire(self, event: EventSpec | str) -> Fired:
        """Apply an event or a named crisis now; it shapes the next round.

        ``event`` is an :class:`~sim.scenario.EventSpec` or the name of a crisis (the scenario's
        own or a built-in one, see :data:`sim.events.CRISES`). Raises KeyError for an unknown
        crisis name.
        """
        if isinstance(event, str):
            event = EventSpec(round=self.round + 1, name=event, crisis=event)
        what, changes = "", list(event.changes)
        if event.crisis is not None:
            what, crisis = crisis_changes(self, event.crisis)
            changes = crisis + changes
        done = [apply_change(self, c) for c in changes]
        name = event.name or event.crisis or "event"
        head = event.description or what or name
        fired = Fired(name, f"{head} ({'; '.join(done)})" if done else head)
        self.recorder.add("events", (self.round + 1, fired.name, fired.description))
        return fired

    def summit(self, rnd: int) -> None:
        """Treaty formation on summit rounds (see ``sim.treaties``)."""

    def update_alliances(self, rnd: int) -> None:
        """Alliance dynamics after each round (see ``sim.balance``)."""

    def unbalanced_triads(self) -> int:
        return 0

    # ------------------------------------------------------------------ running
    def run(self, progress: bool = False) -> RunResult:
        """Step until the stop rule or the last round; return the records as tidy frames."""
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=self.max_rounds, desc=self.spec.name, unit="round", leave=False)
        while self.running:
            self.step()
            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.close()
        return self.result()

    def result(self) -> RunResult:
        return self.recorder.result(
            {
                "scenario": self.spec.name,
                "seed": self.seed_used,
                "rounds_run": self.round,
                "converged": bool(self.converged),
            }
        )
