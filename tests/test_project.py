"""The project's own promises: the README Quickstart and CI agree, registries are documented."""

from __future__ import annotations

import re

from conftest import ROOT


def _quickstart_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert text.lstrip().startswith("# diplomesa")
    section = text.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", section, flags=re.S)


def test_quickstart_has_exactly_two_commands():
    cmds = _quickstart_commands()
    assert len(cmds) == 2, cmds
    assert all("\n" not in c for c in cmds), "each command is one copy-paste line"
    assert "run.py run" in cmds[0] and "pytest" in cmds[1]


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test_cmd = _quickstart_commands()[1]
    assert test_cmd in ci.splitlines()
    assert "apt-get install" in ci and "chromium" in ci
    assert "DIPLOMESA_REQUIRE_BROWSER=1" in ci


def test_python_version_file():
    assert (ROOT / ".python-version").read_text().strip() == "3.12"
