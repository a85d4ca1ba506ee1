"""The command line: exit codes, run folder contract, atomic writes, byte-identical reruns."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
from conftest import DATA, ROOT, SCENARIOS, write
from golden import EC_MEAN, EC_MEDIAN

RUN_FILES = {
    "positions.csv": "round,state,issue,position,risk_exponent",
    "forecasts.csv": "round,issue,weighted_mean,median",
    "challenges.csv": "round,issue,challenger,target,outcome,eu_challenger,eu_target,"
    "position_before,position_after,reason",
    "alliances.csv": "round,a,b,weight",
    "rounds.csv": "round,total_change,converged,unbalanced_triads",
    "treaties.csv": "round,treaty,issues,proposal,members,internally_stable,externally_stable,settled",
    "blocs.csv": "round,state,bloc,energy,is_global_minimum",
    "events.csv": "round,event,description",
}


def test_validate_ok_and_bad(cli, tmp_path):
    code, out, _ = cli("validate", SCENARIOS / "classroom_five.yaml")
    assert code == 0 and out.startswith("OK")
    bad = write(tmp_path, "bad.yaml", "name: x\nissues: []\nstates: []\n")
    code, out, err = cli("validate", bad)
    assert code == 2 and "bad.yaml:2:9 issues:" in err and "Traceback" not in err


def test_schema_prints_json(cli):
    code, out, _ = cli("schema")
    assert code == 0 and json.loads(out)["title"] == "diplomesa scenario"


def test_usage_error_exit_2(cli):
    code, _, _ = cli("run")
    assert code == 2
    code, _, err = cli("run", "no_such_scenario")
    assert code == 2 and "file not found" in err


def test_run_writes_contract(cli, tmp_path):
    out = tmp_path / "run1"
    code, text, err = cli("run", "classroom_five", "--rounds", "6", "--out", out, "--no-report")
    assert code == 0, err
    for name, header in RUN_FILES.items():
        assert (out / name).read_text().splitlines()[0] == header, name
    m = json.loads((out / "manifest.json").read_text())
    assert m["seed"] == 2024 and len(m["scenario_sha256"]) == 64
    assert m["parameters"]["rounds"] == 6 and "mesa" in m["versions"]
    assert {"started", "finished", "command"} <= set(m)
    assert list(out.glob("positions_*.png")), "the positions chart is written"
    assert "Forecast (vote median)" in text
    assert not list(tmp_path.glob(".run1*")), "no temporary folders left behind"


def test_run_on_stakeholder_table(cli, tmp_path):
    code, _, err = cli("run", DATA / "ec_ktab.csv", "--out", tmp_path / "t", "--no-report")
    assert code == 0, err
    f = pd.read_csv(tmp_path / "t" / "forecasts.csv")
    assert abs(f.iloc[0]["weighted_mean"] - EC_MEAN) < 1e-12
    assert f.iloc[0]["median"] == EC_MEDIAN


def test_refuses_to_overwrite_a_folder_that_is_not_a_run(cli, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.docx").write_text("precious")
    code, _, err = cli("run", "classroom_five", "--out", out, "--no-report")
    assert code == 2 and "not a run folder" in err
    assert (out / "thesis.docx").read_text() == "precious"


def test_failed_run_leaves_nothing(cli, tmp_path):
    bad = write(tmp_path, "bad.yaml", "name: x\n")
    code, _, _ = cli("run", bad, "--out", tmp_path / "out")
    assert code == 2 and not (tmp_path / "out").exists()


def _csvs(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.csv"))}


def test_same_seed_same_bytes_across_processes(tmp_path):
    outs = []
    for i in range(2):
        out = tmp_path / f"r{i}"
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "run.py"),
                "run",
                "classroom_five",
                "--seed",
                "7",
                "--rounds",
                "8",
                "--out",
                str(out),
                "--no-report",
            ],
            check=True,
            capture_output=True,
        )
        outs.append(_csvs(out))
    assert outs[0] == outs[1] and len(outs[0]) >= 8
