"""Analysis of run folders: tidy frames in, metrics and charts out. Never imports Mesa."""

from .load import RunData, load_run

__all__ = ["RunData", "load_run"]
