"""Sweeps: overrides, sweep files, seeds, executors agreeing, resume, failing runs, storage, CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, SCENARIOS, write

from sim.errors import RunError, ScenarioError
from sim.overrides import apply_overrides
from sim.scenario import load_scenario
from sim.sweepfile import count_points, load_sweep
from sim.sweeps import (
    ResultStore,
    design_matrix,
    plan,
    read_results,
    run_one,
    run_seed,
    run_sweep,
)

SMALL = """\
base: {base}
design: grid
replications: 2
rounds: 4
seed: 7
parameters:
  parameters.alliance_influence: {{values: [0.0, 0.8]}}
  parameters.summit_every: {{values: [2, 4]}}
"""


@pytest.fixture(scope="module")
def five():
    return load_scenario(SCENARIOS / "classroom_five.yaml")


@pytest.fixture
def small(tmp_path):
    path = write(tmp_path, "small.yaml", SMALL.format(base=SCENARIOS / "classroom_five.yaml"))
    return load_sweep(path)


def frame_without_time(out: Path) -> pd.DataFrame:
    return read_results(out).drop(columns="wall_time_s")


# ------------------------------------------------------------------------------ overrides
def test_overrides_make_a_new_validated_scenario(five):
    new = apply_overrides(
        five,
        {
            "parameters.alliance_influence": 0.7,
            "states.China.salience.climate": 0.2,
            "states.China.capability": 33.0,
            "treaties.climate club.penalty_tariff": 0.08,
            "treaties.climate club.proposal.climate": 75,
            "parameters.summit_every": 3.6,
        },
    )
    china = new.states[new.state_names.index("China")]
    club = next(t for t in new.treaties if t.name == "climate club")
    assert new.parameters.alliance_influence == 0.7
    assert china.salience["climate"] == 0.2 and china.capability == 33.0
    assert club.penalty_tariff == 0.08 and club.proposal["climate"] == 75
    assert new.parameters.summit_every == 4  # integer field: rounded
    assert five.parameters.summit_every != 4 or five.parameters.alliance_influence != 0.7
    assert five.states[1].salience["climate"] == 0.3  # the base is untouched


@pytest.mark.parametrize(
    ("path", "match"),
    [
        (
            "parameters.alliance_influenc",
            r"parameters has no field 'alliance_influenc'.*alliance_influence",
        ),
        ("states.Chna.capability", r"no state named 'Chna' \(there are: United States, China"),
        ("treaties.club.penalty_tariff", r"no treatie named 'club'.*climate club"),
        ("parameters", r"not a value"),
        ("parameters.convergence", r"parameters.convergence is a group of fields.*threshold"),
        ("states.China.salience.coal", r"salience has no field 'coal'.*climate, trade, security"),
    ],
)
def test_bad_override_path_names_the_path_and_what_exists(five, path, match):
    with pytest.raises(ScenarioError, match=match) as err:
        apply_overrides(five, {path: 0.5})
    assert err.value.problems[0].path == path


def test_override_value_out_of_range_is_refused(five):
    with pytest.raises(ScenarioError, match=r"salience.climate: must be less than or equal to 1"):
        apply_overrides(five, {"states.China.salience.climate": 1.4})


def test_default_treaties_can_be_varied_by_name(tmp_path, five):
    data = five.model_dump(mode="json", exclude={"treaties"})
    bare = five.model_validate({**data, "treaties": None})
    new = apply_overrides(bare, {"treaties.climate treaty.penalty_tariff": 0.05})
    assert next(t.name for t in new.treaties) == "climate treaty"
    assert new.treaties[0].penalty_tariff == 0.05


# ------------------------------------------------------------------------------ sweep files
def test_sweep_file_errors_are_located(tmp_path):
    path = write(
        tmp_path,
        "bad.yaml",
        textwrap.dedent(
            f"""\
            base: {SCENARIOS / "classroom_five.yaml"}
            design: sobol
            samples: 12
            replicatons: 2
            parameters:
              parameters.alliance_influence: {{values: [0, 1]}}
              parameters.alliance_influenc: {{low: 0, high: 1}}
              parameters.Q: {{low: 1, high: 0.5}}
            metrics: [forecast_climate, forecast_coal]
            """
        ),
    )
    with pytest.raises(ScenarioError) as err:
        load_sweep(path)
    text = str(err.value)
    assert f"{path}:4:1 replicatons: unknown field (allowed: name, description, base" in text
    assert f"{path}:8:17 parameters.parameters.Q: value error, low must be below high" in text
    # Schema problems stop before the design checks: fix them, then the rest is reported.
    path.write_text(path.read_text().replace("replicatons", "replications").replace(
        "{low: 1, high: 0.5}", "{low: 0.5, high: 1}"))  # fmt: skip
    with pytest.raises(ScenarioError) as err:
        load_sweep(path)
    text = str(err.value)
    assert f"{path}:3:10 samples: sobol needs a power of 2" in text
    assert f"{path}:6:43 parameters.parameters.alliance_influence.values: design sobol" in text
    assert f"{path}:7:3 parameters.parameters.alliance_influenc: parameters has no field" in text
    assert (
        f"{path}:9:29 metrics[1]: unknown metric 'forecast_coal' (allowed: forecast_climate" in text
    )


def test_sweep_file_with_a_missing_base_says_where_it_looked(tmp_path):
    path = write(
        tmp_path,
        "s.yaml",
        "base: nowhere\ndesign: grid\nparameters:\n  parameters.Q: {values: [1]}\n",
    )
    with pytest.raises(ScenarioError, match=r"s.yaml:1:7 base: no scenario file 'nowhere'"):
        load_sweep(path)


@pytest.mark.parametrize("name", ["climate_club", "influence_summits", "influence_sobol"])
def test_bundled_sweeps_load(name):
    sweep = load_sweep(SCENARIOS / "sweeps" / f"{name}.yaml")
    assert sweep.spec.description
    assert sweep.name in (SCENARIOS / "sweeps" / "README.md").read_text()
    _x, runs = plan(sweep)
    assert len(runs) == count_points(sweep.spec) * sweep.spec.replications


# ------------------------------------------------------------------------------ designs, seeds
def test_designs_have_the_documented_sizes(tmp_path):
    base = SCENARIOS / "classroom_five.yaml"
    params = (
        "parameters:\n  parameters.Q: {low: 0.5, high: 1}\n  parameters.T: {low: 0.5, high: 1}\n"
    )
    sizes = {
        "design: grid\nlevels: 4\n": 16,
        "design: random\nsamples: 10\n": 10,
        "design: latin_hypercube\nsamples: 10\n": 10,
        "design: sobol\nsamples: 8\n": 8 * (2 * 2 + 2),
        "design: sobol\nsamples: 8\nsecond_order: false\n": 8 * (2 + 2),
        "design: morris\ntrajectories: 5\n": 5 * 3,
    }
    for design, n in sizes.items():
        sweep = load_sweep(write(tmp_path, "d.yaml", f"base: {base}\n{design}{params}"))
        x = design_matrix(sweep)
        assert x.shape == (n, 2), design
        assert ((x >= 0.5) & (x <= 1)).all(), design
        np.testing.assert_array_equal(x, design_matrix(sweep))  # reproducible


def test_integer_parameters_are_rounded(tmp_path):
    text = f"base: {SCENARIOS / 'classroom_five.yaml'}\ndesign: random\nsamples: 20\nparameters:\n  parameters.summit_every: {{low: 1, high: 6}}\n"
    sweep = load_sweep(write(tmp_path, "i.yaml", text))
    _, runs = plan(sweep)
    values = [r[4]["parameters.summit_every"] for r in runs]
    assert all(isinstance(v, int) for v in values) and len(set(values)) > 2


def test_seeds_are_distinct_reproducible_and_order_free(small):
    _, runs = plan(small)
    seeds = [r[3] for r in runs]
    assert len(set(seeds)) == len(seeds)
    assert seeds == [r[3] for r in plan(small)[1]]
    # Seed of (point, replication) is the SeedSequence spawn tree's child, whatever else exists.
    root = np.random.SeedSequence(7)
    child = root.spawn(3)[2].spawn(2)[1]
    assert run_seed(7, 2, 1) == int(child.generate_state(1, np.uint64)[0] >> np.uint64(1))
    assert run_seed(7, 2, 1) != run_seed(8, 2, 1)
    assert all(0 <= s < 2**63 for s in seeds)


def test_run_one_returns_the_metrics(five):
    row = run_one(five, {"parameters.alliance_influence": 0.5}, seed=3, rounds=3)
    assert row["rounds_run"] == 3
    assert set(row) >= {"forecast_climate", "n_blocs", "unbalanced_triads", "wall_time_s"}
    assert 0 <= row["forecast_climate"] <= 100
    assert row == {**run_one(five, {"parameters.alliance_influence": 0.5}, seed=3, rounds=3),
                   "wall_time_s": row["wall_time_s"]}  # fmt: skip


# ------------------------------------------------------------------------------ executors
@pytest.mark.slow
def test_serial_processes_and_dask_give_identical_rows(small, tmp_path):
    frames = {}
    for executor in ("serial", "processes", "dask"):
        out = tmp_path / executor
        m = run_sweep(small, out, executor=executor, workers=2, progress=False)
        assert m["n_ok"] == 8 and m["finished"]
        frames[executor] = frame_without_time(out)
    assert len(frames["serial"]) == 8
    assert (frames["serial"]["status"] == "ok").all()
    assert frames["serial"]["parameters.alliance_influence"].nunique() == 2
    pd.testing.assert_frame_equal(frames["serial"], frames["processes"])
    pd.testing.assert_frame_equal(frames["serial"], frames["dask"])


# ------------------------------------------------------------------------------ resume
class Stop(KeyboardInterrupt):
    pass


def interrupt_after(k: int):
    seen = []

    def hook(rows):
        seen.extend(rows)
        if len(seen) >= k:
            raise Stop

    return hook


@pytest.mark.parametrize("executor", ["serial", "processes"])
def test_resume_after_an_interruption_runs_each_run_once(small, tmp_path, executor):
    out = tmp_path / "out"
    with pytest.raises(Stop):
        run_sweep(small, out, executor=executor, workers=2, chunk_rows=2,
                  on_rows=interrupt_after(3), progress=False)  # fmt: skip
    first = read_results(out)
    assert 3 <= len(first) < 8
    ran = []
    m = run_sweep(small, out, executor=executor, workers=2, chunk_rows=2,
                  on_rows=ran.extend, progress=False)  # fmt: skip
    assert sorted(r["run"] for r in ran) == sorted(set(range(8)) - set(first["run"]))
    parts = pd.concat(pd.read_parquet(p) for p in sorted((out / "results.parquet").glob("part-*")))
    assert sorted(parts["run"]) == list(range(8))  # on disk: every run exactly once
    assert m["finished"] and m["n_done"] == 8 and len(m["sessions"]) == 2
    ref = tmp_path / "ref"
    run_sweep(small, ref, executor="serial", progress=False)
    pd.testing.assert_frame_equal(frame_without_time(out), frame_without_time(ref))


@pytest.mark.slow
def test_resume_after_kill_9_of_the_main_process(tmp_path):
    sweep_file = write(tmp_path, "k.yaml", SMALL.format(base=SCENARIOS / "classroom_five.yaml")
                       .replace("replications: 2", "replications: 6"))  # fmt: skip
    out = tmp_path / "out"
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
        "from sim.sweepfile import load_sweep\nfrom sim.sweeps import run_sweep\n"
        "if __name__ == '__main__':\n"
        f"    run_sweep(load_sweep({str(sweep_file)!r}), {str(out)!r}, executor='serial', chunk_rows=2, progress=False)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code])
    deadline = time.monotonic() + 60
    parts = out / "results.parquet"
    while time.monotonic() < deadline and len(list(parts.glob("part-*"))) < 2:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = read_results(out)
    assert 0 < len(before) < 24
    run_sweep(load_sweep(sweep_file), out, executor="serial", progress=False)
    after = read_results(out)
    files = pd.concat(pd.read_parquet(p) for p in parts.glob("part-*"))
    assert sorted(files["run"]) == list(range(24))
    assert (after["status"] == "ok").all()


def test_resume_refuses_a_folder_of_another_sweep(small, tmp_path):
    out = tmp_path / "out"
    run_sweep(small, out, executor="serial", limit=2, progress=False)
    other = write(tmp_path, "other.yaml", SMALL.format(base=SCENARIOS / "classroom_five.yaml")
                  .replace("seed: 7", "seed: 8"))  # fmt: skip
    with pytest.raises(RunError, match=r"holds results of a different sweep"):
        run_sweep(load_sweep(other), out, executor="serial", progress=False)
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "notes.txt").write_text("mine")
    with pytest.raises(RunError, match=r"not empty and is not a sweep folder"):
        run_sweep(small, tmp_path / "junk", executor="serial", progress=False)


def test_limit_runs_the_first_runs_and_a_rerun_completes(small, tmp_path):
    out = tmp_path / "out"
    m = run_sweep(small, out, executor="serial", limit=3, progress=False)
    assert m["n_done"] == 3 and m["finished"] is None
    assert list(read_results(out)["run"]) == [0, 1, 2]
    m = run_sweep(small, out, executor="serial", progress=False)
    assert m["n_done"] == 8 and m["finished"]


# ------------------------------------------------------------------------------ failing runs
def test_a_failing_run_is_recorded_and_the_sweep_completes(small, tmp_path, monkeypatch):
    import sim.runner

    real = sim.runner.run_scenario

    def flaky(scenario, **kw):
        if scenario.parameters.alliance_influence > 0.5 and scenario.parameters.summit_every == 4:
            raise FloatingPointError("overflow in payoff\nsecond line")
        return real(scenario, **kw)

    monkeypatch.setattr(sim.runner, "run_scenario", flaky)
    out = tmp_path / "out"
    m = run_sweep(small, out, executor="serial", progress=False)
    frame = read_results(out)
    failed = frame[frame["status"] == "error"]
    assert list(failed["point"]) == [3, 3]
    assert failed["error"].str.startswith("FloatingPointError: overflow in payoff | second").all()
    assert failed["forecast_climate"].isna().all()
    assert (frame.loc[frame["status"] == "ok", "error"] == "").all()
    assert m["n_error"] == 2 and m["n_ok"] == 6 and m["finished"]


# ------------------------------------------------------------------------------ storage
def test_csv_store_without_pyarrow_repairs_a_torn_line(tmp_path):
    cols = {"run": "int", "x": "float", "status": "str", "error": "str"}
    store = ResultStore(tmp_path, cols, chunk_rows=2, parquet=False)
    store.add([{"run": 0, "x": 0.5, "status": "ok", "error": ""}])
    store.add([{"run": 1, "x": None, "status": "error", "error": "ValueError: a, b"}])
    path = tmp_path / "results.csv"
    with open(path, "a") as fh:
        fh.write("2,0.7,o")  # a crash in the middle of an append
    store = ResultStore(tmp_path, cols, parquet=False)
    assert store.completed() == {0, 1}
    frame = store.read()
    assert frame["error"].tolist()[1] == "ValueError: a, b"


def test_sweep_without_pyarrow_writes_csv_and_resumes(small, tmp_path, monkeypatch):
    import sim.sweeps.store

    monkeypatch.setattr(sim.sweeps.store, "_has_pyarrow", lambda: False)
    out = tmp_path / "out"
    run_sweep(small, out, executor="serial", limit=5, chunk_rows=2, progress=False)
    m = run_sweep(small, out, executor="serial", progress=False)
    assert m["results"] == "results.csv" and m["n_done"] == 8
    assert list(read_results(out)["run"]) == list(range(8))
    assert len((out / "results.csv").read_text().splitlines()) == 9


def test_manifest_records_the_sweep(small, tmp_path):
    out = tmp_path / "out"
    run_sweep(small, out, executor="serial", progress=False, argv=["run.py", "sweep", "x"])
    m = json.loads((out / "sweep.json").read_text())
    assert m["root_seed"] == 7 and m["n_runs"] == 8 and m["n_points"] == 4
    assert len(m["sweep_sha256"]) == 64 and m["design"]["design"] == "grid"
    assert m["sessions"][0]["command"] == ["run.py", "sweep", "x"]
    assert "numpy" in m["sessions"][0]["versions"]
    assert np.load(out / "design.npy").shape == (4, 2)


def test_keep_runs_writes_run_folders(small, tmp_path):
    out = tmp_path / "out"
    run_sweep(small, out, executor="serial", limit=2, keep_runs=True, progress=False)
    folders = sorted(p.name for p in (out / "runs").iterdir())
    assert folders == ["run-0000000", "run-0000001"]
    manifest = json.loads((out / "runs" / "run-0000001" / "manifest.json").read_text())
    assert manifest["seed"] == run_seed(7, 0, 1)


# ------------------------------------------------------------------------------ CLI
def cli(*argv):
    """run.py's main() in-process: its exit code."""
    import run

    return run.main([str(a) for a in argv])


def test_cli_sweep_and_errors(tmp_path, capsys):
    sweep_file = write(tmp_path, "s.yaml", SMALL.format(base=SCENARIOS / "classroom_five.yaml"))
    out = tmp_path / "out"
    assert cli("sweep", sweep_file, "--executor", "serial", "--out", out) == 0
    assert "8 of 8 runs done (8 ok, 0 failed), complete" in capsys.readouterr().out
    assert cli("sweep", sweep_file, "--executor", "serial", "--out", out) == 0  # nothing to do
    assert cli("sweep", sweep_file, "--workers", "0", "--out", out) == 2
    assert cli("sweep", sweep_file, "--scheduler", "tcp://x:1", "--out", out) == 2
    assert cli("sweep", tmp_path / "missing.yaml") == 2
    assert cli("sensitivity", out) == 2  # a grid design has no indices


def test_charts_from_a_sweep(small, tmp_path):
    from analysis.sweep_charts import (
        by_parameter,
        grid_means,
        outcome_by_parameter,
        parameter_heatmap,
    )

    out = tmp_path / "out"
    run_sweep(small, out, executor="serial", progress=False)
    frame = read_results(out)
    s = by_parameter(frame, "parameters.alliance_influence", "forecast_climate")
    assert list(s["n"]) == [4, 4]
    expect = frame.groupby("parameters.alliance_influence")["forecast_climate"].mean()
    np.testing.assert_allclose(s["mean"], expect.to_numpy())
    g = grid_means(frame, "parameters.alliance_influence", "parameters.summit_every", "n_blocs")
    assert g.shape == (2, 2)
    fig = outcome_by_parameter(frame, parameter="parameters.alliance_influence",
                               metric="forecast_climate", group="parameters.summit_every")  # fmt: skip
    assert len(fig.axes[0].lines) == 2
    fig = parameter_heatmap(frame, x="parameters.alliance_influence",
                            y="parameters.summit_every", metric="forecast_climate")  # fmt: skip
    fig.savefig(tmp_path / "h.png")
    assert (tmp_path / "h.png").stat().st_size > 1000


def test_sweep_charts_never_import_mesa():
    code = "import sys; import analysis.sweep_charts; print('mesa' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


def _children_of(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


@pytest.mark.skipif(not Path("/proc").exists(), reason="finds pool workers through /proc")
def test_a_killed_worker_stops_the_sweep_cleanly_and_a_rerun_completes(small, tmp_path):
    from multiprocessing import forkserver

    out = tmp_path / "out"

    def kill_a_worker(rows):
        server = forkserver._forkserver._forkserver_pid
        workers = _children_of(server)
        if workers:
            os.kill(workers[0], signal.SIGKILL)

    with pytest.raises(RunError, match=r"a worker process died.*rerun the same command"):
        run_sweep(small, out, executor="processes", workers=2, chunk_rows=1,
                  on_rows=kill_a_worker, progress=False)  # fmt: skip
    m = run_sweep(small, out, executor="processes", workers=2, progress=False)
    assert m["n_done"] == 8 and list(read_results(out)["run"]) == list(range(8))


@pytest.mark.slow
def test_dask_executor_connects_to_a_running_scheduler(small, tmp_path):
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:  # fmt: skip
        m = run_sweep(small, tmp_path / "out", executor="dask", scheduler=cluster.scheduler_address,
                      limit=4, progress=False)  # fmt: skip
    assert m["n_ok"] == 4
    assert m["sessions"][0]["scheduler"].startswith("tcp://")


def test_by_parameter_bins_a_sampled_parameter_and_skips_failed_runs():
    from analysis.sweep_charts import by_parameter

    x = np.linspace(0, 1, 120)
    frame = pd.DataFrame(
        {"p": x, "m": 2 * x, "status": ["ok"] * 119 + ["error"], "point": range(120)}
    )
    s = by_parameter(frame, "p", "m", bins=12)
    assert len(s) == 12 and s["n"].sum() == 119
    np.testing.assert_allclose(s["mean"], 2 * s["p"])  # bins labelled by their mean
    assert s["p"].is_monotonic_increasing


def test_two_sweeps_cannot_write_one_folder(small, tmp_path):
    import fcntl

    out = tmp_path / "out"
    run_sweep(small, out, executor="serial", limit=1, progress=False)
    fd = os.open(out / ".lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a running sweep holds it
        with pytest.raises(RunError, match=r"another sweep \(process \d+\) is writing to"):
            run_sweep(small, out, executor="serial", progress=False)
    finally:
        os.close(fd)
    assert run_sweep(small, out, executor="serial", progress=False)["n_done"] == 8


@pytest.mark.slow
def test_ctrl_c_saves_finished_runs_and_a_rerun_completes(tmp_path):
    sweep_file = write(
        tmp_path,
        "c.yaml",
        SMALL.format(base=SCENARIOS / "classroom_five.yaml").replace(
            "replications: 2", "replications: 100"
        ),
    )
    out = tmp_path / "out"
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
        "import argparse\nfrom sim.sweeps import add_cli\n"
        "if __name__ == '__main__':\n"
        "    p = argparse.ArgumentParser(); add_cli(p.add_subparsers())\n"
        f"    a = p.parse_args(['sweep', {str(sweep_file)!r}, '--out', {str(out)!r}, '--workers', '2'])\n"
        "    try:\n"
        "        sys.exit(a.func(a))\n"
        "    except KeyboardInterrupt:\n"
        "        sys.exit(99)  # the handler should have caught it\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], start_new_session=True, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (out / "sweep.json").exists():
        time.sleep(0.05)
    time.sleep(1.0)  # runs under way (the sweep takes several seconds)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C does: the whole process group
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted: finished runs are saved" in err and "Traceback" not in err
    assert len(read_results(out)) < 400
    run_sweep(load_sweep(sweep_file), out, executor="processes", workers=2, progress=False)
    files = pd.concat(pd.read_parquet(p) for p in (out / "results.parquet").glob("part-*"))
    assert sorted(files["run"]) == list(range(400))
