"""Parameter sweeps: many runs of one scenario, on a laptop or a Dask cluster, resumable.

Everything rests on one importable function, :func:`run_one` (scenario, overrides, seed) ->
summary row. A sweep (see :mod:`sim.sweepfile`) resolves to design points x replications; each
run has a fixed index ``run = point * replications + replication`` and a seed that depends only on
(root seed, point, replication)::

    SeedSequence(root, spawn_key=(point, replication))   # == root.spawn(..)[point].spawn(..)[rep]
    seed = generate_state(1, uint64)[0] >> 1             # a 63-bit int for Model(rng=seed)

so results never depend on the order runs finish in, the worker count or the executor (serial,
a process pool, or Dask). Rows are streamed to disk in atomically written chunks; rerunning the
same command skips the runs already on disk (see :class:`ResultStore`).
"""

from .cli import add_cli, cmd_sweep
from .design import design_matrix, point_values, result_columns, run_seed, salib_problem
from .execution import EXECUTORS, dask_environment, run_batch, run_one
from .metrics import ID_COLUMNS, STATUS_COLUMNS, metric_columns, metric_columns_of, summarize
from .store import ResultStore, read_results
from .sweep import fingerprint, plan, run_sweep

__all__ = [
    "EXECUTORS",
    "ID_COLUMNS",
    "STATUS_COLUMNS",
    "ResultStore",
    "add_cli",
    "cmd_sweep",
    "dask_environment",
    "design_matrix",
    "fingerprint",
    "metric_columns",
    "metric_columns_of",
    "plan",
    "point_values",
    "read_results",
    "result_columns",
    "run_batch",
    "run_one",
    "run_seed",
    "run_sweep",
    "salib_problem",
    "summarize",
]
