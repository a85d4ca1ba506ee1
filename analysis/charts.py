"""Charts of coalition outcomes: each is ``(frame, *, ax=None, ...) -> Figure``.

Readable on a classroom projector: large fonts, the Okabe-Ito colour-blind-safe palette, state
names rather than ids.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

#: Okabe & Ito (2008) colour-blind-safe palette.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]

plt.rcParams.update({"font.size": 13, "axes.titlesize": 15, "axes.labelsize": 13})


def _axes(ax, figsize=(10, 6)):
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
        return fig, ax
    return ax.figure, ax


def positions_over_rounds(
    positions: pd.DataFrame,
    *,
    issue: str,
    forecasts: pd.DataFrame | None = None,
    ax=None,
    max_labels: int = 12,
) -> Figure:
    """Each state's position on one issue by round, with the forecast median dashed."""
    fig, ax = _axes(ax)
    data = positions[positions["issue"] == issue]
    wide = data.pivot(index="round", columns="state", values="position")
    last = wide.iloc[-1].sort_values()
    for i, state in enumerate(last.index):
        ax.plot(wide.index, wide[state], color=PALETTE[i % len(PALETTE)], lw=1.8, alpha=0.85)
    if len(last) <= max_labels:
        for i, (state, y) in enumerate(last.items()):
            ax.annotate(
                state,
                (wide.index[-1], y),
                xytext=(6, 0),
                textcoords="offset points",
                va="center",
                fontsize=10,
                color=PALETTE[i % len(PALETTE)],
            )
    if forecasts is not None and not forecasts.empty:
        f = forecasts[forecasts["issue"] == issue]
        ax.plot(f["round"], f["median"], "k--", lw=2.5, label="forecast (vote median)")
        ax.legend(loc="upper left", frameon=False)
    ax.set_xlabel("round")
    ax.set_ylabel(f"position on {issue}")
    ax.set_title(f"Positions on {issue} over rounds")
    ax.margins(x=0.12)
    return fig
