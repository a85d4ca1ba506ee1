"""Charts of a parameter sweep: outcome against a parameter, two-parameter heatmaps, and
sensitivity-index bars.

Each chart is a pure function ``(frame, *, ..., ax=None) -> Figure`` over the sweep's results
table (``sim.sweeps.read_results``: one row per run, a column per varied parameter named by its
dotted path, a column per outcome metric) or the tidy ``sensitivity.csv``. The numbers behind
each chart come from a separate function (``by_parameter``, ``grid_means``) that tests check.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .style import GREY, PALETTE, legend_below, new_axes, note, styled

#: Above this many distinct values a parameter is binned (random and sampled designs).
MAX_LEVELS = 25


def _ok(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["status"] == "ok"] if "status" in frame else frame


def by_parameter(frame: pd.DataFrame, parameter: str, metric: str, bins: int = 12) -> pd.DataFrame:
    """Mean, standard deviation, 10th/90th percentiles and count of ``metric`` per value of
    ``parameter`` over successful runs (binned into ``bins`` quantile bins, labelled by their
    mean, when the parameter takes more than MAX_LEVELS values)."""
    data = _ok(frame)[[parameter, metric]].apply(pd.to_numeric, errors="coerce").dropna()
    key = data[parameter]
    if key.nunique() > MAX_LEVELS:
        codes = pd.qcut(key, bins, labels=False, duplicates="drop")
        key = data.groupby(codes)[parameter].transform("mean")
    g = data.groupby(key)[metric]
    out = pd.DataFrame(
        {
            "mean": g.mean(),
            "sd": g.std(ddof=1).fillna(0.0),
            "p10": g.quantile(0.1),
            "p90": g.quantile(0.9),
            "n": g.size(),
        }
    )
    out.index.name = parameter
    return out.reset_index()


def grid_means(frame: pd.DataFrame, x: str, y: str, metric: str) -> pd.DataFrame:
    """Mean of ``metric`` over replications on the (y rows, x columns) grid."""
    data = _ok(frame)[[x, y, metric]].apply(pd.to_numeric, errors="coerce").dropna()
    return data.pivot_table(index=y, columns=x, values=metric, aggfunc="mean").sort_index()


def _label(name: str) -> str:
    """``states.China.capability`` -> ``China capability``; ``parameters.Q`` -> ``Q``."""
    parts = name.split(".")
    if len(parts) > 1 and parts[0] in {"parameters", "states", "treaties", "issues"}:
        parts = parts[1:]
    return " ".join(parts).replace("_", " ")


@styled
def outcome_by_parameter(
    frame: pd.DataFrame,
    *,
    parameter: str,
    metric: str,
    group: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """``metric`` against ``parameter``: each run a faint dot, the mean over replications a line,
    the 10-90 % band of runs shaded; one line per value of ``group`` if given."""
    fig, ax = new_axes(ax)
    data = _ok(frame)
    if data.empty or data[metric].isna().all():
        note(ax, f"No successful runs with {metric}", title=_label(metric))
        return fig
    groups = [(None, data)] if group is None else list(data.groupby(group, sort=True))
    for i, (value, part) in enumerate(groups):
        colour = PALETTE[i % len(PALETTE)]
        runs = part[[parameter, metric]].apply(pd.to_numeric, errors="coerce").dropna()
        ax.scatter(runs[parameter], runs[metric], s=14, color=colour, alpha=0.25, lw=0)
        s = by_parameter(part, parameter, metric)
        label = None if group is None else f"{_label(group)} = {value:g}"
        # Earlier groups are drawn thicker, so lines that coincide stay visible as nested strokes.
        lw = 2.0 + 4.0 * (len(groups) - 1 - i) / max(len(groups) - 1, 1)
        ax.plot(s[parameter], s["mean"], color=colour, lw=lw, marker="o", label=label)
        ax.fill_between(s[parameter], s["p10"], s["p90"], color=colour, alpha=0.15, lw=0)
    ax.set_xlabel(_label(parameter))
    ax.set_ylabel(_label(metric))
    reps = data.groupby("point").size().max() if "point" in data else 1
    ax.set_title(f"{_label(metric)} by {_label(parameter)} (line: mean of {reps} replications)")
    if group is not None:
        legend_below(ax)
    return fig


@styled
def parameter_heatmap(
    frame: pd.DataFrame, *, x: str, y: str, metric: str, ax: Axes | None = None
) -> Figure:
    """Mean ``metric`` over replications on a two-parameter grid (values written in the cells
    when the grid is small enough to read)."""
    fig, ax = new_axes(ax, figsize=(10, 7))
    grid = grid_means(frame, x, y, metric)
    if grid.empty:
        note(ax, f"No successful runs with {metric}", title=_label(metric))
        return fig
    img = ax.imshow(grid.to_numpy(), origin="lower", aspect="auto", cmap="viridis")
    ax.set_xticks(range(grid.shape[1]), [f"{v:g}" for v in grid.columns])
    ax.set_yticks(range(grid.shape[0]), [f"{v:g}" for v in grid.index])
    ax.set_xlabel(_label(x))
    ax.set_ylabel(_label(y))
    ax.set_title(f"Mean {_label(metric)}")
    fig.colorbar(img, ax=ax, label=_label(metric))
    if grid.size <= 100:
        values = grid.to_numpy()
        mid = np.nanmean(values)
        for (r, c), v in np.ndenumerate(values):
            if np.isfinite(v):
                ax.text(
                    c, r, f"{v:.3g}", ha="center", va="center",
                    color="black" if v > mid else "white", fontsize=12,
                )  # fmt: skip
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig


@styled
def sensitivity_bars(
    frame: pd.DataFrame, *, metric: str | None = None, ax: Axes | None = None
) -> Figure:
    """Sensitivity indices of one metric (rows of ``sensitivity.csv``) as grouped bars with 95 %
    confidence intervals: S1 and ST (Sobol') or mu* and sigma (Morris) per parameter."""
    fig, ax = new_axes(ax)
    if metric is not None:
        frame = frame[frame["metric"] == metric]
    if frame.empty:
        note(ax, "No sensitivity indices", title=metric or "")
        return fig
    metric = metric or str(frame["metric"].iloc[0])
    params = list(dict.fromkeys(frame["parameter"]))
    indices = list(dict.fromkeys(frame["index"]))
    width = 0.8 / len(indices)
    x = np.arange(len(params))
    names = {"S1": "first order S1", "ST": "total ST", "mu_star": "mu*", "sigma": "sigma"}
    for i, index in enumerate(indices):
        part = frame[frame["index"] == index].set_index("parameter").reindex(params)
        ax.bar(
            x + (i - (len(indices) - 1) / 2) * width,
            part["value"],
            width,
            yerr=part["ci"],
            capsize=4,
            color=PALETTE[i % len(PALETTE)],
            ecolor=GREY if i else "black",
            label=names.get(index, index),
        )
    ax.set_xticks(x, [_label(p) for p in params])
    ax.axhline(0, color="black", lw=0.8)
    method = str(frame["method"].iloc[0])
    ax.set_ylabel("share of variance" if method == "sobol" else "effect per full range")
    ax.set_title(f"Sensitivity of {_label(metric)} ({method}, bars: 95 % CI)")
    legend_below(ax)
    return fig
