"""Charts of a run: each is ``(frame(s), *, ax=None, ...) -> matplotlib Figure``.

Every chart draws a metric from :mod:`analysis.metrics` (so the numbers plotted are the numbers
tested), uses state names, the Okabe-Ito palette and projector-sized fonts, keeps its legend off
the data, and says so plainly when a run has nothing to show (e.g. no summit yet).

This module holds the charts over rounds and states; the coalition charts (treaty membership,
payoffs, alliance network, bloc landscape) live in :mod:`analysis.coalition_charts` and are
re-exported here, so ``analysis.charts`` is the one place to look.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from . import metrics
from .coalition_charts import alliance_network, bloc_landscape, payoff_in_out, treaty_membership
from .style import (
    BLACK,
    BLUE,
    FONT,
    GREY,
    OUTCOME_COLOURS,
    PALETTE,
    VERMILLION,
    legend_below,
    new_axes,
    note,
    spread,
    styled,
)

if TYPE_CHECKING:  # pragma: no cover
    from .load import RunData

__all__ = [
    "PALETTE",
    "alliance_network",
    "bloc_landscape",
    "challenge_outcomes",
    "outcome_distribution",
    "payoff_in_out",
    "positions_over_rounds",
    "rounds_overview",
    "state_colours",
    "treaty_membership",
]


def state_colours(states: Sequence[str]) -> dict[str, str]:
    """A fixed colour per state (order of first appearance), the same in every chart of a run."""
    return {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(dict.fromkeys(states))}


def _values_max(values: list[np.ndarray]) -> float:
    """Largest value over several arrays (0 for none)."""
    return max((float(v.max()) for v in values if len(v)), default=0.0)


def _label_groups(final: pd.Series, tol: float) -> list[tuple[list[str], float]]:
    """States whose final positions are within ``tol`` share one label."""
    groups: list[tuple[list[str], float]] = []
    for state, y in final.sort_values(kind="stable").items():
        if groups and abs(y - groups[-1][1]) <= tol:
            groups[-1][0].append(state)
        else:
            groups.append(([state], float(y)))
    return groups


@styled
def positions_over_rounds(
    positions: pd.DataFrame,
    *,
    issue: str,
    forecasts: pd.DataFrame | None = None,
    treaties: pd.DataFrame | None = None,
    ax: Axes | None = None,
    max_labels: int = 12,
) -> Figure:
    """Each state's position on one issue by round, the forecast and the treaty proposals.

    One line per state (round 0 = the scenario's starting positions; states moving together
    show as nested stripes); the black dashed line is the forecast (capability x salience
    weighted vote median) after each round; diamonds mark the level each summit proposed for a
    treaty on this issue (filled = stable treaty, open = unstable). The legend names each
    state's colour and states ending at the same position share one label at the right; with
    more than eight states or ``max_labels`` labels the lines are grey and unlabelled.
    """
    fig, ax = new_axes(ax)
    data = positions[positions["issue"] == issue] if not positions.empty else positions
    if data.empty:
        note(ax, f"No positions recorded on {issue}", f"Positions on {issue} over rounds")
        return fig
    wide = data.pivot(index="round", columns="state", values="position")
    states = list(dict.fromkeys(data["state"]))
    wide = wide[states]
    colours = state_colours(states)
    final = wide.iloc[-1]
    span = float(np.nanmax(wide.to_numpy()) - np.nanmin(wide.to_numpy())) or 1.0
    groups = _label_groups(final, tol=0.005 * span)
    many = len(groups) > max_labels or len(states) > len(PALETTE)
    x = wide.index.to_numpy(dtype=float)
    if many:
        segs = [np.column_stack([x, wide[s].to_numpy()]) for s in states]
        lc = LineCollection(segs, colors=GREY, linewidths=0.8, alpha=0.5, label="states")
        lc.set_gid("states")
        ax.add_collection(lc)
        ax.autoscale_view()
    else:
        # Earlier lines drawn wider, so states that move together show as nested stripes
        # instead of one line hiding another.
        widths = np.linspace(5.0, 2.0, len(states)) if len(states) > 1 else [2.5]
        for s, lw in zip(states, widths, strict=True):
            ax.plot(x, wide[s].to_numpy(), color=colours[s], lw=lw, label=s, gid=f"state:{s}")
    if forecasts is not None and not forecasts.empty:
        f = forecasts[forecasts["issue"] == issue].sort_values("round")
        ax.plot(
            f["round"].to_numpy(dtype=float),
            f["median"].to_numpy(dtype=float),
            color=BLACK,
            ls="--",
            lw=2.6,
            label="forecast (vote median)",
            gid="forecast",
        )
    props = metrics.treaty_proposals(treaties, issue) if treaties is not None else None
    if props is not None and not props.empty:
        for stable, face, label in ((True, BLACK, "stable"), (False, "white", "unstable")):
            p = props[props["stable"] == stable]
            if p.empty:
                continue
            ax.scatter(
                p["round"].to_numpy(dtype=float),
                p["proposal"].to_numpy(dtype=float),
                marker="D",
                s=110,
                facecolor=face,
                edgecolor=BLACK,
                linewidth=1.8,
                zorder=5,
                clip_on=False,
                label=f"treaty proposal ({label})",
                gid=f"proposals:{label}",
            )
        for r in metrics.summit_rounds(treaties):
            ax.axvline(r, color=GREY, lw=0.8, ls=":", zorder=0)
    if not many:
        ylo, yhi = ax.get_ylim()
        ys = spread([g[1] for g in groups], min_gap=0.055 * (yhi - ylo))
        for (names, y), ylab in zip(groups, ys, strict=True):
            colour = colours[names[0]] if len(names) == 1 else BLACK
            text = (
                f"all {len(states)} states"
                if len(names) == len(states) > 2
                else textwrap.fill(", ".join(names), 26)
            )
            ax.annotate(
                text,
                xy=(x[-1], y),
                xytext=(x[-1] + 0.03 * (x[-1] - x[0] or 1), ylab),
                textcoords="data",
                va="center",
                fontsize=FONT - 2,
                color=colour,
                annotation_clip=False,
                arrowprops={"arrowstyle": "-", "color": GREY, "lw": 0.8}
                if abs(ylab - y) > 1e-9
                else None,
            )
    else:
        ax.text(
            0.01,
            0.98,
            f"{len(states)} states (grey)",
            transform=ax.transAxes,
            va="top",
            fontsize=FONT - 2,
            color="#555555",
        )
    ax.set_xlabel("round")
    ax.set_ylabel(f"position on {issue}")
    ax.set_title(f"Positions on {issue} over rounds")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlim(x[0], x[-1] + 0.02 * (x[-1] - x[0] or 1))
    legend_below(ax, ncol=4, handlelength=2.5)
    return fig


@styled
def rounds_overview(
    rounds: pd.DataFrame,
    *,
    events: pd.DataFrame | None = None,
    ax: Axes | Sequence[Axes] | None = None,
) -> Figure:
    """Total position change (top) and unbalanced alliance triads (bottom) after each round.

    Total change is the sum over states and issues of how far positions moved in the round; it
    falls as bargaining settles, and the run stops once it drops under the convergence threshold
    (marked). Unbalanced triads count signed triangles with an odd number of hostile ties
    (Heider 1946; Cartwright & Harary 1956). Scheduled events are dotted vertical lines. Pass two
    axes for two panels, or one axes for twin y axes.
    """
    twin = isinstance(ax, Axes)
    if ax is None:
        fig = Figure(figsize=(11, 7.5), layout="constrained")
        top, bottom = fig.subplots(2, 1, sharex=True)
    elif twin:
        fig, top = ax.figure, ax
        bottom = ax.twinx()
    else:
        top, bottom = ax
        fig = top.figure
    if rounds.empty:
        note(top, "No rounds recorded", "How much positions moved, by round")
        return fig
    r = rounds.sort_values("round")
    x = r["round"].to_numpy(dtype=float)
    top.plot(x, r["total_change"].to_numpy(dtype=float), "o-", color=BLUE, lw=2.4, gid="change")
    top.set_ylabel("total position change", color=BLUE if twin else "black")
    bottom.plot(
        x,
        r["unbalanced_triads"].to_numpy(dtype=float),
        "s-",
        color=VERMILLION,
        lw=2.4,
        gid="triads",
    )
    bottom.set_ylabel("unbalanced triads", color=VERMILLION if twin else "black")
    bottom.yaxis.set_major_locator(MaxNLocator(integer=True))
    most = float(r["unbalanced_triads"].max())
    bottom.set_ylim(0, max(1.0, 1.15 * most))
    if most == 0:
        bottom.text(
            0.5,
            0.55,
            "no unbalanced triads: every triangle of ties is balanced",
            transform=bottom.transAxes,
            ha="center",
            color="#555555",
        )
    top.set_ylim(bottom=0)
    conv = r[metrics.as_bool(r["converged"])]
    if not conv.empty:
        rc = float(conv["round"].iloc[0])
        yc = float(conv["total_change"].iloc[0])
        top.annotate(
            "converged",
            xy=(rc, yc),
            xytext=(0, 28),
            textcoords="offset points",
            ha="center",
            fontsize=FONT - 1,
            arrowprops={"arrowstyle": "->", "color": BLACK},
        )
    if events is not None and not events.empty:
        for e in events.drop_duplicates("round").itertuples(index=False):
            for a in {top, bottom}:
                a.axvline(float(e.round), color=GREY, ls=":", lw=1.5, zorder=0)
            top.annotate(
                str(e.event),
                xy=(float(e.round), 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(3, -3),
                textcoords="offset points",
                va="top",
                fontsize=FONT - 2,
                color="#555555",
            )
    top.set_title("How much positions moved, and alliance tension, by round")
    bottom.set_xlabel("round")
    top.set_xlabel("round" if twin else "")
    bottom.xaxis.set_major_locator(MaxNLocator(integer=True))
    return fig


@styled
def challenge_outcomes(
    challenges: pd.DataFrame, *, top: int = 15, ax: Axes | None = None
) -> Figure:
    """Who moved whom: each state's challenges made (right) and received (left), by outcome.

    Stacked bars: *conflict* (the loser of a showdown moved to the winner), *compromise* (met half
    way), *capitulation* (the target gave in without a fight), *stalemate* (nobody moved). Only
    the ``top`` states by challenges made plus received are shown, most involved at the top.
    """
    data = metrics.who_moved_whom(challenges, top=top)
    n = data["state"].nunique() if not data.empty else 0
    fig, ax = new_axes(ax, figsize=(11, max(4.5, 1.6 + 0.5 * n)))
    if data.empty:
        note(
            ax,
            "No challenges in this run: every state was content where it stood",
            "Who moved whom: challenges by outcome",
        )
        return fig
    states = list(dict.fromkeys(data["state"]))
    y = np.arange(len(states))[::-1]
    for role, sign in (("made", 1), ("received", -1)):
        left = np.zeros(len(states))
        d = data[data["role"] == role].set_index(["state", "outcome"])["count"]
        for outcome in metrics.OUTCOMES:
            w = np.array([d.get((s, outcome), 0) for s in states], dtype=float) * sign
            ax.barh(
                y,
                w,
                left=left,
                color=OUTCOME_COLOURS[outcome],
                edgecolor="white",
                height=0.75,
                label=outcome if role == "made" else None,
                gid=f"{role}:{outcome}",
            )
            left = left + w
    ax.axvline(0, color=BLACK, lw=1.2)
    ax.set_yticks(y, states)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{abs(v):g}"))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    lim = max(abs(v) for v in ax.get_xlim())
    ax.set_xlim(-lim, lim)
    ax.set_xlabel("← challenges received        challenges made →")
    ax.set_title("Who moved whom: challenges by outcome")
    legend_below(ax, ncol=4)
    return fig


@styled
def outcome_distribution(
    runs: Sequence[RunData] | pd.DataFrame,
    *,
    measure: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Spread of final outcomes over several runs or seeds.

    Box (quartiles, whiskers to 1.5 IQR) and one dot per run for the final forecast of each issue
    and, when the runs held summits, the size of each treaty at the last summit. Takes a list of
    :class:`~analysis.load.RunData`, a :func:`~analysis.metrics.final_outcomes` frame, or
    concatenated forecasts with a ``run`` column. With ``ax`` (or ``measure``) one measure is
    drawn, by default the final forecast.
    """
    frame = (
        metrics.outcomes_from_frame(runs)
        if isinstance(runs, pd.DataFrame)
        else metrics.final_outcomes(runs)
    )
    measures = list(dict.fromkeys(frame["measure"])) if not frame.empty else []
    if measure is not None or ax is not None:
        measures = [measure or "final forecast"]
    if ax is None:
        fig = Figure(figsize=(6 + 4.5 * max(len(measures), 1), 6.5), layout="constrained")
        axes = fig.subplots(1, max(len(measures), 1), squeeze=False)[0]
    else:
        fig, axes = ax.figure, [ax]
    if frame.empty:
        note(axes[0], "No runs with outcomes to compare", "Final outcomes over runs")
        return fig
    n_runs = frame["run"].nunique()
    rng = np.random.default_rng(0)  # jitter only; fixed so pictures are reproducible
    for a, m in zip(axes, measures, strict=True):
        d = frame[frame["measure"] == m]
        keys = list(dict.fromkeys(d["key"]))
        if not keys:
            note(a, f"No {m} in these runs")
            continue
        values = [d.loc[d["key"] == k, "value"].to_numpy(dtype=float) for k in keys]
        a.boxplot(
            values,
            positions=np.arange(len(keys)),
            widths=0.5,
            showfliers=False,
            medianprops={"color": BLACK, "lw": 2},
            boxprops={"color": GREY},
            whiskerprops={"color": GREY},
            capprops={"color": GREY},
        )
        for i, (k, v) in enumerate(zip(keys, values, strict=True)):
            a.scatter(
                i + rng.uniform(-0.12, 0.12, size=len(v)),
                v,
                s=45,
                color=PALETTE[i % len(PALETTE)],
                alpha=0.8,
                zorder=3,
                gid=f"{m}:{k}",
            )
        a.set_xticks(np.arange(len(keys)), keys)
        a.set_ylabel("members at the last summit" if m == "treaty size" else m)
        a.set_xlabel("treaty" if m == "treaty size" else "issue")
        if m == "treaty size":
            a.yaxis.set_major_locator(MaxNLocator(integer=True))
            a.set_ylim(0, max(_values_max(values), 1) + 0.5)
        a.set_title(f"{m.capitalize()} over {n_runs} runs")
    return fig
