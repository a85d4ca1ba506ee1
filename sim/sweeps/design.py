"""Designs (grid, random, Latin hypercube, Sobol, Morris) and per-run seeds."""

from __future__ import annotations

import itertools
import logging
from typing import Any

import numpy as np

from ..sweepfile import Design, Sweep
from .metrics import ID_COLUMNS, metric_kinds

log = logging.getLogger(__name__)


def run_seed(root: int, point: int, replication: int) -> int:
    """The seed of (point, replication): child ``(point, replication)`` of ``SeedSequence(root)``
    as a 63-bit int. Independent of how many runs exist or in which order they run."""
    ss = np.random.SeedSequence(root, spawn_key=(point, replication))
    return int(ss.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def design_matrix(sweep: Sweep) -> np.ndarray:
    """Design points (n_points x n_parameters), before rounding integer parameters.

    grid: the Cartesian product (first parameter slowest) of each parameter's ``values`` or
    ``levels`` evenly spaced values over [low, high]. random: uniform. latin_hypercube, sobol
    (Saltelli's scheme, scrambled Sobol' sequence) and morris (Morris trajectories): SALib. The
    samplers draw from ``SeedSequence(root)`` itself, a stream no run uses.
    """
    spec = sweep.spec
    ranges = list(spec.parameters.values())
    if spec.design == Design.GRID:
        axes = [
            np.asarray(r.values, dtype=float)
            if r.values is not None
            else np.linspace(r.low, r.high, spec.levels or 5)
            for r in ranges
        ]
        return np.array(list(itertools.product(*axes)), dtype=float).reshape(-1, len(ranges))
    rng = np.random.default_rng(np.random.SeedSequence(sweep.root_seed))
    lows = np.array([r.low for r in ranges], dtype=float)
    highs = np.array([r.high for r in ranges], dtype=float)
    if spec.design == Design.RANDOM:
        return lows + (highs - lows) * rng.random((spec.samples, len(ranges)))
    problem = salib_problem(sweep)
    if spec.design == Design.LATIN_HYPERCUBE:
        from SALib.sample import latin

        return latin.sample(problem, spec.samples, seed=rng)
    if spec.design == Design.SOBOL:
        from SALib.sample import sobol

        return sobol.sample(problem, spec.samples, calc_second_order=spec.second_order, seed=rng)
    from SALib.sample import morris

    return morris.sample(problem, spec.trajectories, num_levels=spec.levels or 4, seed=rng)


def salib_problem(sweep: Sweep) -> dict[str, Any]:
    ranges = sweep.spec.parameters
    return {
        "num_vars": len(ranges),
        "names": list(ranges),
        "bounds": [[r.low, r.high] for r in ranges.values()],
    }


def point_values(sweep: Sweep, x: np.ndarray) -> dict[str, float | int]:
    """The override values of one design point (integer parameters rounded)."""
    out: dict[str, float | int] = {}
    for name, v in zip(sweep.parameter_names, x, strict=True):
        out[name] = round(float(v)) if sweep.integer(name) else float(v)
    return out


def result_columns(sweep: Sweep) -> dict[str, str]:
    """Every results column and its type, in order."""
    cols = dict.fromkeys(ID_COLUMNS, "int")
    for name in sweep.parameter_names:
        cols[name] = "int" if sweep.integer(name) else "float"
    kinds = metric_kinds(sweep.scenario)
    keep = sweep.spec.metrics or list(kinds)
    cols.update({m: kinds[m] for m in kinds if m in keep})
    cols.update(status="str", error="str", wall_time_s="float")
    return cols
