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
from .balance import (
    triad_dynamics,
    unbalanced_triads,
    unbalanced_triads_reference,
    update_alliances,
)
from .bargaining import Outcome, bargain, bargain_reference
from .events import Fired, apply_changes, crisis_changes
from .narrative import VISIBLE_MOVE
from .records import Recorder, RunResult, challenge_reason
from .scenario import EventSpec, Scenario
from .treaties import BlocOutcome, Summit, TreatyOutcome, decision_lines, default_treaties

log = logging.getLogger(__name__)


class NegotiationModel(mesa.Model):
    """States bargaining over several issues on a signed alliance graph.

    Parameters
    ----------
    scenario : a validated, frozen :class:`~sim.scenario.Scenario`.
    seed : root seed; default the scenario's ``seed``. Every random draw in the run comes from
        ``self.rng`` (numpy Generator) seeded by it.
    rounds : override ``parameters.rounds``.
    reference : use the slow, obviously correct reference kernels (per-pair bargaining loops,
        full payoff recomputation in membership games, the triple-loop triad count). Same
        results; only for tests and benchmarks.
    """

    def __init__(
        self,
        scenario: Scenario,
        *,
        seed: int | None = None,
        rounds: int | None = None,
        reference: bool = False,
    ):
        self.seed_used = int(scenario.seed if seed is None else seed)
        self.reference = reference
        self._bargain = bargain_reference if reference else bargain
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
        self.active = np.array(
            [[i not in s.inactive for i in self.issue_names] for s in scenario.states], dtype=bool
        )
        self.alliances = AllianceNetwork.from_scenario(scenario)
        for idx, s in enumerate(scenario.states):
            StateAgent(self, idx, s.name, s.iso3)
        self.round = 0
        self._in_step = False
        self.first_change: float | None = None
        self.converged = False
        self.recorder = Recorder(self.state_names, self.issue_names, self.max_rounds)
        self.recorder.initial(self.position, self.alliances.edges(), self.unbalanced_triads())
        self._lost = np.zeros((self.n, self.n))
        self._comember = np.zeros((self.n, self.n))
        self._summit_held = -1
        self.treaty_specs = default_treaties(scenario)
        #: Treaties decided at the last summit (list of ``sim.treaties.TreatyOutcome``).
        self.treaties: list = []
        #: The two-bloc split found at the last summit (``sim.treaties.BlocOutcome``) or None.
        self.blocs = None
        #: Plain-English story of the last round (events, who moved whom, treaties, blocs).
        self.story: list[str] = []
        self._pending_story: list[str] = []

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
        self._in_step = True
        try:
            self._round()
        finally:
            self._in_step = False

    def _round(self) -> None:
        rnd = self.round + 1
        self.story = self._pending_story
        self._pending_story = []
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
            res = self._bargain(
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
            self.story.extend(self._challenge_story(k, idx, res))
            lost = res.outcome == Outcome.CONFLICT
            if lost.any():
                a, b = idx[res.challenger[lost]], idx[res.target[lost]]
                self._lost[a, b] = self._lost[b, a] = 1.0
        self.position = new
        change = float(np.abs(self.position - before).sum())
        self.converged = self._check_convergence(rnd, change)
        last = self.converged or rnd >= self.max_rounds
        if self.is_summit(rnd, last):
            self.summit(rnd)
        elif last and self.params.blocs.enabled:
            self._record_blocs(rnd, Summit(self).blocs())  # no summits: blocs at the end
        self.update_alliances(rnd)
        self.round = rnd
        self.recorder.end_round(
            rnd,
            self.position,
            change,
            self.converged,
            self.alliances.edges(),
            self.unbalanced_triads(),
        )
        self.recorder.narrative.append(f"Round {rnd}:")
        self.recorder.narrative.extend(f"  {line}" for line in self.story)
        if last:
            self.running = False

    def is_summit(self, rnd: int, last: bool = False) -> bool:
        """Summit every ``summit_every`` rounds, and a closing summit on the last round.

        A run that stops between scheduled summits (the stop rule, or ``rounds``) still ends with
        one, so every run with summits enabled reports its final treaties and blocs.
        """
        every = self.params.summit_every
        return bool(every) and (rnd % every == 0 or last)

    def _challenge_story(self, k: int, idx: np.ndarray, res, top: int = 4) -> list[str]:
        """The few biggest moves of this pass, in words (the full list is in challenges.csv)."""
        if len(res.challenger) == 0:
            return []
        moved = np.abs(res.position_after - res.position_before)
        order = np.argsort(-moved, kind="stable")[:top]
        return [
            challenge_reason(
                self.issue_names[k],
                self.state_names[idx[res.challenger[m]]],
                self.state_names[idx[res.target[m]]],
                Outcome(res.outcome[m]).name.lower(),
                float(res.eu_challenger[m]),
                float(res.eu_target[m]),
                float(res.position_before[m]),
                float(res.position_after[m]),
            )
            for m in order
            if moved[m] >= VISIBLE_MOVE
        ]

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
        done = apply_changes(self, changes)
        name = event.name or event.crisis or "event"
        head = event.description or what or name
        fired = Fired(name, f"{head} ({'; '.join(done)})" if done else head)
        self.recorder.add("events", (self.round + 1, fired.name, fired.description))
        if not self._in_step and not self.running and self.round < self.max_rounds:
            # a crisis fired live after the stop rule ended the run reopens the negotiation
            self.running, self.converged = True, False
        line = f"Event '{fired.name}': {fired.description}"
        (self.story if self._in_step else self._pending_story).append(line)
        return fired

    def summit(self, rnd: int) -> None:
        """Treaty formation and the bloc split on summit rounds (``sim.treaties``)."""
        summit = Summit(self)
        previous = {t.name: t.member_mask for t in self.treaties}
        outcomes = []
        for treaty in self.treaty_specs:
            out = summit.run_treaty(treaty, previous.get(treaty.name))
            outcomes.append(out)
            self._record_treaty(rnd, out)
            kinds = [summit.kinds[i] for i in out.issues]
            self.story.extend(decision_lines(out, kinds, self.state_names))
        self.treaties = outcomes
        self._summit_held = rnd
        self._comember = np.zeros((self.n, self.n))
        for out in outcomes:
            mask = out.member_mask.astype(float)
            self._comember += np.outer(mask, mask)
        np.fill_diagonal(self._comember, 0.0)
        if self.params.blocs.enabled:
            self._record_blocs(rnd, summit.blocs())

    def _record_treaty(self, rnd: int, out: TreatyOutcome) -> None:
        self.recorder.add(
            "treaties",
            (
                rnd,
                out.name,
                ";".join(out.issues),
                ";".join(f"{p:.6g}" for p in out.proposal),
                ";".join(out.members),
                out.internally_stable,
                out.externally_stable,
                out.settled,
            ),
        )
        ok = np.isfinite(out.payoff_in)
        self.recorder.add_columns(
            "payoffs",
            {
                "round": rnd,
                "treaty": out.name,
                "state": np.asarray(self.state_names, dtype=object)[ok],
                "member": out.member_mask[ok],
                "payoff_in": out.payoff_in[ok],
                "payoff_out": out.payoff_out[ok],
            },
        )

    def _record_blocs(self, rnd: int, blocs: BlocOutcome) -> None:
        side = blocs.side.astype(int)
        switched = []
        if self.blocs is not None:
            prev = self.blocs.side.astype(int)
            if (prev != side).sum() > (prev == side).sum():
                prev = 1 - prev  # bloc labels are arbitrary: align them first
            switched = [self.state_names[i] for i in np.flatnonzero(prev != side)]
        self.blocs = blocs
        names = np.asarray(self.state_names, dtype=object)
        self.recorder.add_columns(
            "blocs",
            {
                "round": rnd,
                "state": names,
                "bloc": side,
                "energy": float(blocs.energy),
                "is_global_minimum": bool(blocs.is_global),
            },
        )
        m = len(blocs.local_energies)
        if m:
            self.recorder.add_columns(
                "local_minima",
                {
                    "round": rnd,
                    "config": np.repeat(np.arange(m), self.n),
                    "state": np.tile(names, m),
                    "bloc": blocs.local_configs.astype(int).ravel(),
                    "energy": np.repeat(blocs.local_energies, self.n),
                },
            )
        sides = [[self.state_names[i] for i in np.flatnonzero(side == b)] for b in (0, 1)]
        text = " vs ".join(
            "{" + ", ".join(s[:6]) + (", ..." if len(s) > 6 else "") + "}" for s in sides
        )
        kind = "global minimum" if blocs.is_global else "best found by local search"
        line = f"Blocs: {text} (energy {blocs.energy:.3g}, {kind}"
        line += f"; {len(blocs.local_energies)} local minima)."
        if switched:
            line += f" Switched bloc since the last summit: {', '.join(switched)}."
        self.story.append(line)

    def update_alliances(self, rnd: int) -> None:
        """Ties move: treaty co-members closer, losers of conflicts apart, all decay to baseline.

        Co-membership strengthens ties on summit rounds (when treaties are signed); lost
        conflicts weaken ties every round; decay acts every round (docs/model.md section 5).
        """
        dyn = self.params.alliance_dynamics
        comember = self._comember if self._summit_held == rnd else np.zeros((self.n, self.n))
        new = update_alliances(
            np.asarray(self.alliances.weights),
            np.asarray(self.alliances.baseline),
            comember,
            self._lost,
            strengthen=dyn.strengthen,
            weaken=dyn.weaken,
            decay=dyn.decay,
        )
        if dyn.triad_p is not None and dyn.triad_steps > 0:
            new = triad_dynamics(
                new, dyn.triad_p, self.rng, dyn.triad_steps, eps=dyn.tie_threshold
            ).A
        self.alliances.set_weights(new)

    def unbalanced_triads(self) -> int:
        """Triangles of nonzero ties whose sign product is negative (Heider balance)."""
        count = unbalanced_triads_reference if self.reference else unbalanced_triads
        return count(
            np.asarray(self.alliances.weights), eps=self.params.alliance_dynamics.tie_threshold
        )

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
