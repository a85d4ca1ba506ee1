"""Hypothesis strategies for treaties, coalitions, alliance matrices and landscapes."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sim.payoffs import ClimateGame, PackageGame, SecurityGame, TradeGame

unit = st.floats(0.0, 1.0, allow_nan=False, allow_infinity=False)
positive = st.floats(0.05, 5.0, allow_nan=False, allow_infinity=False)


@st.composite
def symmetric_matrices(draw, n: int | None = None, min_n: int = 1, max_n: int = 12,
                       zero_prob: float = 0.2):  # fmt: skip
    """Symmetric (N, N) tie matrices in [-1, 1] with zero diagonal and some absent ties."""
    if n is None:
        n = draw(st.integers(min_n, max_n))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    a = rng.uniform(-1.0, 1.0, (n, n))
    a[rng.random((n, n)) < zero_prob] = 0.0
    a = np.triu(a, 1)
    return a + a.T


@st.composite
def member_sets(draw, n: int):
    """Bool member vectors of length n."""
    return draw(hnp.arrays(bool, n))


@st.composite
def issue_games(draw, min_n: int = 2, max_n: int = 9):
    """A random climate, trade, security or package game, with its N."""
    n = draw(st.integers(min_n, max_n))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    gdp = rng.lognormal(0.0, 1.0, n)
    climate = ClimateGame(rng.uniform(0.05, 2.0, n), rng.uniform(0.3, 3.0, n), rng.uniform(0, 100))
    trade = TradeGame(gdp, rng.uniform(0, 100, n), rng.uniform(0, 100))
    a = np.triu(rng.uniform(-1, 1, (n, n)), 1)
    security = SecurityGame(gdp, rng.uniform(0, 1, n), a + a.T)
    kind = draw(st.sampled_from(["climate", "trade", "security", "package"]))
    game = {
        "climate": climate,
        "trade": trade,
        "security": security,
        "package": PackageGame((climate, trade), gdp),
    }[kind]
    return game


@st.composite
def landscapes(draw, min_n: int = 1, max_n: int = 10):
    """(sizes, propensity) pairs: sizes > 0, propensity symmetric in [-1, 1]."""
    n = draw(st.integers(min_n, max_n))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    p = np.triu(rng.uniform(-1, 1, (n, n)), 1)
    return rng.uniform(0.1, 3.0, n), p + p.T
