"""The corpus of malformed and hostile inputs in tests/data/bad/: each refused clearly.

Every file ``X`` has ``X.expected``: a fragment its error message must contain. Each is refused by
``run.py validate`` and ``run.py run`` with exit code 2, the file's name in the message, and no
traceback; nothing is executed and no run folder is written.
"""

from __future__ import annotations

import pytest
from conftest import DATA

BAD = DATA / "bad"
CASES = sorted(p for p in BAD.iterdir() if p.suffix in {".yaml", ".csv"})


def test_corpus_is_large_enough():
    assert len(CASES) >= 30
    assert all(p.with_name(p.name + ".expected").exists() for p in CASES)


@pytest.mark.parametrize("path", CASES, ids=[p.name for p in CASES])
def test_bad_input_is_refused_with_its_message(cli, tmp_path, path):
    expected = path.with_name(path.name + ".expected").read_text(encoding="utf-8").strip()
    code, out, err = cli("validate", path)
    assert code == 2, (out, err)
    assert expected in err, err
    assert path.name in err and "Traceback" not in err
    code, _, err = cli("run", path, "--out", tmp_path / "run")
    assert code == 2 and expected in err
    assert not (tmp_path / "run").exists()


def test_python_tags_never_execute(cli, tmp_path):
    marker = tmp_path / "pwned"
    evil = BAD / "python_tag.yaml"
    text = evil.read_text().replace("echo pwned", f"touch {marker}")
    p = tmp_path / "evil.yaml"
    p.write_text(text)
    code, _, _ = cli("validate", p)
    assert code == 2 and not marker.exists()


def test_oversize_file(cli, tmp_path):
    p = tmp_path / "huge.yaml"
    p.write_text("# " + "x" * (3 * 1024 * 1024) + "\n")
    code, _, err = cli("validate", p)
    assert code == 2 and "the limit is 2,097,152 bytes" in err


def test_too_big_for_the_machine(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("DIPLOMESA_MAX_MEMORY_MB", "1")
    code, _, err = cli("run", "classroom_five", "--rounds", "10000", "--out", tmp_path / "r")
    assert code == 2 and "would need about" in err and "--rounds" in err
    assert not (tmp_path / "r").exists()


def test_debug_shows_traceback(tmp_path):
    import subprocess
    import sys

    from conftest import ROOT

    r = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "--debug", "validate", str(BAD / "empty.yaml")],
        capture_output=True,
        text=True,
    )
    assert r.returncode != 0 and "Traceback" in r.stderr and "ScenarioError" in r.stderr
