"""Run report: a PNG per chart (for slides) and one self-contained, offline ``report.html``.

The report reads only the run folder. Images are embedded as base64 data URIs and the styles are
inline, so the page works with no network and can be mailed as one file. Every file is written
to a temporary name and moved into place with :func:`os.replace`, so a reader never sees half a
file.
"""

from __future__ import annotations

import base64
import html
import inspect
import io
import json
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from matplotlib.figure import Figure

from . import charts, metrics
from .load import RunData, load_run

log = logging.getLogger(__name__)

DPI = 110


@dataclass(frozen=True)
class Chart:
    """One rendered chart: file stem, heading, caption and PNG bytes (None if drawing failed)."""

    stem: str
    title: str
    caption: str
    png: bytes | None


def _caption(fn: Callable) -> str:
    """The first paragraph of a chart's docstring: what it shows."""
    doc = inspect.getdoc(fn) or ""
    return " ".join(doc.split("\n\n")[0].split())


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def _write_atomic(path: Path, data: bytes) -> Path:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


Spec = tuple[str, str, Callable[..., Figure], Callable[[], Figure]]


def _specs(run: RunData, minimal: bool) -> Iterator[Spec]:
    """(stem, title, chart function, draw) for every chart of a run; cheap ones first."""
    t = run.tables
    for issue in metrics.issues_of(t["positions"], t["forecasts"]):
        yield (
            f"positions_{issue}",
            f"Positions on {issue}",
            charts.positions_over_rounds,
            lambda issue=issue: charts.positions_over_rounds(
                t["positions"], issue=issue, forecasts=t["forecasts"], treaties=t["treaties"]
            ),
        )
    yield (
        "rounds",
        "Convergence and alliance tension",
        charts.rounds_overview,
        lambda: charts.rounds_overview(t["rounds"], events=t["events"]),
    )
    yield (
        "challenges",
        "Who moved whom",
        charts.challenge_outcomes,
        lambda: charts.challenge_outcomes(t["challenges"]),
    )
    if minimal:
        return
    yield (
        "treaty_membership",
        "Treaty membership",
        charts.treaty_membership,
        lambda: charts.treaty_membership(t["treaties"], states=run.states),
    )
    yield (
        "payoffs",
        "Payoffs inside and outside each treaty",
        charts.payoff_in_out,
        lambda: charts.payoff_in_out(t["payoffs"]),
    )
    caps = metrics.capabilities(run.scenario)
    seed = int(run.manifest.get("seed") or 0)
    layout = metrics.layout_positions(t["alliances"], run.states, seed=seed)
    last = int(t["alliances"]["round"].max()) if not t["alliances"].empty else 0
    for stem, rnd, title in (
        ("network_start", 0, "Alliances at the start"),
        ("network_end", last, f"Alliances after round {last}"),
    ):
        yield (
            stem,
            title,
            charts.alliance_network,
            lambda rnd=rnd: charts.alliance_network(
                t["alliances"], round=rnd, capabilities=caps, blocs=t["blocs"], layout=layout
            ),
        )
    yield (
        "blocs",
        "Bloc landscape",
        charts.bloc_landscape,
        lambda: charts.bloc_landscape(metrics.landscape(t["blocs"], t.get("local_minima"))),
    )


def render_charts(run: RunData, minimal: bool = False) -> list[Chart]:
    """Draw every chart of a loaded run (only the cheap ones when ``minimal``) to PNG bytes.

    A chart that fails is logged and kept with ``png=None`` (the report says so), so a
    surprising table never loses a run folder.
    """
    out = []
    for stem, title, fn, draw in _specs(run, minimal):
        try:
            png = _png(draw())
        except Exception:  # one bad chart must not lose the rest of the report
            log.exception("chart %s failed for %s", stem, run.path)
            png = None
        out.append(Chart(stem, title, _caption(fn), png))
    return out


def _write_pngs(rendered: list[Chart], out: Path) -> list[Path]:
    paths = []
    for c in rendered:
        path = out / f"{c.stem}.png"
        if c.png is None:
            path.unlink(missing_ok=True)  # never leave a stale picture from an earlier report
        else:
            paths.append(_write_atomic(path, c.png))
    return paths


def write_charts(
    run_dir: str | Path, out: str | Path | None = None, minimal: bool = False
) -> list[Path]:
    """Render the charts of a run folder to ``<stem>.png`` files in ``out`` (default the folder).

    ``minimal`` draws only the cheap charts (positions, rounds, challenges), as ``run.py run
    --no-report`` does. Returns the paths written.
    """
    run = load_run(run_dir)
    out = Path(out or run_dir)
    out.mkdir(parents=True, exist_ok=True)
    return _write_pngs(render_charts(run, minimal), out)


def _flatten(d: dict, prefix: str = "") -> Iterator[tuple[str, str]]:
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and v:
            yield from _flatten(v, key + ".")
        elif isinstance(v, list) and v and all(not isinstance(x, dict | list) for x in v):
            yield key, ", ".join(str(x) for x in v)
        else:
            yield key, v if isinstance(v, str) else json.dumps(v)


_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}
h1{font-size:2em;margin-bottom:.2em} h2{margin-top:1.6em;border-bottom:1px solid #ccc}
pre.story{white-space:pre-wrap;background:#f6f6f6;padding:1em;border-radius:6px;font-size:1.05em}
figure{margin:1.5em 0} figure img{max-width:100%;border:1px solid #eee}
figcaption{color:#444;font-size:.95em;margin-top:.4em}
table{border-collapse:collapse;font-size:.9em} td,th{border:1px solid #ddd;padding:.25em .6em;
text-align:left;vertical-align:top} dt{font-weight:bold;margin-top:.6em}
nav a{margin-right:1em}
"""


def _html(run: RunData, rendered: list[Chart]) -> str:
    e = html.escape
    title = run.title
    parts = [
        "<!doctype html>",
        "<html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{e(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{e(title)}</h1>",
        f"<p>Scenario <code>{e(str(run.manifest.get('scenario', '')))}</code>, seed "
        f"{e(str(run.manifest.get('seed', '?')))}, {e(str(run.manifest.get('rounds_run', '?')))}"
        f" rounds run. Run folder: <code>{e(run.path.name)}</code>.</p>",
        "<nav><a href='#story'>What happened</a><a href='#charts'>Charts</a>"
        "<a href='#teaching'>Teaching notes</a><a href='#manifest'>Manifest</a></nav>",
        "<h2 id='story'>What happened</h2>",
        "<pre class='story'>" + e("\n".join(run.narrative) or "(no narrative)") + "</pre>",
        "<h2 id='charts'>Charts</h2>",
    ]
    for c in rendered:
        if c.png is None:
            parts.append(
                f"<figure id='{e(c.stem)}'><h3>{e(c.title)}</h3><p><strong>This chart could "
                "not be drawn from this run's tables; the log says why.</strong></p></figure>"
            )
            continue
        data = base64.b64encode(c.png).decode("ascii")
        parts.append(
            f"<figure id='{e(c.stem)}'><h3>{e(c.title)}</h3>"
            f"<img alt='{e(c.title)}' src='data:image/png;base64,{data}'>"
            f"<figcaption>{e(c.caption)} <em>(file {e(c.stem)}.png)</em></figcaption></figure>"
        )
    parts.append(
        "<p><em>Comparing several runs or seeds (the spread of final outcomes) needs more than one "
        "run: see <code>analysis.charts.outcome_distribution</code>.</em></p>"
    )
    teaching = run.scenario.get("teaching") or {}
    parts.append("<h2 id='teaching'>Teaching notes</h2>")
    if teaching:
        parts.append("<dl>")
        for k, v in teaching.items():
            if v:
                parts.append(f"<dt>{e(k.replace('_', ' ').capitalize())}</dt><dd>{e(str(v))}</dd>")
        parts.append("</dl>")
    else:
        parts.append("<p>This scenario has no teaching notes.</p>")
    parts.append("<h2 id='manifest'>Manifest</h2><table>")
    parts.extend(f"<tr><th>{e(k)}</th><td>{e(str(v))}</td></tr>" for k, v in _flatten(run.manifest))
    parts.append("</table></body></html>")
    return "\n".join(parts)


def write_report(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write ``report.html`` (self-contained, offline) and one PNG per chart into ``out``.

    The page holds the title, the narrative, every chart with a caption saying what it shows,
    the scenario's teaching notes and the run's manifest as a table. Returns the report's path.
    """
    run = load_run(run_dir)
    out = Path(out or run_dir)
    out.mkdir(parents=True, exist_ok=True)
    rendered = render_charts(run)
    _write_pngs(rendered, out)
    return _write_atomic(out / "report.html", _html(run, rendered).encode("utf-8"))
