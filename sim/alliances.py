"""The alliance network: the only code that touches the NetworkX graph.

Ties live in a dense symmetric matrix ``weights`` (N x N, in [-1, 1], zero diagonal) owned by the
model, because every kernel works on arrays; the NetworkX graph (integer node ids 0..N-1, ``name``
and ``iso3`` node attributes, ``weight`` edge attribute, an edge wherever the weight is not 0) is
rebuilt from the matrix only when someone asks for it (drawing, analysis), so updating ties each
round costs a matrix operation, not N^2 Python calls.
"""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx
import numpy as np


class AllianceNetwork:
    """Signed, weighted, undirected ties between states.

    Parameters
    ----------
    names, iso3 : state names and (optional) ISO3 codes, indexed by node id.
    baseline : (N, N) symmetric matrix of the scenario's ties; ties decay toward it.
    """

    def __init__(self, names: Sequence[str], iso3: Sequence[str | None], baseline: np.ndarray):
        baseline = np.asarray(baseline, dtype=float)
        n = len(names)
        if baseline.shape != (n, n):
            raise ValueError(f"baseline must be {n} x {n}, got {baseline.shape}")
        if not np.allclose(baseline, baseline.T):
            raise ValueError("baseline ties must be symmetric")
        self.names = list(names)
        self.iso3 = list(iso3)
        self.baseline = baseline.copy()
        np.fill_diagonal(self.baseline, 0.0)
        self.baseline.setflags(write=False)
        self._weights = self.baseline.copy()
        self._graph: nx.Graph | None = None

    @classmethod
    def from_scenario(cls, scenario) -> AllianceNetwork:
        index = {s.name: i for i, s in enumerate(scenario.states)}
        base = np.zeros((len(index), len(index)))
        for tie in scenario.alliances:
            i, j = index[tie.a], index[tie.b]
            base[i, j] = base[j, i] = tie.weight
        return cls(scenario.state_names, [s.iso3 for s in scenario.states], base)

    @property
    def n(self) -> int:
        return len(self.names)

    @property
    def weights(self) -> np.ndarray:
        """Current tie matrix (read-only view; change it with :meth:`set_weights`)."""
        view = self._weights.view()
        view.setflags(write=False)
        return view

    def set_weights(self, weights: np.ndarray) -> None:
        """Replace every tie at once (symmetric, clipped to [-1, 1], zero diagonal)."""
        w = np.clip(np.asarray(weights, dtype=float), -1.0, 1.0)
        if w.shape != self._weights.shape:
            raise ValueError(f"weights must be {self._weights.shape}, got {w.shape}")
        w = 0.5 * (w + w.T)
        np.fill_diagonal(w, 0.0)
        self._weights = w
        self._graph = None

    def set_tie(self, i: int, j: int, weight: float) -> None:
        if i == j:
            raise ValueError("a state has no tie with itself")
        w = self._weights.copy()
        w[i, j] = w[j, i] = float(np.clip(weight, -1.0, 1.0))
        self._weights = w
        self._graph = None

    @property
    def graph(self) -> nx.Graph:
        """NetworkX view of the current ties (rebuilt lazily after a change)."""
        if self._graph is None:
            g = nx.Graph()
            for i, (name, iso) in enumerate(zip(self.names, self.iso3, strict=True)):
                g.add_node(i, name=name, iso3=iso)
            rows, cols = np.nonzero(np.triu(self._weights, k=1))
            g.add_weighted_edges_from(
                (int(a), int(b), float(self._weights[a, b]))
                for a, b in zip(rows, cols, strict=True)
            )
            self._graph = g
        return self._graph

    def edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Upper-triangle nonzero ties as arrays (a, b, weight), a < b."""
        rows, cols = np.nonzero(np.triu(self._weights, k=1))
        return rows, cols, self._weights[rows, cols]
