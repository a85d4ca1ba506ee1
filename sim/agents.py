"""StateAgent: a Mesa agent that is a thin view on the model's arrays.

The negotiation state lives in model-owned numpy arrays (positions N x issues, saliences,
capabilities, ties) so the kernels can be vectorised; an agent only knows its row index ``idx``.
"""

from __future__ import annotations

import mesa


class StateAgent(mesa.Agent):
    """One state (or bloc such as the EU) at the negotiating table."""

    def __init__(self, model, idx: int, name: str, iso3: str | None):
        super().__init__(model)
        self.idx = idx
        self.name = name
        self.iso3 = iso3

    @property
    def capability(self) -> float:
        return float(self.model.capability[self.idx])

    @property
    def position(self) -> dict[str, float]:
        """Current position on each issue."""
        row = self.model.position[self.idx]
        return {issue: float(v) for issue, v in zip(self.model.issue_names, row, strict=True)}

    @property
    def ideal(self) -> dict[str, float]:
        row = self.model.ideal[self.idx]
        return {issue: float(v) for issue, v in zip(self.model.issue_names, row, strict=True)}

    @property
    def salience(self) -> dict[str, float]:
        row = self.model.salience[self.idx]
        return {issue: float(v) for issue, v in zip(self.model.issue_names, row, strict=True)}

    def allies(self, threshold: float = 0.0) -> list[str]:
        """Names of states this one has a tie above ``threshold`` with."""
        row = self.model.alliances.weights[self.idx]
        return [self.model.state_names[j] for j in (row > threshold).nonzero()[0]]

    def __repr__(self) -> str:
        return f"StateAgent({self.idx}, {self.name!r})"
