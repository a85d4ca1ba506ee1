"""Synthetic scenarios of any size, for benchmarks and property tests (not real data).

Every figure here is random and says so in the scenario's description; nothing is presented as a
real state. Three issues (climate, trade, security), a sparse signed alliance graph.
"""

from __future__ import annotations

import numpy as np

from .scenario import Scenario


def synthetic_scenario(
    n: int,
    seed: int = 0,
    *,
    density: float = 0.05,
    alliance_influence: float = 0.0,
    summit_every: int = 1,
    rounds: int = 20,
    blocs: bool = True,
) -> Scenario:
    """A random, valid scenario with ``n`` fictional states (seeded, reproducible)."""
    rng = np.random.default_rng(seed)
    issues = ["climate", "trade", "security"]
    cap = rng.lognormal(0.0, 1.0, n)
    pos = rng.uniform(0, 100, (n, 3)).round(1)
    sal = rng.dirichlet(np.ones(3), n) * rng.uniform(0.3, 1.0, (n, 1))
    states = [
        {
            "name": f"S{i:04d}",
            "capability": float(cap[i]),
            "position": dict(zip(issues, map(float, pos[i]), strict=True)),
            "salience": dict(zip(issues, map(float, sal[i].round(4)), strict=True)),
            "economics": {
                "vulnerability": float(rng.uniform(0.01, 0.1)),
                "abatement_cost": float(rng.uniform(0.5, 2.0)),
                "threat": float(rng.uniform(0.0, 1.0)),
                "gdp": float(cap[i] * 100),
            },
        }
        for i in range(n)
    ]
    iu, ju = np.triu_indices(n, 1)
    pick = rng.random(len(iu)) < density
    weights = rng.uniform(-1, 1, pick.sum()).round(3)
    alliances = [
        {"a": f"S{i:04d}", "b": f"S{j:04d}", "weight": float(w)}
        for i, j, w in zip(iu[pick], ju[pick], weights, strict=True)
        if w != 0
    ]
    return Scenario.model_validate(
        {
            "name": f"synthetic-{n}",
            "description": f"Synthetic benchmark scenario: {n} fictional states, random figures.",
            "seed": seed,
            "issues": [{"name": i} for i in issues],
            "states": states,
            "alliances": alliances,
            "parameters": {
                "rounds": rounds,
                "summit_every": summit_every,
                "alliance_influence": alliance_influence,
                "convergence": {"rule": "none"},
                "blocs": {"enabled": blocs},
            },
        }
    )
