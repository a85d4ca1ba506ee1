"""Same seed, same bytes: every bundled scenario, run in two processes and in this one."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest
from conftest import ROOT, SCENARIOS

from sim.runner import manifest, run_scenario, write_run
from sim.scenario import load_scenario

BUNDLED = sorted(SCENARIOS.glob("*.yaml"))


def _csv_bytes(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.csv"))}


@pytest.mark.slow
@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_same_seed_same_bytes(tmp_path, path):
    outs = []
    for i in range(2):
        out = tmp_path / f"proc{i}"
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "run.py"),
                "run",
                str(path),
                "--rounds",
                "20",
                "--seed",
                "123",
                "--out",
                str(out),
                "--no-report",
            ],
            check=True,
            capture_output=True,
        )
        outs.append(_csv_bytes(out))
    scenario = load_scenario(path)
    result = run_scenario(scenario, seed=123, rounds=20)
    now = dt.datetime.now(dt.UTC)
    data = manifest(result, scenario, scenario_path=str(path), started=now, finished=now)
    here = write_run(result, tmp_path / "here", manifest_data=data, scenario=scenario)
    outs.append(_csv_bytes(here))
    assert len(outs[0]) >= 10
    assert outs[0] == outs[1], "two processes, same seed: identical CSV bytes"
    differing = [name for name in outs[0] if outs[0][name] != outs[2].get(name)]
    # the in-process run has no narrative summary prepended; the CSV tables are identical
    assert differing == [], differing
