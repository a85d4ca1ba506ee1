"""A run interrupted by SIGINT or SIGTERM leaves a complete run folder or none."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest
from conftest import ROOT

from sim.records import TABLES

EXPECTED = {f"{t}.csv" for t in TABLES} | {"manifest.json", "narrative.txt", "scenario.json"}


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("delay", [0.5, 2.0, 4.0])
def test_interrupted_run_leaves_all_or_nothing(tmp_path, sig, delay):
    out = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "run.py"), "run", "un193", "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(delay)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    if out.exists():
        files = {p.name for p in out.iterdir()}
        assert files >= EXPECTED, sorted(EXPECTED - files)
    else:
        assert proc.returncode == 130, err
        assert "interrupted: nothing was written" in err
    assert "Traceback" not in err
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "run"]
    assert leftovers == [], leftovers
