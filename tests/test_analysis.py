"""Analysis: metrics against hand-computed values, charts plot exactly those metrics, reports.

Synthetic run folders follow the run-folder contract column for column (with treaties, payoffs,
blocs and events, which real runs lack until summits land); one test also drives ``run.py run``
in a subprocess and reports on the real folder it writes.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from analysis import charts, concat_tables, load_run, metrics
from analysis.coalition_charts import MEMBER_STABLE, MEMBER_UNSTABLE, NOT_MEMBER
from analysis.report import write_charts, write_report
from analysis.style import BLUE, GREY, ORANGE, spread

ROOT = Path(__file__).resolve().parents[1]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

COLUMNS = {
    "positions": ["round", "state", "issue", "position", "risk_exponent"],
    "forecasts": ["round", "issue", "weighted_mean", "median"],
    "challenges": [
        "round",
        "issue",
        "challenger",
        "target",
        "outcome",
        "eu_challenger",
        "eu_target",
        "position_before",
        "position_after",
        "reason",
    ],
    "alliances": ["round", "a", "b", "weight"],
    "rounds": ["round", "total_change", "converged", "unbalanced_triads"],
    "treaties": [
        "round",
        "treaty",
        "issues",
        "proposal",
        "members",
        "internally_stable",
        "externally_stable",
        "settled",
    ],
    "payoffs": ["round", "treaty", "state", "member", "payoff_in", "payoff_out"],
    "blocs": ["round", "state", "bloc", "energy", "is_global_minimum"],
    "events": ["round", "event", "description"],
}
NAMES = ["Atlantis", "Borduria", "Carpania", "Dorne", "Elbonia"]
ISSUES = ["climate", "trade", "security"]


# --- synthetic run folders --------------------------------------------------------------------


def synthetic_tables(n: int = 5, rounds: int = 10, summit_every: int = 5, seed: int = 1):
    """Every table of a plausible run, following the contract exactly."""
    rng = np.random.default_rng(seed)
    states = NAMES[:n] if n <= len(NAMES) else [f"State {i:03d}" for i in range(n)]
    pos = rng.uniform(0, 100, size=(n, len(ISSUES)))
    target = pos.mean(axis=0)
    positions, forecasts, challenges, alliances, rows = [], [], [], [], []
    w = np.triu(rng.uniform(-1, 1, size=(n, n)) * (rng.random((n, n)) < min(1, 8 / n)), 1)
    for r in range(rounds + 1):
        if r:
            new = pos + 0.4 * (target - pos) + rng.normal(0, 1, pos.shape)
            change = float(np.abs(new - pos).sum())
            pos = np.clip(new, 0, 100)
            rows.append((r, change, r == rounds, int(rng.integers(0, 4))))
            w = np.clip(w + np.triu(rng.normal(0, 0.05, w.shape), 1) * (w != 0), -1, 1)
            for k, issue in enumerate(ISSUES):
                forecasts.append((r, issue, float(pos[:, k].mean()), float(np.median(pos[:, k]))))
            for _ in range(3 * n):
                a, b = rng.choice(n, 2, replace=False)
                k = int(rng.integers(len(ISSUES)))
                outcome = str(rng.choice(metrics.OUTCOMES))
                challenges.append(
                    (r, ISSUES[k], states[a], states[b], outcome, 0.5, 0.2, 10.0, 20.0, "why")
                )
        for i in range(n):
            for k, issue in enumerate(ISSUES):
                risk = np.nan if r == 0 else float(rng.uniform(-1, 1))
                positions.append((r, states[i], issue, float(pos[i, k]), risk))
        ii, jj = np.nonzero(w)
        alliances += [
            (r, states[i], states[j], float(w[i, j])) for i, j in zip(ii, jj, strict=True)
        ]
    treaties, payoffs, blocs = [], [], []
    for r in range(summit_every, rounds + 1, summit_every):
        for name, issues, proposal in (
            ("climate treaty", "climate", f"{rng.uniform(30, 70):.1f}"),
            ("trade-security package", "trade;security", "60.0;40.0"),
        ):
            inside = rng.random(n) < 0.6
            members = ";".join(s for s, m in zip(states, inside, strict=True) if m)
            stable = bool(rng.random() < 0.5)
            treaties.append((r, name, issues, proposal, members, stable, True, True))
            for s, m in zip(states, inside, strict=True):
                out = float(rng.uniform(0, 10))
                gain = float(rng.uniform(0, 3)) * (1 if m else -1)
                payoffs.append((r, name, s, bool(m), out + gain, out))
        for cfg, energy in enumerate((-2.5, -1.0, -0.4)):
            side = rng.integers(0, 2, n)
            side[0] = 0
            blocs += [(r, s, int(b), energy, cfg == 0) for s, b in zip(states, side, strict=True)]
    events = [(3, "heatwave", "A heatwave hits Borduria.")]
    data = {
        "positions": positions,
        "forecasts": forecasts,
        "challenges": challenges,
        "alliances": alliances,
        "rounds": rows,
        "treaties": treaties,
        "payoffs": payoffs,
        "blocs": blocs,
        "events": events,
    }
    return {k: pd.DataFrame(v, columns=COLUMNS[k]) for k, v in data.items()}


def write_folder(path: Path, tables: dict, seed: int = 7, empty: tuple = ()) -> Path:
    """A run folder as ``run.py`` writes it; tables named in ``empty`` get only their header."""
    path.mkdir(parents=True, exist_ok=True)
    for name, cols in COLUMNS.items():
        frame = pd.DataFrame(columns=cols) if name in empty else tables[name]
        frame.to_csv(path / f"{name}.csv", index=False)
    states = list(dict.fromkeys(tables["positions"]["state"]))
    manifest = {
        "scenario": "synthetic",
        "title": "A synthetic <test> run",
        "seed": seed,
        "parameters": {"rounds": 10, "summit_every": 5, "convergence": {"rule": "ktab"}},
        "issues": ISSUES,
        "states": states,
        "rounds_run": int(tables["rounds"]["round"].max()),
        "converged": True,
    }
    scenario = {
        "name": "synthetic",
        "states": [{"name": s, "capability": 10.0 * (i + 1)} for i, s in enumerate(states)],
        "teaching": {"what_is_it": "A made-up world.", "things_to_try": "Change the seed."},
    }
    (path / "manifest.json").write_text(json.dumps(manifest))
    (path / "scenario.json").write_text(json.dumps(scenario))
    (path / "narrative.txt").write_text("Line one of the story.\nAtlantis & Borduria signed.\n")
    return path


@pytest.fixture(scope="module")
def tables():
    return synthetic_tables()


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory, tables):
    return load_run(write_folder(tmp_path_factory.mktemp("run"), tables))


def png_bytes(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=60)
    return buf.getvalue()


def by_gid(ax, gid):
    found = [a for a in ax.get_children() if a.get_gid() == gid]
    assert found, f"no artist with gid {gid!r}"
    return found[0]


# --- small pure helpers -----------------------------------------------------------------------


def test_split_list_and_as_bool():
    assert metrics.split_list("China; India;") == ["China", "India"]
    assert metrics.split_list(float("nan")) == []
    got = metrics.as_bool(pd.Series(["True", "False", "1", np.nan, "false"]))
    assert got.tolist() == [True, False, True, False, False]


@pytest.mark.parametrize(
    ("values", "gap"),
    [([5.0, 5.0, 5.0, 50.0], 2.0), ([1.0, 1.5, 9.0, 9.2, 9.4], 1.0), ([0.0, 10.0], 1.0)],
)
def test_spread_keeps_order_and_gap(values, gap):
    out = spread(values, gap)
    order = np.argsort(values, kind="stable")
    assert np.all(np.diff(out[order]) >= gap - 1e-9)
    if np.all(np.diff(np.sort(values)) >= gap):
        np.testing.assert_allclose(out, values)  # already apart: untouched


def test_spread_centres_a_cluster():
    np.testing.assert_allclose(spread([5.0, 5.0, 5.0], 2.0), [3.0, 5.0, 7.0])


# --- metrics against hand-computed values -----------------------------------------------------

HAND_TREATIES = pd.DataFrame(
    [
        (5, "climate treaty", "climate", "55.0", "A;B", True, True, True),
        (5, "package", "trade;security", "60;40", "B;C", True, False, False),
        (10, "climate treaty", "climate", "58.0", "A;B;C", False, True, True),
        (10, "package", "trade;security", "62;41", np.nan, True, True, False),
    ],
    columns=COLUMNS["treaties"],
)


def test_final_forecasts_hand():
    f = pd.DataFrame(
        [
            (1, "trade", 50, 40),
            (1, "climate", 60, 45),
            (2, "trade", 55, 42),
            (2, "climate", 61, 90),
        ],
        columns=COLUMNS["forecasts"],
    )
    got = metrics.final_forecasts(f)
    assert got["issue"].tolist() == ["trade", "climate"]
    assert got["median"].tolist() == [42, 90]
    assert got["round"].tolist() == [2, 2]


def test_treaty_sizes_and_stability_hand():
    got = metrics.treaty_sizes(HAND_TREATIES)
    assert got["n_members"].tolist() == [2, 2, 3, 0]
    assert got["stable"].tolist() == [True, False, False, True]


def test_membership_matrix_hand():
    m = metrics.membership_matrix(HAND_TREATIES, states=["A", "B", "C", "D"])
    assert list(m.columns) == [
        ("climate treaty", 5),
        ("climate treaty", 10),
        ("package", 5),
        ("package", 10),
    ]
    assert m.loc["A"].tolist() == [True, True, False, False]
    assert m.loc["C"].tolist() == [False, True, True, False]
    assert not m.loc["D"].any()


def test_treaty_proposals_splits_linked_packages():
    got = metrics.treaty_proposals(HAND_TREATIES, "security")
    assert got["round"].tolist() == [5, 10]
    assert got["proposal"].tolist() == [40.0, 41.0]
    climate = metrics.treaty_proposals(HAND_TREATIES, "climate")
    assert climate["proposal"].tolist() == [55.0, 58.0]
    assert climate["stable"].tolist() == [True, False]


HAND_CHALLENGES = pd.DataFrame(
    [
        (1, "climate", "A", "B", "conflict", 0.5, 0.1, 10, 20, "r"),
        (1, "climate", "A", "C", "stalemate", 0.5, 0.1, 10, 10, "r"),
        (1, "trade", "B", "A", "compromise", 0.5, 0.1, 10, 15, "r"),
        (2, "trade", "A", "B", "conflict", 0.5, 0.1, 10, 20, "r"),
        (2, "trade", "C", "B", "capitulation", 0.5, 0.1, 10, 20, "r"),
    ],
    columns=COLUMNS["challenges"],
)


def test_challenge_counts_hand():
    made = metrics.challenge_counts(HAND_CHALLENGES, role="challenger")
    assert made.index.tolist() == ["A", "B", "C"]
    assert made.loc["A"].tolist() == [2, 0, 0, 1]
    assert made.loc["C"].tolist() == [0, 0, 1, 0]
    got = metrics.challenge_counts(HAND_CHALLENGES, role="target")
    assert got.loc["B"].tolist() == [2, 0, 1, 0]
    with pytest.raises(ValueError, match="role must be"):
        metrics.challenge_counts(HAND_CHALLENGES, role="victim")


def test_who_moved_whom_top_keeps_most_involved():
    got = metrics.who_moved_whom(HAND_CHALLENGES, top=2)
    assert list(dict.fromkeys(got["state"])) == ["A", "B"]  # A: 3+1, B: 1+3, C: 1+1
    assert got["count"].sum() == 3 + 1 + 1 + 3


def test_payoff_gains_default_last_summit():
    p = pd.DataFrame(
        [
            (5, "t", "A", True, 3.0, 1.0),
            (10, "t", "A", True, 4.0, 1.5),
            (10, "t", "B", False, 1, 2),
        ],
        columns=COLUMNS["payoffs"],
    )
    got = metrics.payoff_gains(p)
    assert got["round"].unique().tolist() == [10]
    assert got["gain"].tolist() == [2.5, -1.0]


BLOCS_ROWS = [
    (5, "A", 0, -2.0, True),
    (5, "B", 0, -2.0, True),
    (5, "C", 1, -2.0, True),
    (5, "A", 0, -0.5, False),
    (5, "B", 1, -0.5, False),
    (5, "C", 1, -0.5, False),
]


def test_bloc_configurations_with_or_without_config_column():
    plain = pd.DataFrame(BLOCS_ROWS, columns=COLUMNS["blocs"])
    with_cfg = plain.assign(config=[0, 0, 0, 1, 1, 1])
    for frame in (plain, with_cfg):
        got = metrics.bloc_configurations(frame)
        assert got["energy"].tolist() == [-2.0, -0.5]
        assert got["bloc0"].tolist() == [("A", "B"), ("A",)]
        assert got["is_global_minimum"].tolist() == [True, False]
    assert metrics.bloc_of(plain).to_dict() == {"A": 0, "B": 0, "C": 1}
    assert metrics.bloc_of(plain, round=4).empty


def test_layout_is_seeded_fixed_and_keeps_isolated_states(tables):
    states = [*NAMES, "Freedonia"]
    a = metrics.layout_positions(tables["alliances"], states, seed=3)
    b = metrics.layout_positions(tables["alliances"], states, seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert a.index.tolist() == states
    assert np.isfinite(a.to_numpy()).all()


def test_alliance_edges_at_round(tables):
    e = metrics.alliance_edges(tables["alliances"], 3)
    expect = tables["alliances"][tables["alliances"]["round"] == 3]
    assert len(e) == len(expect) > 0
    assert e["weight"].tolist() == expect["weight"].tolist()


def test_final_outcomes_several_runs(tmp_path, tables):
    runs = [
        load_run(write_folder(tmp_path / f"s{s}", synthetic_tables(seed=s), seed=s))
        for s in (1, 2, 3)
    ]
    got = metrics.final_outcomes(runs)
    assert sorted(got["run"].unique()) == ["s1", "s2", "s3"]
    f = got[(got["measure"] == "final forecast") & (got["run"] == "s2")]
    expect = metrics.final_forecasts(runs[1].forecasts)
    assert f["value"].tolist() == expect["median"].tolist()
    sizes = got[got["measure"] == "treaty size"]
    assert len(sizes) == 3 * 2  # two treaties per run at the last summit
    # the concatenated-forecasts form gives the same final forecasts
    again = metrics.outcomes_from_frame(concat_tables(runs, "forecasts"))
    assert sorted(again["value"]) == sorted(got.loc[got["measure"] == "final forecast", "value"])
    with pytest.raises(ValueError, match="expected final_outcomes"):
        metrics.outcomes_from_frame(pd.DataFrame({"x": [1]}))


# --- charts plot what the records say ---------------------------------------------------------


def test_positions_chart_lines_forecast_and_proposals(tables):
    fig = charts.positions_over_rounds(
        tables["positions"],
        issue="trade",
        forecasts=tables["forecasts"],
        treaties=tables["treaties"],
    )
    ax = fig.axes[0]
    p = tables["positions"][tables["positions"]["issue"] == "trade"]
    for s in NAMES:
        line = by_gid(ax, f"state:{s}")
        np.testing.assert_allclose(line.get_ydata(), p[p["state"] == s]["position"])
    f = tables["forecasts"][tables["forecasts"]["issue"] == "trade"]
    np.testing.assert_allclose(by_gid(ax, "forecast").get_ydata(), f["median"])
    props = metrics.treaty_proposals(tables["treaties"], "trade")
    drawn = np.vstack(
        [a.get_offsets() for a in ax.collections if str(a.get_gid()).startswith("proposals")]
    )
    assert sorted(map(tuple, drawn)) == sorted(zip(props["round"], props["proposal"], strict=True))
    assert set(props["proposal"]) == {60.0}
    texts = [t.get_text() for t in ax.texts]
    assert all(any(s in t for t in texts) for s in NAMES)  # every state is labelled
    assert png_bytes(fig).startswith(PNG_MAGIC)


def test_positions_chart_many_states_grey_collection():
    big = synthetic_tables(n=60, rounds=4)
    ax = charts.positions_over_rounds(big["positions"], issue="climate").axes[0]
    lc = by_gid(ax, "states")
    assert isinstance(lc, LineCollection) and len(lc.get_segments()) == 60
    assert not [t for t in ax.texts if "State" in t.get_text()]


def test_challenge_chart_bar_lengths_are_the_counts():
    ax = charts.challenge_outcomes(HAND_CHALLENGES).axes[0]
    made = metrics.challenge_counts(HAND_CHALLENGES, role="challenger")
    got = metrics.challenge_counts(HAND_CHALLENGES, role="target")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["A", "B", "C"]
    for outcome in metrics.OUTCOMES:
        bars = [a for a in ax.patches if a.get_gid() == f"made:{outcome}"]
        width = {lab: b.get_width() for lab, b in zip(labels, bars, strict=True)}
        assert width == {s: made[outcome].get(s, 0) for s in labels}
        bars = [a for a in ax.patches if a.get_gid() == f"received:{outcome}"]
        width = {lab: -b.get_width() for lab, b in zip(labels, bars, strict=True)}
        assert width == {s: got[outcome].get(s, 0) for s in labels}


def test_treaty_membership_grid_is_the_membership():
    ax = charts.treaty_membership(HAND_TREATIES, states=["A", "B", "C", "D"]).axes[0]
    grid = np.asarray(ax.get_images()[0].get_array())
    S, U, O = MEMBER_STABLE, MEMBER_UNSTABLE, NOT_MEMBER
    # columns: climate r5 (stable), climate r10 (unstable), package r5 (unstable), r10 (stable)
    expect = [[S, U, O, O], [S, U, U, O], [O, U, U, O], [O, O, O, O]]
    np.testing.assert_array_equal(grid, expect)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["A", "B", "C", "D"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["5", "10", "5", "10"]


def test_payoff_chart_points_are_the_payoffs(tables):
    fig = charts.payoff_in_out(tables["payoffs"])
    g = metrics.payoff_gains(tables["payoffs"])
    assert len(fig.axes) == g["treaty"].nunique() == 2  # one panel (own scale) per treaty
    for ax, (treaty, d) in zip(fig.axes, g.groupby("treaty", sort=False), strict=True):
        labels = [t.get_text() for t in ax.get_yticklabels()]
        pin = by_gid(ax, f"in:{treaty}").get_offsets()[:, 0]
        pout = by_gid(ax, f"out:{treaty}").get_offsets()[:, 0]
        assert len(labels) == len(d) == len(pin)
        drawn = sorted(zip(pin, pout, strict=True))
        assert drawn == sorted(zip(d["payoff_in"], d["payoff_out"], strict=True))
        assert sum(lab.endswith("(signed)") for lab in labels) == d["member"].sum()
        assert ax.get_title(loc="left").startswith(f"{treaty}: {d['member'].sum()} of 5 signed")
    one = Figure().add_subplot()
    charts.payoff_in_out(tables["payoffs"], treaty="climate treaty", ax=one)
    assert by_gid(one, "in:climate treaty")


def test_network_nodes_edges_sizes_and_blocs(tables):
    caps = pd.Series({s: 10.0 * (i + 1) for i, s in enumerate(NAMES)})
    layout = metrics.layout_positions(tables["alliances"], NAMES, seed=0)
    fig = charts.alliance_network(
        tables["alliances"], round=10, capabilities=caps, blocs=tables["blocs"], layout=layout
    )
    ax = fig.axes[0]
    nodes = by_gid(ax, "states")
    np.testing.assert_allclose(nodes.get_offsets(), layout[["x", "y"]].to_numpy())
    assert np.all(np.diff(nodes.get_sizes()) > 0)  # capability grows with the name order
    edges = metrics.alliance_edges(tables["alliances"], 10)
    assert len(by_gid(ax, "allies").get_segments()) == (edges["weight"] > 0).sum()
    assert len(by_gid(ax, "hostile").get_segments()) == (edges["weight"] < 0).sum()
    bloc = metrics.bloc_of(tables["blocs"], 10)
    colours = [to_hex(c).upper() for c in nodes.get_facecolors()]
    assert colours == [(BLUE, ORANGE)[bloc[s]] for s in NAMES]


def test_network_large_run_names_only_the_biggest():
    big = synthetic_tables(n=193, rounds=2)
    caps = pd.Series(np.arange(193, dtype=float), index=[f"State {i:03d}" for i in range(193)])
    ax = charts.alliance_network(
        big["alliances"], capabilities=caps, label_top=10, max_edges=50
    ).axes[0]
    named = {t.get_text() for t in ax.texts}
    assert "State 192" in named  # the biggest is always named
    assert 1 <= len(named) <= 10 and named <= {f"State {i:03d}" for i in range(183, 193)}
    drawn = sum(len(by_gid(ax, k).get_segments()) for k in ("allies", "hostile"))
    n_ties = len(metrics.alliance_edges(big["alliances"], 2))
    assert drawn == 50 < n_ties
    assert f"strongest 50 of {n_ties:,} ties" in ax.get_title()
    assert f"{len(named)} of 193 states named" in ax.get_title()


def test_bloc_landscape_bars_are_the_energies():
    blocs = pd.DataFrame(BLOCS_ROWS, columns=COLUMNS["blocs"])
    later = blocs.assign(round=10, energy=blocs["energy"] * 2)
    ax = charts.bloc_landscape(pd.concat([blocs, later])).axes[0]
    bars = [p for p in ax.patches if p.get_gid() == "energy"]
    assert [b.get_width() for b in bars] == [-2.0, -0.5, -4.0, -1.0]  # by summit, lowest first
    assert [to_hex(b.get_facecolor()).upper() for b in bars] == [BLUE, GREY, BLUE, GREY]
    assert "A: A, B" in ax.get_yticklabels()[0].get_text()
    assert [t.get_text() for t in ax.texts if "summit" in t.get_text()] == [
        "summit at round 5",
        "summit at round 10",
    ]
    ax = charts.bloc_landscape(pd.concat([blocs, later]), round=10).axes[0]
    assert [p.get_width() for p in ax.patches if p.get_gid() == "energy"] == [-4.0, -1.0]


def test_rounds_overview_two_panels_or_twin(tables):
    fig = charts.rounds_overview(tables["rounds"], events=tables["events"])
    top, bottom = fig.axes
    np.testing.assert_allclose(by_gid(top, "change").get_ydata(), tables["rounds"]["total_change"])
    np.testing.assert_allclose(
        by_gid(bottom, "triads").get_ydata(), tables["rounds"]["unbalanced_triads"]
    )
    assert top.get_ylabel() == "total position change"
    assert bottom.get_ylabel() == "unbalanced triads"
    one = Figure().add_subplot()
    fig = charts.rounds_overview(tables["rounds"], ax=one)
    assert fig is one.figure and len(fig.axes) == 2  # twin axes on the caller's axes


def test_outcome_distribution_points_are_the_outcomes(tmp_path):
    runs = [
        load_run(write_folder(tmp_path / f"s{s}", synthetic_tables(seed=s), seed=s))
        for s in range(4)
    ]
    fig = charts.outcome_distribution(runs)
    assert len(fig.axes) == 2  # final forecast and treaty size
    outcomes = metrics.final_outcomes(runs)
    for ax in fig.axes:
        for coll in ax.collections:
            if not isinstance(coll, PathCollection) or not coll.get_gid():
                continue
            measure, key = coll.get_gid().split(":")
            expect = outcomes[(outcomes["measure"] == measure) & (outcomes["key"] == key)]
            assert sorted(coll.get_offsets()[:, 1]) == sorted(expect["value"])
    one = charts.outcome_distribution(outcomes, measure="final forecast")
    assert len(one.axes) == 1


def test_charts_leave_rcparams_alone(tables):
    before = mpl.rcParams["font.size"]
    charts.challenge_outcomes(tables["challenges"])
    assert mpl.rcParams["font.size"] == before


# --- empty tables: a clear note, never a crash ------------------------------------------------

EMPTY = {k: pd.DataFrame(columns=v) for k, v in COLUMNS.items()}


@pytest.mark.parametrize(
    ("draw", "says"),
    [
        (lambda: charts.treaty_membership(EMPTY["treaties"]), "No treaties"),
        (lambda: charts.payoff_in_out(EMPTY["payoffs"]), "No treaties"),
        (lambda: charts.bloc_landscape(EMPTY["blocs"]), "No bloc"),
        (lambda: charts.challenge_outcomes(EMPTY["challenges"]), "No challenges"),
        (lambda: charts.alliance_network(EMPTY["alliances"]), "No alliance"),
        (lambda: charts.rounds_overview(EMPTY["rounds"]), "No rounds"),
        (lambda: charts.positions_over_rounds(EMPTY["positions"], issue="x"), "No positions"),
        (lambda: charts.outcome_distribution([]), "No runs"),
        (lambda: charts.treaty_membership(pd.DataFrame()), "No treaties"),
    ],
)
def test_empty_tables_draw_a_note(draw, says):
    fig = draw()
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert any(says in t for t in texts), texts
    assert png_bytes(fig).startswith(PNG_MAGIC)


# --- run folders and the report ---------------------------------------------------------------


def test_report_is_self_contained_with_every_chart(tmp_path, run_folder):
    out = tmp_path / "out"
    path = write_report(run_folder.path, out)
    page = path.read_text(encoding="utf-8")
    stems = [
        "positions_climate",
        "positions_trade",
        "positions_security",
        "rounds",
        "challenges",
        "treaty_membership",
        "payoffs",
        "network_start",
        "network_end",
        "blocs",
    ]
    for stem in stems:
        png = out / f"{stem}.png"
        assert png.read_bytes().startswith(PNG_MAGIC) and png.stat().st_size > 5000
        assert f"id='{stem}'" in page
    assert page.count("src='data:image/png;base64,") == len(stems)
    assert "http://" not in page and "https://" not in page
    assert "A synthetic &lt;test&gt; run" in page  # escaped
    assert "Atlantis &amp; Borduria signed." in page  # the narrative
    assert "A made-up world." in page  # teaching notes
    assert "<th>parameters.convergence.rule</th><td>ktab</td>" in page  # manifest table
    assert not list(out.glob("*.tmp")) and not list(out.glob(".*.tmp"))


def test_report_on_a_folder_without_treaties(tmp_path, tables):
    folder = write_folder(tmp_path / "r", tables, empty=("treaties", "payoffs", "blocs", "events"))
    page = write_report(folder).read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 10
    assert "This scenario has" not in page


def test_minimal_charts_are_the_cheap_ones(tmp_path, run_folder):
    paths = write_charts(run_folder.path, tmp_path, minimal=True)
    assert sorted(p.stem for p in paths) == sorted(
        ["positions_climate", "positions_trade", "positions_security", "rounds", "challenges"]
    )


def test_real_run_folder(tmp_path):
    """``run.py run`` writes a folder whose tables follow the contract and which we can report."""
    out = tmp_path / "run"
    proc = subprocess.run(
        [sys.executable, "run.py", "run", "classroom_five", "--out", str(out), "--no-report"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    run = load_run(out)
    for name, cols in COLUMNS.items():
        if not run.tables[name].empty:
            assert list(run.tables[name].columns) == cols, name
    assert run.states == ["United States", "China", "European Union", "India", "Brazil"]
    assert (out / "positions_climate.png").exists()  # written by --no-report
    final = metrics.final_forecasts(run.forecasts)
    assert final["issue"].tolist() == ["climate", "trade", "security"]
    page = write_report(out, tmp_path / "rep").read_text(encoding="utf-8")
    assert "United States" in page and "Five powers" in page
    assert page.count("data:image/png;base64,") == 10


def test_analysis_never_imports_mesa():
    code = (
        "import sys, analysis, analysis.report, analysis.charts, analysis.metrics;"
        "sys.exit('mesa' in sys.modules or any(m.startswith('sim.') and m != 'sim.narrative'"
        " for m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
