"""Scheduled events and named crises (MODEL.md section 6).

An event changes, at the start of a round, a state's capability, salience, ideal point, a tie, or
whether the state takes part in an issue. A crisis is a named bundle of such changes: the scenario
may define its own (``crises:``), and four built-in crises (a small registry of classes, in the
manner of Axelrod's strategies) apply to any scenario. ``NegotiationModel.fire`` applies one live,
which is what the classroom page's crisis buttons call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from .scenario import Change, ChangeKind, IssueKind

if TYPE_CHECKING:
    from .model import NegotiationModel


@dataclass(frozen=True)
class Fired:
    """What one event did: a name and one plain-English description of every change."""

    name: str
    description: str


def apply_changes(model: NegotiationModel, changes: list[Change]) -> list[str]:
    """Apply an event's changes in order; then keep every state's saliences summing to <= 1.

    A state whose saliences sum above 1 after all the changes has them scaled down
    proportionally (the description says so), so an event may set several saliences at once.
    """
    done = [apply_change(model, c) for c in changes]
    touched = dict.fromkeys(c.state for c in changes if c.kind == ChangeKind.SALIENCE)
    for name in touched:
        i = model.state_names.index(name)
        total = model.salience[i].sum()
        if total > 1.0 + 1e-12:
            model.salience[i] /= total
            done.append(f"{name}'s saliences rescaled to sum to 1 (they summed to {total:.2f})")
    return done


def apply_change(model: NegotiationModel, change: Change) -> str:
    """Apply one change to the model's arrays; return what happened in words."""
    idx = {n: i for i, n in enumerate(model.state_names)}
    i = idx[change.state]
    k = model.issue_names.index(change.issue) if change.issue is not None else None
    who = change.state

    def new_value(old: float) -> float:
        v = float(change.value)
        if change.mode == "add":
            return old + v
        if change.mode == "scale":
            return old * v
        return v

    match change.kind:
        case ChangeKind.CAPABILITY:
            old = model.capability[i]
            model.capability[i] = max(new_value(old), 1e-12)
            return f"{who}'s capability {old:.3g} -> {model.capability[i]:.3g}"
        case ChangeKind.SALIENCE:
            old = model.salience[i, k]
            model.salience[i, k] = float(np.clip(new_value(old), 0.0, 1.0))
            return f"{who}'s salience on {change.issue} {old:.2f} -> {model.salience[i, k]:.2f}"
        case ChangeKind.POSITION:
            old = model.ideal[i, k]
            spec = model.spec.issues[k]
            model.ideal[i, k] = float(np.clip(new_value(old), spec.min, spec.max))
            model.position[i, k] = model.ideal[i, k]
            return f"{who}'s ideal point on {change.issue} {old:.1f} -> {model.ideal[i, k]:.1f}"
        case ChangeKind.TIE:
            j = idx[change.other]
            old = model.alliances.weights[i, j]
            model.alliances.set_tie(i, j, new_value(old))
            return f"tie {who} - {change.other} {old:+.2f} -> {model.alliances.weights[i, j]:+.2f}"
        case ChangeKind.JOIN:
            model.active[i, k] = True
            return f"{who} joins the negotiation on {change.issue}"
        case ChangeKind.LEAVE:
            model.active[i, k] = False
            return f"{who} leaves the negotiation on {change.issue}"
    raise ValueError(f"unknown change kind {change.kind!r}")  # pragma: no cover


# ------------------------------------------------------------------ built-in crises


class Crisis:
    """A named crisis that can hit any scenario; subclasses build the changes from the model."""

    name: ClassVar[str]
    description: ClassVar[str]

    def changes(self, model: NegotiationModel) -> list[Change]:
        raise NotImplementedError


def _issues_of_kind(model: NegotiationModel, kind: IssueKind) -> list[str]:
    return [i.name for i in model.spec.issues if i.payoff_kind == kind]


def _scale_salience(model, issues, factor) -> list[Change]:
    return [
        Change(kind="salience", state=s, issue=issue, value=factor, mode="scale")
        for s in model.state_names
        for issue in issues
    ]


class Pandemic(Crisis):
    name = "pandemic"
    description = (
        "A pandemic: every state loses a tenth of its capability and cares half as much again "
        "about trade (supply chains)."
    )

    def changes(self, model):
        caps = [
            Change(kind="capability", state=s, value=0.9, mode="scale") for s in model.state_names
        ]
        return caps + _scale_salience(model, _issues_of_kind(model, IssueKind.TRADE), 1.5)


class FinancialCrisis(Crisis):
    name = "financial_crisis"
    description = (
        "A financial crisis: the three most capable states lose 15% of their capability; trade "
        "matters more to everyone."
    )

    def changes(self, model):
        top = np.argsort(-model.capability, kind="stable")[:3]
        caps = [
            Change(kind="capability", state=model.state_names[i], value=0.85, mode="scale")
            for i in top
        ]
        return caps + _scale_salience(model, _issues_of_kind(model, IssueKind.TRADE), 1.3)


class War(Crisis):
    name = "war"
    description = (
        "War breaks out between the two most hostile states: their tie drops to -1 and security "
        "matters half as much again to everyone."
    )

    def changes(self, model):
        w = np.array(model.alliances.weights)
        np.fill_diagonal(w, np.inf)
        i, j = np.unravel_index(int(np.argmin(w)), w.shape)
        tie = [
            Change(
                kind="tie",
                state=model.state_names[i],
                other=model.state_names[j],
                value=-1.0,
            )
        ]
        return tie + _scale_salience(model, _issues_of_kind(model, IssueKind.SECURITY), 1.5)


class NaturalDisaster(Crisis):
    name = "natural_disaster"
    description = (
        "A climate-driven disaster hits the most vulnerable state: it loses 10% of its "
        "capability and climate becomes twice as salient for it."
    )

    def changes(self, model):
        vul = np.array([s.economics.vulnerability for s in model.spec.states])
        i = int(np.argmax(vul))
        name = model.state_names[i]
        out = [Change(kind="capability", state=name, value=0.9, mode="scale")]
        out += [
            Change(kind="salience", state=name, issue=issue, value=2.0, mode="scale")
            for issue in _issues_of_kind(model, IssueKind.CLIMATE)
        ]
        return out


#: Built-in crises by name; a scenario's own ``crises:`` entry of the same name takes precedence.
CRISES: dict[str, Crisis] = {c.name: c() for c in (Pandemic, FinancialCrisis, War, NaturalDisaster)}


def crisis_names(model: NegotiationModel) -> list[str]:
    """Crises that can be fired in this model: the scenario's own first, then the built-ins."""
    own = list(model.spec.crises)
    return own + [n for n in CRISES if n not in own]


def crisis_changes(model: NegotiationModel, name: str) -> tuple[str, list[Change]]:
    if name in model.spec.crises:
        c = model.spec.crises[name]
        return c.description, list(c.changes)
    if name in CRISES:
        return CRISES[name].description, CRISES[name].changes(model)
    known = ", ".join(crisis_names(model))
    raise KeyError(f"unknown crisis {name!r} (known: {known})")
