"""Sensitivity indices: known answers (linear model, Ishigami), Morris effects, a sweep end to end."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import SCENARIOS, write

from sim.errors import RunError
from sim.sensitivity import (
    analyze_sweep,
    elementary_effects,
    morris_indices,
    point_means,
    sobol_indices,
)
from sim.sweepfile import load_sweep
from sim.sweeps import run_sweep

ISHIGAMI_S1 = [0.3139, 0.4424, 0.0]
ISHIGAMI_ST = [0.5576, 0.4424, 0.2437]


def saltelli(problem, n, seed=1):
    from SALib.sample import sobol

    return sobol.sample(problem, n, calc_second_order=True, seed=seed)


def test_sobol_of_a_linear_model_gives_its_variance_shares():
    a = np.array([1.0, 2.0, 3.0])
    problem = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0, 1]] * 3}
    x = saltelli(problem, 2048)
    frame = sobol_indices(problem, x @ a, seed=1).set_index(["parameter", "index"])["value"]
    share = a**2 / (a**2).sum()  # Var(a_i X_i) / Var(Y) for independent uniform X_i
    np.testing.assert_allclose(frame.xs("S1", level="index"), share, atol=0.03)
    np.testing.assert_allclose(frame.xs("ST", level="index"), share, atol=0.03)


def test_sobol_of_ishigami_matches_the_analytic_indices():
    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}
    x = saltelli(problem, 4096)
    y = np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])
    frame = sobol_indices(problem, y, seed=1)
    s1 = frame[frame["index"] == "S1"]
    st = frame[frame["index"] == "ST"]
    np.testing.assert_allclose(s1["value"], ISHIGAMI_S1, atol=0.04)
    np.testing.assert_allclose(st["value"], ISHIGAMI_ST, atol=0.04)
    assert (frame["ci"] > 0).all() and (frame["ci"] < 0.1).all()


def test_morris_of_a_linear_model_gives_its_slopes():
    from SALib.sample import morris

    a = np.array([1.0, -2.0, 0.0])
    problem = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0, 1], [0, 2], [0, 1]]}
    x = morris.sample(problem, 20, num_levels=4, seed=3)
    y = x @ a
    ee = elementary_effects(problem, x, y)
    width = np.array([1.0, 2.0, 1.0])
    np.testing.assert_allclose(ee, np.broadcast_to(a * width, ee.shape))  # exact for linear
    frame = morris_indices(problem, x, y, seed=3).set_index(["parameter", "index"])
    np.testing.assert_allclose(frame.xs("mu_star", level="index")["value"], [1, 4, 0])
    np.testing.assert_allclose(frame.xs("sigma", level="index")["value"], 0, atol=1e-12)
    np.testing.assert_allclose(frame.xs("sigma", level="index")["ci"], 0, atol=1e-12)


def test_point_means_average_successful_replications():
    results = pd.DataFrame(
        {
            "point": [0, 0, 1, 1],
            "status": ["ok", "ok", "ok", "error"],
            "m": [1.0, 3.0, 5.0, np.nan],
        }
    )
    means = point_means(results, 3, ["m"])
    assert means["m"].tolist()[:2] == [2.0, 5.0] and np.isnan(means["m"].iloc[2])


SOBOL = """\
base: {base}
design: {design}
samples: 8
trajectories: 4
rounds: 4
seed: 11
parameters:
  parameters.alliance_influence: {{low: 0, high: 2}}
  parameters.Q: {{low: 0.3, high: 1}}
"""


@pytest.mark.parametrize(
    ("design", "indices"), [("sobol", {"S1", "ST"}), ("morris", {"mu_star", "sigma"})]
)
def test_sensitivity_of_a_sweep_end_to_end(tmp_path, capsys, design, indices):
    path = write(
        tmp_path, "s.yaml", SOBOL.format(base=SCENARIOS / "classroom_five.yaml", design=design)
    )
    out = tmp_path / "out"
    sweep = load_sweep(path)
    run_sweep(sweep, out, executor="serial", limit=5, progress=False)
    with pytest.raises(RunError, match=r"incomplete \(5 of"):
        analyze_sweep(out)
    run_sweep(sweep, out, executor="serial", progress=False)
    import run

    assert run.main(["sensitivity", str(out)]) == 0
    table = pd.read_csv(out / "sensitivity.csv")
    assert list(table.columns) == ["metric", "parameter", "method", "index", "value", "ci"]
    assert set(table["index"]) == indices and set(table["method"]) == {design}
    assert set(table["parameter"]) == {"parameters.alliance_influence", "parameters.Q"}
    assert "forecast_climate" in set(table["metric"])
    assert table["value"].notna().all()
    charts = sorted(p.name for p in out.glob("sensitivity-*.png"))
    assert charts == sorted(f"sensitivity-{m}.png" for m in table["metric"].unique())
    assert "Sensitivity indices:" in capsys.readouterr().out


def test_sensitivity_bars_draw_one_bar_per_parameter_and_index():
    from analysis.sweep_charts import sensitivity_bars

    frame = pd.DataFrame(
        {
            "metric": "m",
            "parameter": ["a", "a", "b", "b"],
            "method": "sobol",
            "index": ["S1", "ST", "S1", "ST"],
            "value": [0.2, 0.3, 0.6, 0.7],
            "ci": [0.05, 0.05, 0.1, 0.1],
        }
    )
    fig = sensitivity_bars(frame)
    bars = [p.get_height() for p in fig.axes[0].patches]
    assert sorted(bars) == [0.2, 0.3, 0.6, 0.7]
