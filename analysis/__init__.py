"""Analysis of run folders: tidy frames in, metrics and charts out. Never imports Mesa."""

from .load import RunData, concat_tables, load_run

__all__ = ["RunData", "concat_tables", "load_run"]
