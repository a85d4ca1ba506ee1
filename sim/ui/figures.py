"""The classroom page's charts: the alliance network and positions per issue, sized for a projector.

Figures are built as :class:`matplotlib.figure.Figure` objects (no pyplot), so several browser
sessions can draw at once without sharing pyplot's global figure registry. Colours are the
Okabe-Ito colour-blind-safe palette; fonts are large because the page is read from the back of
a classroom.

References
----------
Okabe, M. & Ito, K. (2008). Color Universal Design: how to make figures and presentations that
are friendly to colorblind people. https://jfly.uni-koeln.de/color/
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import TYPE_CHECKING

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

if TYPE_CHECKING:
    from ..model import NegotiationModel

#: Okabe & Ito (2008) palette, black last.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY, YELLOW, BLACK = PALETTE
GREY = "#888888"
#: Bloc colours (side 0, side 1) and the colour of states when no bloc split exists yet.
BLOC_COLOURS = (BLUE, ORANGE)
NO_BLOC = "#A6A6A6"
ALLY, RIVAL = GREEN, VERMILLION

FONT = 15
RC = {
    "font.size": FONT,
    "axes.titlesize": FONT + 2,
    "axes.labelsize": FONT,
    "xtick.labelsize": FONT - 2,
    "ytick.labelsize": FONT - 2,
    "legend.fontsize": FONT - 2,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
#: Above this many states the network shows ISO3 codes and the position chart greys its lines.
MANY_STATES = 8

Layout = Mapping[int, np.ndarray]


def fixed_layout(weights: np.ndarray) -> dict[int, np.ndarray]:
    """Node positions on the unit circle from the starting ties, fixed for the whole run.

    States are ordered round the circle by the angle of their spectral embedding (the two
    leading eigenvectors of the signed tie matrix), so allies sit next to each other and rivals
    across; the order is deterministic (no random numbers, so drawing never touches the model's
    generator) and every frame of a run puts each state in the same place. A circle keeps every
    label readable on a projector, which a force layout of 20 states does not.
    """
    w = np.asarray(weights, dtype=float)
    n = w.shape[0]
    if n <= 2:
        order = np.arange(n)
    else:
        vals, vecs = np.linalg.eigh(w)
        top = vecs[:, np.argsort(-vals, kind="stable")[:2]]
        angle = np.round(np.arctan2(top[:, 1], top[:, 0]), 9)
        order = np.lexsort((np.arange(n), angle))
    theta = np.pi / 2 - 2 * np.pi * np.arange(n) / max(n, 1)
    return {
        int(node): np.array([np.cos(t), np.sin(t)]) for node, t in zip(order, theta, strict=True)
    }


def node_colours(n: int, sides: np.ndarray | None) -> list[str]:
    """A colour per state: its bloc's colour, or neutral grey before any bloc split."""
    if sides is None:
        return [NO_BLOC] * n
    return [BLOC_COLOURS[int(s) % 2] for s in np.asarray(sides)]


def node_labels(names: list[str], iso3: list[str | None]) -> list[str]:
    """Full names for a few states; ISO3 codes (or the first word) when there are many."""
    if len(names) <= MANY_STATES:
        return list(names)
    return [code or name.split()[0] for name, code in zip(names, iso3, strict=True)]


def network_figure(model: NegotiationModel, layout: Layout) -> Figure:
    """The alliance network now: allies solid green, rivals dashed vermillion, width = |tie|.

    Node area grows with capability; nodes are coloured by bloc once a summit has split the
    states into two blocs (``model.blocs.side``), grey before.
    """
    with mpl.rc_context(RC):
        fig = Figure(figsize=(7.2, 6.4), layout="constrained")
        ax = fig.add_subplot()
        ax.set_axis_off()
        w = model.alliances.weights
        n = w.shape[0]
        rows, cols = np.nonzero(np.triu(w, k=1))
        for a, b in zip(rows, cols, strict=True):
            weight = float(w[a, b])
            (x0, y0), (x1, y1) = layout[int(a)], layout[int(b)]
            ax.plot(
                [x0, x1],
                [y0, y1],
                color=ALLY if weight > 0 else RIVAL,
                linestyle="-" if weight > 0 else (0, (4, 3)),
                linewidth=1.0 + 6.0 * abs(weight),
                alpha=0.85,
                zorder=1,
                solid_capstyle="round",
            )
        xy = np.array([layout[i] for i in range(n)])
        cap = np.asarray(model.capability, dtype=float)
        share = cap / cap.max() if cap.max() > 0 else np.ones(n)
        big = 2600 if n <= MANY_STATES else 900
        sides = getattr(model.blocs, "side", None) if model.blocs is not None else None
        ax.scatter(
            xy[:, 0],
            xy[:, 1],
            s=250 + big * share,
            c=node_colours(n, sides),
            edgecolors="white",
            linewidths=2,
            zorder=2,
        )
        labels = node_labels(model.state_names, model.alliances.iso3)
        offset = 34 if n <= MANY_STATES else 22
        for (x, y), text in zip(xy, labels, strict=True):
            # Labels sit outside the circle, away from the edges inside it.
            r = float(np.hypot(x, y)) or 1.0
            ax.annotate(
                text,
                (x, y),
                xytext=(offset * x / r, offset * y / r),
                textcoords="offset points",
                ha="left" if x > 0.3 else ("right" if x < -0.3 else "center"),
                va="bottom" if y > 0.3 else ("top" if y < -0.3 else "center"),
                fontsize=FONT + 1 if n <= MANY_STATES else FONT - 1,
                fontweight="bold",
                zorder=3,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8},
            )
        ax.set_xlim(-1.9, 1.9)
        ax.set_ylim(-1.45, 1.4)
        ax.set_aspect("equal")
        fig.suptitle(
            f"Alliances after round {model.round}",
            x=0.02,
            ha="left",
            fontweight="bold",
            fontsize=FONT + 3,
        )
        handles = [
            Line2D([], [], color=ALLY, lw=4, label="allies"),
            Line2D([], [], color=RIVAL, lw=4, linestyle=(0, (2, 1.5)), label="rivals"),
        ]
        if sides is not None:
            handles += [
                Line2D([], [], marker="o", ls="", ms=14, color=c, label=f"bloc {k + 1}")
                for k, c in enumerate(BLOC_COLOURS)
            ]
        else:
            handles.append(
                Line2D([], [], marker="o", ls="", ms=14, color=NO_BLOC, label="no blocs yet")
            )
        ax.legend(
            handles=handles,
            loc="lower center",
            bbox_to_anchor=(0.5, -0.1),
            ncol=len(handles),
            frameon=False,
            fontsize=FONT,
            handlelength=2.2,
            columnspacing=1.2,
        )
        return fig


def positions_figure(model: NegotiationModel, positions: np.ndarray) -> Figure:
    """Each state's position per issue, round 0 to now; the x axis spans the whole run.

    ``positions`` is (rounds so far + 1, N, K). With up to :data:`MANY_STATES` states each state
    has its own colour and a legend; with more, states are thin grey lines and the black line is
    the capability x salience weighted mean (the forecast the bargaining model uses).
    """
    names, issues = model.state_names, model.issue_names
    k = len(issues)
    ncols = min(k, 3)
    nrows = int(np.ceil(k / ncols))
    with mpl.rc_context(RC):
        fig = Figure(figsize=(4.3 * ncols + 0.4, 3.6 * nrows + 1.0), layout="constrained")
        axes = np.atleast_1d(fig.subplots(nrows, ncols, sharex=True, squeeze=False)).ravel()
        rounds = np.arange(positions.shape[0])
        few = len(names) <= MANY_STATES
        for j, issue in enumerate(issues):
            ax = axes[j]
            spec = model.spec.issues[j]
            for i, name in enumerate(names):
                if few:
                    ax.plot(
                        rounds,
                        positions[:, i, j],
                        color=PALETTE[i % len(PALETTE)],
                        lw=3,
                        marker="o",
                        ms=4,
                        label=name,
                    )
                else:
                    ax.plot(rounds, positions[:, i, j], color=GREY, lw=1.2, alpha=0.7)
            if not few:
                weight = model.capability[:, None] * model.salience[:, j][:, None]
                wsum = float(weight.sum()) or 1.0
                mean = (positions[:, :, j] * weight[:, 0]).sum(axis=1) / wsum
                ax.plot(rounds, mean, color=BLACK, lw=3.5, label="weighted mean")
            ax.set_title(issue, loc="left", fontweight="bold")
            ax.set_xlim(0, max(model.max_rounds, 1))
            ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
            ax.set_ylim(spec.min, spec.max)
            ax.grid(axis="y", alpha=0.3)
            ax.set_xlabel("round")
        for ax in axes[k:]:
            ax.set_visible(False)
        axes[0].set_ylabel("position")
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(
            handles, labels, loc="outside lower center", ncol=min(len(labels), 5), frameon=False
        )
        return fig


def png_bytes(fig: Figure, dpi: int = 110) -> bytes:
    """The figure as PNG bytes (for the page, downloads and saved slides)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    return buf.getvalue()
