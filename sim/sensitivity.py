"""Global sensitivity indices of a sweep's outcomes (SALib): Sobol' for sobol designs, Morris
elementary effects for morris designs.

Each outcome metric is averaged over a point's replications (so the indices describe the expected
outcome; replication noise shows up as a small spurious index, shrinking as replications grow),
then analysed against the design points in ``design.npy``.

Output: ``sensitivity.csv``, a tidy table with one row per (metric, parameter, index):
``index`` is ``S1`` / ``ST`` (Sobol' first-order and total-order, variance shares, ``ci`` the
half-width of the 95 % bootstrap interval) or ``mu_star`` / ``sigma`` (Morris: mean absolute
elementary effect and its standard deviation, in metric units per full parameter range).

References: Saltelli et al. (2010) Comput. Phys. Commun. 181, 259-270 (estimators);
Campolongo, Cariboni & Saltelli (2007) Environ. Model. Softw. 22, 1509-1518 (mu*);
Herman & Usher (2017) J. Open Source Softw. 2(9), 97 (SALib).
"""

from __future__ import annotations

import json
import logging
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import RunError

log = logging.getLogger(__name__)

COLUMNS = ["metric", "parameter", "method", "index", "value", "ci"]


def problem_from(manifest: dict[str, Any]) -> dict[str, Any]:
    params = manifest["design"]["parameters"]
    names = manifest["parameters"]
    return {
        "num_vars": len(names),
        "names": names,
        "bounds": [[params[n]["low"], params[n]["high"]] for n in names],
    }


def sobol_indices(
    problem: dict[str, Any], y: np.ndarray, *, second_order: bool = True, seed: int = 0
) -> pd.DataFrame:
    """First-order (S1) and total (ST) Sobol' indices with 95 % CI half-widths, tidy.

    ``y`` holds the outputs at SALib's Saltelli sample for ``problem``, in sample order.
    """
    from SALib.analyze import sobol

    with warnings.catch_warnings():
        # SALib warns when some resampled subsets are constant (e.g. a treaty size that changes
        # at a few points only); the indices and their intervals are still computed.
        warnings.filterwarnings(
            "ignore", message="Constant values encountered", category=UserWarning
        )
        res = sobol.analyze(
            problem, np.asarray(y, float), calc_second_order=second_order, seed=seed
        )
    rows = []
    for i, name in enumerate(problem["names"]):
        for index in ("S1", "ST"):
            rows.append((name, "sobol", index, res[index][i], res[f"{index}_conf"][i]))
    return pd.DataFrame(rows, columns=COLUMNS[1:])


def morris_indices(
    problem: dict[str, Any],
    x: np.ndarray,
    y: np.ndarray,
    *,
    levels: int = 4,
    seed: int = 0,
    resamples: int = 1000,
) -> pd.DataFrame:
    """Morris mu* and sigma with 95 % CI half-widths (SALib's for mu*; a bootstrap over
    trajectories for sigma, which SALib does not give), tidy."""
    from SALib.analyze import morris

    x, y = np.asarray(x, float), np.asarray(y, float)
    res = morris.analyze(problem, x, y, num_levels=levels, seed=seed)
    ee = elementary_effects(problem, x, y)
    rng = np.random.default_rng(seed)
    t = ee.shape[0]
    boot = np.array([ee[rng.integers(0, t, t)].std(axis=0, ddof=1) for _ in range(resamples)])
    lo, hi = np.nanpercentile(boot, [2.5, 97.5], axis=0)
    rows = []
    for i, name in enumerate(problem["names"]):
        rows.append((name, "morris", "mu_star", res["mu_star"][i], res["mu_star_conf"][i]))
        rows.append((name, "morris", "sigma", res["sigma"][i], (hi[i] - lo[i]) / 2))
    return pd.DataFrame(rows, columns=COLUMNS[1:])


def elementary_effects(problem: dict[str, Any], x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Elementary effects (trajectories x parameters) from Morris trajectories, on the unit
    scale (change in output per full parameter range)."""
    d = problem["num_vars"]
    bounds = np.asarray(problem["bounds"], float)
    unit = (x - bounds[:, 0]) / (bounds[:, 1] - bounds[:, 0])
    t = len(y) // (d + 1)
    ee = np.full((t, d), np.nan)
    for j in range(t):
        sl = slice(j * (d + 1), (j + 1) * (d + 1))
        dx, dy = np.diff(unit[sl], axis=0), np.diff(y[sl])
        for step in range(d):
            i = int(np.argmax(np.abs(dx[step])))
            ee[j, i] = dy[step] / dx[step, i]
    return ee


def point_means(results: pd.DataFrame, n_points: int, metrics: list[str]) -> pd.DataFrame:
    """Each metric averaged over a point's successful replications (index: point)."""
    ok = results[results["status"] == "ok"]
    means = ok.groupby("point")[metrics].agg(lambda s: pd.to_numeric(s, errors="coerce").mean())
    return means.reindex(range(n_points))


def analyze_sweep(sweep_dir: str | Path) -> pd.DataFrame:
    """Indices for every numeric outcome metric of a finished sobol or morris sweep."""
    from .sweeps import metric_columns_of, read_results

    sweep_dir = Path(sweep_dir)
    results = read_results(sweep_dir)
    manifest = json.loads((sweep_dir / "sweep.json").read_text(encoding="utf-8"))
    design = manifest["design"]
    method = design["design"]
    if method not in ("sobol", "morris"):
        raise RunError(
            f"sensitivity needs a sobol or morris design; {sweep_dir} used {method!r} "
            "(see docs: design: sobol with samples: N)"
        )
    n_runs, n_points = manifest["n_runs"], manifest["n_points"]
    if len(results) < n_runs:
        raise RunError(
            f"the sweep in {sweep_dir} is incomplete ({len(results)} of {n_runs} runs); "
            "rerun the sweep command to finish it first"
        )
    x = np.load(sweep_dir / "design.npy")
    problem = problem_from(manifest)
    metrics = metric_columns_of(manifest)
    means = point_means(results, n_points, metrics)
    seed = int(manifest["root_seed"]) % (2**32)
    frames = []
    for metric in metrics:
        y = means[metric].to_numpy(dtype=float)
        if np.isnan(y).all():
            log.info("metric %s has no values; skipped", metric)
            continue
        if np.isnan(y).any():
            bad = np.flatnonzero(np.isnan(y))
            log.warning("metric %s: %d points without a value; skipped", metric, len(bad))
            continue
        if np.ptp(y) == 0:
            log.info("metric %s is constant across the sweep; skipped", metric)
            continue
        if method == "sobol":
            frame = sobol_indices(problem, y, second_order=design["second_order"], seed=seed)
        else:
            frame = morris_indices(problem, x, y, levels=design.get("levels") or 4, seed=seed)
        frame.insert(0, "metric", metric)
        frames.append(frame)
    if not frames:
        raise RunError(f"no outcome metric of {sweep_dir} varies; nothing to analyse")
    return pd.concat(frames, ignore_index=True)


def write_sensitivity(sweep_dir: str | Path) -> tuple[Path, pd.DataFrame]:
    """Write ``sensitivity.csv`` into the sweep folder; return its path and the table."""
    sweep_dir = Path(sweep_dir)
    frame = analyze_sweep(sweep_dir)
    path = sweep_dir / "sensitivity.csv"
    frame.to_csv(path, index=False, lineterminator="\n")
    return path, frame
