"""Shared fixtures: paths to the bundled scenarios and a helper to run the CLI in-process."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
DATA = Path(__file__).parent / "data"

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture
def cli(capsys):
    """Run ``run.py`` in-process: returns (exit code, stdout, stderr)."""
    import run

    def call(*argv: str):
        code = run.main([str(a) for a in argv])
        out = capsys.readouterr()
        return code, out.out, out.err

    return call


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p
