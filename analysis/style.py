"""The look shared by every chart: projector-sized fonts, Okabe-Ito colours, label placement.

Charts build :class:`matplotlib.figure.Figure` objects directly (no pyplot): no global figure
registry to leak, no backend to force, safe from several classroom sessions at once. The style
is applied inside each chart with :func:`styled`, never by changing the caller's rcParams.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.transforms import ScaledTranslation

#: Okabe & Ito (2008) colour-blind-safe palette (black last).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY, YELLOW, BLACK = PALETTE
GREY = "#999999"

#: Colour of each challenge outcome (conflict strongest, stalemate neutral).
OUTCOME_COLOURS = {
    "conflict": VERMILLION,
    "compromise": ORANGE,
    "capitulation": BLUE,
    "stalemate": GREY,
}

FONT = 14
RC = {
    "font.size": FONT,
    "axes.titlesize": FONT + 3,
    "axes.labelsize": FONT + 1,
    "legend.fontsize": FONT - 1,
    "xtick.labelsize": FONT - 1,
    "ytick.labelsize": FONT - 1,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.dpi": 100,
}


def styled(fn: Callable[..., Figure]) -> Callable[..., Figure]:
    """Run a chart function under :data:`RC` without touching the caller's rcParams."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with mpl.rc_context(RC):
            fig = fn(*args, **kwargs)
            for ax in fig.axes:
                # Ticks created later at draw time read these, not the rc_context.
                ax.tick_params(labelsize=FONT - 1)
            return fig

    return wrapper


def new_axes(ax: Axes | None, figsize: tuple[float, float] = (11, 6.5)) -> tuple[Figure, Axes]:
    """The caller's axes, or a fresh constrained-layout figure with one axes."""
    if ax is not None:
        return ax.figure, ax
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def note(ax: Axes, text: str, title: str | None = None) -> None:
    """A centred grey message in an empty chart (e.g. "No treaties in this run")."""
    if title:
        ax.set_title(title)
    ax.text(
        0.5,
        0.5,
        text,
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontsize=FONT + 2,
        color="#555555",
        wrap=True,
    )
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)


def legend_below(
    ax: Axes,
    ncol: int | None = None,
    handles: list | None = None,
    below: float = 0.62,
    **kwargs,
) -> None:
    """Legend under the axes, off the data (constrained layout makes room for it).

    It hangs ``below`` inches under the axes, clear of the tick labels and the x label, the same
    gap whatever the figure's height.
    """
    if handles is None:
        handles, _ = ax.get_legend_handles_labels()
    if not handles:
        return
    offset = ScaledTranslation(0, -below, ax.figure.dpi_scale_trans)
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        bbox_transform=ax.transAxes + offset,
        ncol=ncol or min(len(handles), 4),
        frameon=False,
        **kwargs,
    )


def spread(values: Sequence[float], min_gap: float) -> np.ndarray:
    """Move sorted label positions apart so neighbours are at least ``min_gap`` apart.

    Keeps the labels' order and their mean as close to the data as it can (the labels of a
    cluster centre on it). Returns the new positions in the input order.
    """
    y = np.asarray(values, dtype=float)
    if y.size == 0:
        return y
    order = np.argsort(y, kind="stable")
    ys = y[order]
    # Clusters of overlapping labels are laid out evenly around their mean, merging until none
    # overlap (a 1-D version of the usual repel iteration, exact and deterministic).
    clusters = [[v] for v in ys]
    starts = list(ys)
    changed = True
    while changed:
        changed = False
        i = 0
        while i < len(clusters) - 1:
            end_i = starts[i] + (len(clusters[i]) - 1) * min_gap
            if starts[i + 1] - end_i < min_gap - 1e-12:
                merged = clusters[i] + clusters[i + 1]
                centre = float(np.mean(merged))
                clusters[i] = merged
                starts[i] = centre - (len(merged) - 1) * min_gap / 2
                del clusters[i + 1], starts[i + 1]
                changed = True
            else:
                i += 1
    placed = np.concatenate(
        [s + np.arange(len(c)) * min_gap for s, c in zip(starts, clusters, strict=True)]
    )
    out = np.empty_like(y)
    out[order] = placed
    return out
