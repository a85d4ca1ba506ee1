"""Exceptions of diplomesa.

Every mistake a user can make in a file is a :class:`ScenarioError` that carries *all* the problems
found in one pass, each with file, line, column and field path, so a student fixes a file once.
The command line prints them and exits with code 2; it never shows a traceback for these.
"""

from __future__ import annotations

from dataclasses import dataclass


class DiplomesaError(Exception):
    """Base class of every error this package raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong in an input file.

    ``line`` and ``col`` are 1-based; 0 means "not known" (e.g. a field that is missing from a
    mapping is reported at the mapping's own position).
    """

    file: str
    line: int
    col: int
    path: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line <= 0 else f"{self.file}:{self.line}:{self.col}"
        return f"{where} {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ScenarioError(DiplomesaError):
    """An input file (scenario, stakeholder table, sweep file, upload) is not acceptable.

    ``problems`` lists every problem found; ``str(error)`` is one problem per line.
    """

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]):
        if not problems:
            raise ValueError("ScenarioError needs at least one problem")
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def single(cls, file: str, message: str, path: str = "", line: int = 0, col: int = 0):
        """An error with one problem, e.g. a file that cannot be read at all."""
        return cls([Problem(str(file), line, col, path, message)])


class RunError(DiplomesaError):
    """A run could not be carried out for a reason the user can act on (e.g. output folder)."""
