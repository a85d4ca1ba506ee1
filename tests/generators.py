"""Hypothesis strategies shared by the test modules, one section per kernel.

Each strategy draws legal but awkward inputs (ties, zero salience, degenerate ranges) so that the
invariant tests and the fast-versus-reference comparisons see the corners, not just random noise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st

# --------------------------------------------------------------------------------------------
# bargaining (sim/bargaining.py)


@dataclass(frozen=True, eq=False)
class BargainCase:
    """Arguments of one bargaining pass (``sim.bargaining.bargain``)."""

    x: np.ndarray
    capability: np.ndarray
    salience: np.ndarray
    lo: float
    hi: float
    alliance: np.ndarray | None = None
    alpha: float = 0.0
    Q: float = 1.0
    T: float = 1.0

    @property
    def n(self) -> int:
        return int(self.x.size)

    @property
    def weight(self) -> np.ndarray:
        return self.capability * self.salience

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``bargain(case.x, case.capability, case.salience, **kwargs)``."""
        return {
            "lo": self.lo,
            "hi": self.hi,
            "alliance": self.alliance,
            "alpha": self.alpha,
            "Q": self.Q,
            "T": self.T,
        }

    def args(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.x, self.capability, self.salience


def _positions(n: int) -> st.SearchStrategy[list[float]]:
    """Integer grid (many ties), a 0.001 grid on [0, 100], or everyone at one point."""
    integers = st.lists(st.integers(0, 10).map(float), min_size=n, max_size=n)
    grid = st.lists(st.integers(0, 100_000).map(lambda k: k / 1000.0), min_size=n, max_size=n)
    same = st.integers(0, 100).map(lambda v: [float(v)] * n)
    return st.one_of(integers, grid, same)


def _saliences(n: int) -> st.SearchStrategy[list[float]]:
    value = st.one_of(st.just(0.0), st.just(1.0), st.floats(0.0, 1.0), st.sampled_from([0.5, 0.8]))
    return st.one_of(
        st.lists(value, min_size=n, max_size=n),
        st.just([0.0] * n),
    )


@st.composite
def alliance_matrices(draw: st.DrawFn, n: int, sparse: bool | None = None) -> np.ndarray:
    """Symmetric (n, n) matrix in [-1, 1]; the diagonal is arbitrary (the kernel treats it as 1).

    ``sparse=True`` keeps about one entry in ten nonzero (most real alliance graphs), ``False``
    draws dense matrices, ``None`` either.
    """
    is_sparse = draw(st.booleans()) if sparse is None else sparse
    value = st.one_of(st.sampled_from([-1.0, 0.0, 0.0, 0.5, 1.0]), st.floats(-1.0, 1.0))
    upper = np.array(draw(st.lists(value, min_size=n * n, max_size=n * n)), dtype=np.float64)
    a = upper.reshape(n, n)
    if is_sparse:
        seed = draw(st.integers(0, 2**32 - 1))
        a = np.where(np.random.default_rng(seed).random((n, n)) < 0.1, a, 0.0)
    return np.triu(a) + np.triu(a, 1).T


@st.composite
def bargain_cases(
    draw: st.DrawFn,
    min_n: int = 1,
    max_n: int = 30,
    alliance: bool | None = None,
    status_quo: bool | None = None,
) -> BargainCase:
    """A legal bargaining pass.

    Args:
        min_n, max_n: number of actors.
        alliance: True -> always an alliance matrix with alpha > 0, False -> never,
            None -> either (including a matrix with alpha = 0, which must be ignored).
        status_quo: True -> Q = T = 1 (Scholz's setting), False -> Q, T drawn in [0, 1],
            None -> either.
    """
    n = draw(st.integers(min_n, max_n))
    x = np.array(draw(_positions(n)))
    capability = np.array(draw(st.lists(st.floats(0.01, 10.0), min_size=n, max_size=n)))
    salience = np.array(draw(_saliences(n)))
    # The ideal-point range may be wider than the current positions.
    lo = float(x.min()) - draw(st.sampled_from([0.0, 0.0, 1.0, 7.5]))
    hi = float(x.max()) + draw(st.sampled_from([0.0, 0.0, 2.0]))
    use_alliance = draw(st.booleans()) if alliance is None else alliance
    matrix = draw(alliance_matrices(n)) if use_alliance else None
    if alliance is True:
        alpha = draw(st.one_of(st.just(0.3), st.floats(0.01, 2.0)))
    elif use_alliance:
        alpha = draw(st.one_of(st.just(0.0), st.just(0.3), st.floats(0.0, 2.0)))
    else:
        alpha = 0.0
    keep_sq = draw(st.booleans()) if status_quo is None else status_quo
    if keep_sq:
        q = t = 1.0
    else:
        q = draw(st.one_of(st.just(0.0), st.just(1.0), st.floats(0.0, 1.0)))
        t = draw(st.one_of(st.just(0.0), st.just(1.0), st.floats(0.0, 1.0)))
    return BargainCase(x, capability, salience, lo, hi, matrix, alpha, q, t)
