#!/usr/bin/env python3
"""diplomesa command line: run, validate, report, sweep and serve negotiation scenarios.

Every command is ``main(argv) -> exit code``. Mistakes in the user's input exit with code 2 and a
message naming the file, line, field and what is allowed; no traceback unless ``--debug``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import signal
import sys
from pathlib import Path

# One BLAS thread per process: on small shared machines multithreaded BLAS made mid-sized matrix
# products 10-100x slower (docs/performance.md); sweeps parallelise over processes instead.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parent
SCENARIO_DIR = ROOT / "scenarios"

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2

#: Modules that register more subcommands (each has ``add_cli(subparsers)``).
PLUGINS: tuple[str, ...] = ("sim.ui.server", "sim.sweeps")


def _resolve_scenario(name: str) -> Path:
    """A path, or the name of a bundled scenario (``classroom_five``)."""
    p = Path(name)
    if p.exists() or p.suffix:
        return p
    for ext in (".yaml", ".yml", ".csv"):
        cand = SCENARIO_DIR / f"{name}{ext}"
        if cand.exists():
            return cand
    return p


def cmd_validate(args) -> int:
    from sim.scenario import load_scenario

    scenario = load_scenario(_resolve_scenario(args.file))
    print(
        f"OK: {args.file} ({scenario.name}: {len(scenario.states)} states, "
        f"{len(scenario.issues)} issues)"
    )
    return EXIT_OK


def cmd_schema(args) -> int:
    from sim.schema import json_schema, markdown_reference

    if args.markdown:
        print(markdown_reference())
    else:
        print(json.dumps(json_schema(), indent=2))
    return EXIT_OK


def cmd_list(args) -> int:
    from sim.catalog import bundled_scenarios

    rows = bundled_scenarios(SCENARIO_DIR)
    width = max((len(r.name) for r in rows), default=10)
    for r in rows:
        print(f"{r.name:<{width}}  {r.n_states:>4} states  {r.summary}")
    return EXIT_OK


def cmd_run(args) -> int:
    from sim.narrative import summary
    from sim.runner import check_resources, default_out_dir, manifest, run_scenario, write_run
    from sim.scenario import load_scenario

    path = _resolve_scenario(args.scenario)
    scenario = load_scenario(path)
    if args.rounds is not None and args.rounds < 1:
        print("error: --rounds must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    check_resources(scenario, args.rounds, str(path))
    started = dt.datetime.now(dt.UTC)
    result = run_scenario(
        scenario, seed=args.seed, rounds=args.rounds, progress=sys.stderr.isatty()
    )
    finished = dt.datetime.now(dt.UTC)
    info = dict(result.info)
    info.update(
        title=scenario.title or scenario.name,
        n_states=len(scenario.states),
        max_rounds=args.rounds or scenario.parameters.rounds,
        issue_kinds={i.name: i.payoff_kind.value for i in scenario.issues},
    )
    short = summary(result.tables, info)
    result.narrative[:0] = [*short, "", "The story, round by round:"]
    out = Path(args.out) if args.out else default_out_dir(scenario, ROOT / "runs")
    data = manifest(
        result,
        scenario,
        scenario_path=str(path),
        started=started,
        finished=finished,
        argv=[Path(sys.argv[0]).name, *args.argv],
        rounds=args.rounds,
    )

    def charts(tmp: Path) -> None:
        if args.no_report:
            from analysis.report import write_charts

            write_charts(tmp, minimal=True)
        else:
            from analysis.report import write_report

            write_report(tmp, tmp)

    write_run(result, out, manifest_data=data, scenario=scenario, extra=charts)
    mark_finished()
    for line in short:
        print(line)
    print(f"\nRun folder: {out}")
    if not args.no_report:
        print(f"Report: {out / 'report.html'}")
    return EXIT_OK


def cmd_report(args) -> int:
    from analysis.report import write_report

    run_dir = Path(args.run_dir)
    out = Path(args.out) if args.out else run_dir
    path = write_report(run_dir, out)
    print(f"Report: {path}")
    return EXIT_OK


def cmd_new(args) -> int:
    from sim.student import new_scenario

    source = _resolve_scenario(args.source)
    dest = new_scenario(args.name, source, Path(args.dir))
    print(
        f"Wrote {dest}: edit it, then `python run.py validate {dest}`"
        f" and `python run.py run {dest}`"
    )
    return EXIT_OK


def cmd_explain(args) -> int:
    from sim.errors import RunError
    from sim.student import explain

    run_dir = Path(args.run_dir)
    if not (run_dir / "positions.csv").exists():
        raise RunError(
            f"{run_dir} is not a run folder (no positions.csv); give a folder made by run.py run"
        )
    for line in explain(run_dir, args.state):
        print(line)
    return EXIT_OK


def cmd_sensitivity(args) -> int:
    from analysis.sweep_charts import sensitivity_bars
    from sim.sensitivity import write_sensitivity

    sweep_dir = Path(args.sweep_dir)
    path, frame = write_sensitivity(sweep_dir)
    print(f"Sensitivity indices: {path}")
    for metric, part in frame.groupby("metric", sort=False):
        png = sweep_dir / f"sensitivity-{metric}.png"
        sensitivity_bars(part).savefig(png, bbox_inches="tight")
        print(f"Chart: {png}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="run.py",
        description="diplomesa: simulate international negotiation on climate, trade and security.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks for every error")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help="run a scenario (YAML or stakeholder CSV) and write its folder")
    p.add_argument("scenario", help="scenario file, or the name of a bundled scenario")
    p.add_argument("--seed", type=int, help="root random seed (default: the scenario's seed)")
    p.add_argument("--rounds", type=int, help="most rounds (default: the scenario's)")
    p.add_argument("--out", help="run folder (default: runs/<scenario>-<timestamp>/)")
    p.add_argument("--no-report", action="store_true", help="skip report.html (charts only)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("validate", help="check a scenario or table; print OK or every problem")
    p.add_argument("file")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("schema", help="print the scenario JSON Schema")
    p.add_argument("--markdown", action="store_true", help="the field reference as Markdown")
    p.set_defaults(func=cmd_schema)

    p = sub.add_parser("list", help="list the bundled scenarios")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("new", help="start your own scenario from a commented copy of another")
    p.add_argument("name", help="name of the new scenario (letters, digits, _ . -)")
    p.add_argument("--from", dest="source", default="classroom_five", help="scenario to copy")
    p.add_argument(
        "--dir", default=str(SCENARIO_DIR), help="folder for NAME.yaml (default: scenarios/)"
    )
    p.set_defaults(func=cmd_new)

    p = sub.add_parser("explain", help="the story of a run, round by round, in plain English")
    p.add_argument("run_dir")
    p.add_argument("--state", help="only this state's story")
    p.set_defaults(func=cmd_explain)

    p = sub.add_parser("sensitivity", help="Sobol or Morris indices of a finished sweep")
    p.add_argument("sweep_dir", help="a sweep's results folder")
    p.set_defaults(func=cmd_sensitivity)

    p = sub.add_parser("report", help="write report.html and chart PNGs for a run folder")
    p.add_argument("run_dir")
    p.add_argument("--out", help="folder for the report (default: the run folder)")
    p.set_defaults(func=cmd_report)

    for module in PLUGINS:
        __import__(module, fromlist=["add_cli"]).add_cli(sub)
    return parser


#: Set once a command's output is safely on disk: a signal after that just ends the process.
_FINISHED = False
#: True when run as a script (then Ctrl-C and SIGTERM are handled here from the start).
_SCRIPT = False


def _on_signal(signum, frame) -> None:
    """Ctrl-C or SIGTERM: unwind (temporary files are removed) unless the work is already done."""
    if _FINISHED:
        os._exit(128 + signum)
    raise KeyboardInterrupt


def mark_finished() -> None:
    """Mark the command's output as complete (a late signal then exits quietly)."""
    global _FINISHED
    _FINISHED = _SCRIPT


def main(argv: list[str] | None = None) -> int:
    """Run one command; return its exit code (0 ok, 2 bad input, 130 interrupted)."""
    previous = signal.signal(signal.SIGTERM, _on_signal)  # SIGTERM cleans up like Ctrl-C
    try:
        code = _main(list(sys.argv[1:] if argv is None else argv))
        mark_finished()
        return code
    except KeyboardInterrupt:
        print("interrupted: nothing was written", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `run.py explain RUN | head`
        sys.stderr.close()
        return EXIT_OK
    finally:
        if not _SCRIPT:
            signal.signal(signal.SIGTERM, previous)


def _main(argv: list[str]) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    args.argv = argv
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING)
    from sim.errors import DiplomesaError

    try:
        return args.func(args)
    except DiplomesaError as exc:
        if args.debug:
            raise
        print(f"error: {exc}" if "\n" not in str(exc) else str(exc), file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    _SCRIPT = True
    signal.signal(signal.SIGINT, _on_signal)
    sys.exit(main())
