"""Charts of coalitions: treaty membership, payoffs in and out, the alliance network, blocs.

Each is ``(frame(s), *, ax=None, ...) -> Figure`` and draws a metric from
:mod:`analysis.metrics`. Re-exported by :mod:`analysis.charts`.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from . import metrics
from .style import (
    BLACK,
    BLUE,
    FONT,
    GREEN,
    GREY,
    ORANGE,
    VERMILLION,
    legend_below,
    new_axes,
    note,
    styled,
)

NO_TREATIES = "No treaties in this run (no summit was held)"

#: Membership cell codes drawn by :func:`treaty_membership`.
NOT_MEMBER, MEMBER_STABLE, MEMBER_UNSTABLE = 0, 1, 2
BLOC_COLOURS = {0: BLUE, 1: ORANGE}


def membership_codes(treaties: pd.DataFrame, states: Sequence[str] | None = None) -> pd.DataFrame:
    """States x (treaty, round) codes: 0 outside, 1 in a stable treaty, 2 in an unstable one."""
    matrix = metrics.membership_matrix(treaties, states)
    if matrix.empty:
        return matrix
    sizes = metrics.treaty_sizes(treaties).set_index(["treaty", "round"])["stable"]
    stable = np.array([bool(sizes.loc[c]) for c in matrix.columns])
    code = np.where(matrix.to_numpy(), np.where(stable, MEMBER_STABLE, MEMBER_UNSTABLE), 0)
    return pd.DataFrame(code, index=matrix.index, columns=matrix.columns)


@styled
def treaty_membership(
    treaties: pd.DataFrame,
    *,
    states: Sequence[str] | None = None,
    ax: Axes | None = None,
    max_names: int = 40,
) -> Figure:
    """Who was inside each treaty at each summit: a states x summit grid, one block per treaty.

    A filled cell means the state signed; blue if that summit's treaty was stable (no member
    wanted to leave and no outsider to join; d'Aspremont et al. 1983), orange if unstable. Pass
    ``states`` (e.g. every state in the run) to show non-signers too; with more than
    ``max_names`` states the rows are sorted by how often they signed and left unnamed.
    """
    codes = membership_codes(treaties, states) if not treaties.empty else pd.DataFrame()
    n = len(codes)
    fig, ax = new_axes(ax, figsize=(11, min(12.0, max(4.5, 2.2 + 0.45 * n))))
    if codes.empty:
        note(ax, NO_TREATIES, "Treaty membership at each summit")
        return fig
    if n > max_names:
        codes = codes.loc[(codes > 0).sum(axis=1).sort_values(ascending=False, kind="stable").index]
    cmap = ListedColormap(["#EEEEEE", BLUE, ORANGE])
    ax.imshow(
        codes.to_numpy(),
        cmap=cmap,
        vmin=0,
        vmax=2,
        aspect="auto",
        interpolation="nearest",
        gid="membership",
    )
    cols = list(codes.columns)
    ax.set_xticks(np.arange(len(cols)), [str(r) for _, r in cols])
    if n <= max_names:
        ax.set_yticks(np.arange(n), list(codes.index))
        ax.set_xticks(np.arange(len(cols) + 1) - 0.5, minor=True)
        ax.set_yticks(np.arange(n + 1) - 0.5, minor=True)
        ax.grid(which="minor", color="white", lw=2)
        ax.tick_params(which="minor", length=0)
        ax.set_ylabel("state")
    else:
        ax.set_yticks([])
        ax.set_ylabel(f"{n} states (most often inside at the top)")
    treaties_order = list(dict.fromkeys(t for t, _ in cols))
    centres, bounds = [], []
    for t in treaties_order:
        idx = [i for i, c in enumerate(cols) if c[0] == t]
        centres.append((idx[0] + idx[-1]) / 2)
        bounds.append(idx[-1] + 0.5)
    for b in bounds[:-1]:
        ax.axvline(b, color=BLACK, lw=2.5)
    top = ax.secondary_xaxis("top")
    top.set_xticks(centres, [textwrap.fill(str(t), 18) for t in treaties_order])
    top.tick_params(length=0, labelsize=FONT)
    top.spines["top"].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel("summit round")
    ax.set_title("Treaty membership at each summit")
    handles = [
        Patch(facecolor=BLUE, label="inside a stable treaty"),
        Patch(facecolor=ORANGE, label="inside an unstable treaty"),
        Patch(facecolor="#EEEEEE", edgecolor=GREY, label="outside"),
    ]
    legend_below(ax, ncol=3, handles=handles)
    return fig


def _payoff_panel(ax: Axes, g: pd.DataFrame, treaty: str, top: int) -> None:
    d = g[g["treaty"] == treaty]
    n_all, n_members = len(d), int(d["member"].sum())
    if len(d) > top:
        d = d.loc[d["gain"].abs().sort_values(ascending=False, kind="stable").index[:top]]
    d = d.sort_values("gain", ascending=False, kind="stable")
    y = np.arange(len(d))
    ax.hlines(y, d["payoff_out"], d["payoff_in"], color=GREY, lw=2, zorder=1)
    ax.scatter(
        d["payoff_in"], y, s=110, color=BLUE, zorder=3, label="payoff if inside", gid=f"in:{treaty}"
    )
    ax.scatter(
        d["payoff_out"],
        y,
        s=110,
        marker="s",
        facecolor="white",
        edgecolor=VERMILLION,
        linewidth=2,
        zorder=3,
        label="payoff if it stays out",
        gid=f"out:{treaty}",
    )
    labels = [f"{r.state} ({'signed' if r.member else 'out'})" for r in d.itertuples()]
    ax.set_yticks(y, labels)
    ax.set_ylim(len(d) - 0.5, -0.6)
    ax.margins(x=0.08)
    ax.grid(axis="x", color="#DDDDDD")
    shown = "" if len(d) == n_all else f"; {len(d)} biggest stakes shown"
    ax.set_title(f"{treaty}: {n_members} of {n_all} signed{shown}", loc="left", fontsize=FONT + 1)


@styled
def payoff_in_out(
    payoffs: pd.DataFrame,
    *,
    round: int | None = None,
    treaty: str | None = None,
    top: int = 12,
    ax: Axes | None = None,
) -> Figure:
    """Each state's payoff inside versus outside each treaty at one summit (default the last).

    One panel per treaty, each on its own payoff scale (treaties pay in different units), one
    row per state: the dot is its payoff if inside, the square if it stays out, joined by a
    line; the label says whether it signed. A state signs when inside beats outside (Barrett
    1994). With many states only the ``top`` with the largest stakes (|inside - outside|) are
    drawn. With ``ax``, one treaty is drawn (``treaty``, default the first).
    """
    g = metrics.payoff_gains(payoffs, round) if not payoffs.empty else pd.DataFrame()
    treaties = list(dict.fromkeys(g["treaty"])) if not g.empty else []
    if treaty is not None:
        treaties = [t for t in treaties if t == treaty]
    elif ax is not None:
        treaties = treaties[:1]
    if not treaties:
        fig, ax = new_axes(ax)
        note(ax, "No treaties in this run, so no payoffs to compare", "Why states signed or not")
        return fig
    rows = [min(top, int((g["treaty"] == t).sum())) for t in treaties]
    if ax is None:
        height = min(16.0, 1.6 + sum(0.42 * r + 0.9 for r in rows))
        fig = Figure(figsize=(11, max(4.5, height)), layout="constrained")
        axes = fig.subplots(len(treaties), 1, squeeze=False, height_ratios=[r + 1 for r in rows])
        axes = list(axes[:, 0])
    else:
        fig, axes = ax.figure, [ax]
    for a, t in zip(axes, treaties, strict=True):
        _payoff_panel(a, g, t, top)
    axes[-1].set_xlabel("payoff to the state (units of each treaty's payoff function)")
    rnd = int(g["round"].iloc[0])
    fig.suptitle(f"Why states signed or stayed out (summit at round {rnd})", fontsize=FONT + 3)
    legend_below(axes[-1], ncol=2)
    return fig


def _non_overlapping(
    layout: pd.DataFrame,
    candidates: list[str],
    sizes: np.ndarray,
    states: list[str],
    fig: Figure,
    fontsize: float,
) -> list[str]:
    """Greedy label placement: keep a label (biggest states first) only if its box is free.

    Boxes are estimated in points from the figure size and the layout's extent (the chart keeps
    an equal aspect), which is close enough to keep names from printing over each other.
    """
    if len(candidates) <= 1:
        return candidates
    xy = layout[["x", "y"]].to_numpy(dtype=float)
    extent = max(float(np.ptp(xy[:, 0])), float(np.ptp(xy[:, 1])), 1e-9) * 1.3
    width_pt = 72 * min(fig.get_figwidth(), fig.get_figheight() * 0.85)
    scale = width_pt / extent  # points per layout unit
    boxes: list[tuple[float, float, float, float]] = []
    kept = []
    for s in candidates:
        x, y = layout.loc[s, ["x", "y"]].to_numpy(dtype=float) * scale
        w = 0.6 * fontsize * len(s)
        y0 = y + np.sqrt(sizes[states.index(s)]) / 2 + 3
        box = (x - w / 2, y0, x + w / 2, y0 + 1.25 * fontsize)
        if all(box[2] < b[0] or box[0] > b[2] or box[3] < b[1] or box[1] > b[3] for b in boxes):
            boxes.append(box)
            kept.append(s)
    return kept


@styled
def alliance_network(
    alliances: pd.DataFrame,
    *,
    round: int | None = None,
    capabilities: pd.Series | None = None,
    blocs: pd.DataFrame | None = None,
    layout: pd.DataFrame | None = None,
    seed: int = 0,
    label_top: int = 20,
    max_edges: int = 1500,
    ax: Axes | None = None,
) -> Figure:
    """The signed alliance network after ``round`` (default the last; 0 = the baseline).

    Allies are solid green lines, hostile ties dashed vermillion, thicker for stronger ties.
    Node area is proportional to capability; colour is the state's bloc in the lowest-energy
    two-bloc split at the latest summit up to ``round`` (grey without bloc data). The layout is
    fixed (a circle ordered so allies are neighbours up to 30 states, else a seeded spring
    layout of the baseline ties: :func:`metrics.layout_positions`) so pictures of different
    rounds compare. With many states only the ``label_top`` most
    capable are named (those whose names would not overprint a bigger state's), and only the
    ``max_edges`` strongest ties are drawn (the title says how many).
    """
    fig, ax = new_axes(ax, figsize=(10.5, 9.5))
    if alliances.empty and (capabilities is None or capabilities.empty):
        note(ax, "No alliance data in this run", "Alliances")
        return fig
    rnd = int(alliances["round"].max()) if round is None and not alliances.empty else round or 0
    cap = capabilities if capabilities is not None else pd.Series(dtype=float)
    if layout is None:
        layout = metrics.layout_positions(alliances, list(cap.index), seed=seed)
    states = list(layout.index)
    n = len(states)
    edges = metrics.alliance_edges(alliances, rnd)
    edges = edges[edges["a"].isin(layout.index) & edges["b"].isin(layout.index)]
    n_ties = len(edges)
    if n_ties > max_edges:
        strongest = edges["weight"].abs().sort_values(ascending=False, kind="stable").index
        edges = edges.loc[strongest[:max_edges]]
    big = n > 40
    for kind, mask, colour, style in (
        ("allies", edges["weight"] > 0, GREEN, "solid"),
        ("hostile", edges["weight"] < 0, VERMILLION, (0, (4, 3))),
    ):
        e = edges[mask]
        segs = np.stack(
            [layout.loc[e["a"], ["x", "y"]].to_numpy(), layout.loc[e["b"], ["x", "y"]].to_numpy()],
            axis=1,
        )
        w = e["weight"].abs().to_numpy()
        lc = LineCollection(
            segs,
            colors=colour,
            linewidths=(0.3 + 1.5 * w) if big else (1.0 + 4.0 * w),
            linestyles=style,
            alpha=0.35 if big else 0.85,
            zorder=1,
        )
        lc.set_gid(kind)
        ax.add_collection(lc)
    c = cap.reindex(states).fillna(0.0).to_numpy(dtype=float)
    rel = c / c.max() if c.max() > 0 else np.full(n, 0.5)
    sizes = (8 + 260 * rel) if big else (250 + 3000 * rel)
    bloc = metrics.bloc_of(blocs, rnd) if blocs is not None else pd.Series(dtype=int)
    colours = [BLOC_COLOURS.get(int(bloc[s]), GREY) if s in bloc.index else GREY for s in states]
    ax.scatter(
        layout["x"],
        layout["y"],
        s=sizes,
        c=colours,
        edgecolors="white",
        linewidths=1.5,
        zorder=3,
        gid="states",
    )
    by_size = cap.reindex(states).fillna(0).sort_values(ascending=False, kind="stable").index
    fontsize = FONT - (3 if big else 1)
    circle = n <= metrics.CIRCLE_MAX and np.allclose(np.hypot(layout["x"], layout["y"]), 1.0)
    outline = [patheffects.withStroke(linewidth=3.5, foreground="white")]
    if circle:  # every name, outside the circle, pointing away from the centre
        named = states
        for s in named:
            x, y = layout.loc[s, ["x", "y"]]
            off = np.sqrt(sizes[states.index(s)]) / 2 + 4
            ax.annotate(
                s,
                (x, y),
                xytext=(off * x, off * y),
                textcoords="offset points",
                ha="left" if x > 0.2 else ("right" if x < -0.2 else "center"),
                va="bottom" if y > 0.2 else ("top" if y < -0.2 else "center"),
                fontsize=fontsize,
                path_effects=outline,
                zorder=4,
            )
    else:
        named = _non_overlapping(layout, list(by_size[:label_top]), sizes, states, fig, fontsize)
    for s in [] if circle else named:
        x, y = layout.loc[s, ["x", "y"]]
        ax.annotate(
            s,
            (x, y),
            xytext=(0, np.sqrt(sizes[states.index(s)]) / 2 + 3),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=fontsize,
            path_effects=outline,
            zorder=4,
        )
    if circle:
        ax.set_aspect("equal", adjustable="box")
        ax.set_xlim(-1.75, 1.75)
        ax.set_ylim(-1.35, 1.35)
    else:
        ax.set_aspect("equal", adjustable="datalim")
        ax.margins(0.08, 0.14)
    ax.set_axis_off()
    title = "Alliances at the start" if rnd == 0 else f"Alliances after round {rnd}"
    notes = [] if len(named) == n else [f"{len(named)} of {n} states named"]
    if n_ties > len(edges):
        notes.append(f"strongest {len(edges):,} of {n_ties:,} ties")
    ax.set_title(title + (f"\n({'; '.join(notes)})" if notes else ""), pad=14)
    handles = [
        Line2D([], [], color=GREEN, lw=3, label="allies"),
        Line2D([], [], color=VERMILLION, lw=3, ls=(0, (4, 3)), label="hostile"),
    ]
    if not bloc.empty:
        handles += [
            Line2D([], [], ls="", marker="o", ms=12, color=BLUE, label="bloc A"),
            Line2D([], [], ls="", marker="o", ms=12, color=ORANGE, label="bloc B"),
        ]
    handles.append(Line2D([], [], ls="", marker="o", ms=8, color=GREY, label="size = capability"))
    legend_below(ax, ncol=len(handles), handles=handles, below=0.05, handlelength=2.5)
    return fig


def _bloc_label(name: str, members: Sequence[str]) -> str:
    """``A: China, India`` or, for big blocs, ``A (96 states): State 000, State 002, …``."""
    if len(members) <= 4:
        return textwrap.fill(f"{name}: {', '.join(members)}", 48, subsequent_indent="    ")
    return f"{name} ({len(members)} states): {', '.join(members[:2])}, …"


@styled
def bloc_landscape(
    blocs: pd.DataFrame, *, round: int | None = None, most: int = 5, ax: Axes | None = None
) -> Figure:
    """The bloc energy landscape: the two-bloc splits recorded at each summit and their energy.

    One bar per configuration, grouped by summit (or only the summit at ``round``): the global
    minimum in blue, other local minima grey, each labelled with who is in each bloc. Lower
    energy (Axelrod & Bennett's 1993 frustration: size-weighted hostility inside blocs plus
    friendship across them) means a more stable split. At most ``most`` configurations per
    summit, lowest energy first.
    """
    configs = metrics.bloc_configurations(blocs) if not blocs.empty else pd.DataFrame()
    if not configs.empty and round is not None:
        configs = configs[configs["round"] == int(round)]
    if not configs.empty:
        configs = configs.groupby("round", sort=True).head(most)
    rounds = sorted(configs["round"].unique()) if not configs.empty else []
    rows = len(configs) + len(rounds)
    fig, ax = new_axes(ax, figsize=(11, min(14.0, max(4.0, 1.8 + 0.75 * rows))))
    if configs.empty:
        note(ax, "No bloc landscape in this run (no summit was held)", "Bloc landscape")
        return fig
    ys, labels, header_y, y = [], [], [], 0.0
    for r in rounds:
        header_y.append((y, r))
        y += 0.8
        for c in configs[configs["round"] == r].itertuples(index=False):
            ys.append(y)
            labels.append(f"{_bloc_label('A', c.bloc0)}\n{_bloc_label('B', c.bloc1)}")
            y += 1.15
        y += 0.2
    colours = [BLUE if g else GREY for g in configs["is_global_minimum"]]
    bars = ax.barh(ys, configs["energy"], color=colours, height=0.75, gid="energy")
    ax.bar_label(bars, fmt="%.3g", padding=5, fontsize=FONT - 1)
    for hy, r in header_y:
        ax.text(
            0.0,
            hy,
            f"summit at round {r}",
            transform=ax.get_yaxis_transform(),
            fontsize=FONT,
            fontweight="bold",
            va="center",
            ha="left",
        )
    ax.set_yticks(ys, labels, fontsize=FONT - 2)
    ax.set_ylim(y - 0.2, -0.6)
    ax.axvline(0, color=BLACK, lw=1)
    ax.margins(x=0.15)
    ax.set_xlabel("energy (lower = more stable split)")
    ax.set_title("Bloc landscape: two-bloc splits and their energy")
    handles = [Patch(facecolor=BLUE, label="global minimum")]
    if not configs["is_global_minimum"].all():
        handles.append(Patch(facecolor=GREY, label="other local minimum"))
    legend_below(ax, ncol=2, handles=handles)
    return fig
