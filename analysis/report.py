"""Run report: chart PNGs for slides and one self-contained report.html."""

from __future__ import annotations

import base64
import html
import os
from pathlib import Path

import matplotlib.pyplot as plt

from . import charts
from .load import load_run


def _save(fig, path: Path) -> Path:
    tmp = path.with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    os.replace(tmp, path)
    return path


def write_charts(
    run_dir: str | Path, out: str | Path | None = None, minimal: bool = False
) -> list[Path]:
    """Render every chart of a run folder to PNG files in ``out`` (default the run folder)."""
    run = load_run(run_dir)
    out = Path(out or run_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for issue in run.positions["issue"].unique():
        fig = charts.positions_over_rounds(run.positions, issue=issue, forecasts=run.forecasts)
        paths.append(_save(fig, out / f"positions_{issue}.png"))
    return paths


def write_report(run_dir: str | Path, out: str | Path | None = None) -> Path:
    run = load_run(run_dir)
    out = Path(out or run_dir)
    pngs = write_charts(run_dir, out)
    parts = [
        "<!doctype html><meta charset='utf-8'>",
        f"<title>{html.escape(run.manifest.get('scenario', 'run'))}</title>",
        f"<h1>{html.escape(run.manifest.get('title') or run.manifest.get('scenario', ''))}</h1>",
        "<pre>" + html.escape("\n".join(run.narrative[:40])) + "</pre>",
    ]
    for p in pngs:
        data = base64.b64encode(p.read_bytes()).decode()
        parts.append(
            f"<img alt='{p.stem}' src='data:image/png;base64,{data}' style='max-width:100%'>"
        )
    path = out / "report.html"
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(parts), encoding="utf-8")
    os.replace(tmp, path)
    return path
