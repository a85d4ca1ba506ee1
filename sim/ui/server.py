"""Serve the classroom page, fully offline: ``python run.py serve [--scenario NAME]``.

Solara's page loads its JavaScript, CSS and fonts from a CDN (jsDelivr) by default and reports
usage to Mixpanel. A classroom or CI machine may be offline, and a class's visits should not leave
the building, so :func:`offline_env` sets:

* ``SOLARA_ASSETS_PROXY=True``: the page asks *this* server for its assets (``/_solara/cdn/...``),
  and the server answers from the ``solara-assets`` package (installed at the same version as
  ``solara``, into ``<venv>/share/solara/cdn``, Solara's default proxy cache folder);
* ``SOLARA_ASSETS_CDN=http://127.0.0.1:9/offline/``: if an asset were ever missing from that
  package, the proxy's fetch fails at once on this machine instead of reaching the internet;
* ``SOLARA_TELEMETRY_MIXPANEL_ENABLE=False``: no usage reports;
* ``SOLARA_MODE=production``: no "check" iframe to solara.dev, no auto-reload.

The server binds 127.0.0.1 unless ``--host`` says otherwise (``--host 0.0.0.0`` lets students'
laptops on the same network open the page).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import warnings
from pathlib import Path

APP = "sim.ui.app"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
#: Where the proxy would fetch a missing asset from: a closed port on this machine.
DEAD_CDN = "http://127.0.0.1:9/offline/"
#: Environment variables the page reads (set by :func:`serve`).
ENV_SCENARIO = "DIPLOMESA_SCENARIO"
ENV_SCENARIO_DIR = "DIPLOMESA_SCENARIO_DIR"
ENV_SAVE_DIR = "DIPLOMESA_UI_SAVE_DIR"


def offline_env(
    scenario: str | None = None,
    *,
    scenario_dir: Path | None = None,
    save_dir: Path | None = None,
) -> dict[str, str]:
    """The environment the page needs: the app, offline assets, no telemetry, our settings."""
    env = {
        "SOLARA_APP": APP,
        "SOLARA_MODE": "production",
        "SOLARA_ASSETS_PROXY": "True",
        "SOLARA_ASSETS_CDN": DEAD_CDN,
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
        "SOLARA_THEME_LOADER": "plain",
    }
    if scenario:
        env[ENV_SCENARIO] = scenario
    if scenario_dir is not None:
        env[ENV_SCENARIO_DIR] = str(Path(scenario_dir).resolve())
    if save_dir is not None:
        env[ENV_SAVE_DIR] = str(Path(save_dir).resolve())
    return env


def assets_installed() -> bool:
    """Whether ``solara-assets`` is installed at solara's version (else the page needs a CDN)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("solara-assets") == version("solara-ui")
    except PackageNotFoundError:
        return False


def serve(
    scenario: str | None = None,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    scenario_dir: Path | None = None,
    save_dir: Path | None = None,
) -> None:
    """Run the classroom page until interrupted (blocking).

    Raises :class:`~sim.errors.RunError` if the UI extra is not installed or its assets do not
    match (the page would then try to fetch them from the internet).
    """
    from ..errors import RunError

    try:
        import uvicorn
    except ImportError:
        raise RunError(
            "the classroom page needs the ui extra: pip install 'diplomesa[ui]'"
        ) from None
    if not assets_installed():
        raise RunError(
            "solara-assets is missing or does not match solara's version; install both at the "
            "same version (pip install 'diplomesa[ui]') so the page works offline"
        )
    # Solara reads its settings from the environment when first imported, so set them first.
    os.environ.update(offline_env(scenario, scenario_dir=scenario_dir, save_dir=save_dir))
    os.environ["SERVER_NAME"], os.environ["SERVER_PORT"] = host, str(port)
    if str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    # Solara warns on every page load over plain http from a non-"localhost" name (it falls back
    # to samesite=lax cookies, which is what a classroom LAN needs anyway).
    warnings.filterwarnings("ignore", message="Cookies with samesite=none", category=UserWarning)
    # Import the page and validate the bundled scenarios now, not on the first visitor's request.
    from .app import scenario_dir
    from .session import catalog

    catalog(scenario_dir())
    # the one line an educator needs to see, whatever the logging level
    print(f"Classroom page: http://{host}:{port}/  (Ctrl-C to stop)", flush=True)  # noqa: T201
    uvicorn.run("solara.server.starlette:app", host=host, port=port, log_level="warning")


def _cmd_serve(args: argparse.Namespace) -> int:
    serve(
        args.scenario,
        args.host,
        args.port,
        scenario_dir=args.scenario_dir,
        save_dir=args.save_dir,
    )
    return 0


def add_cli(subparsers) -> None:
    """Register ``serve`` on ``run.py``'s subcommands."""
    p = subparsers.add_parser(
        "serve", help="serve the classroom page (offline; one model per browser session)"
    )
    p.add_argument("--scenario", help="bundled scenario shown first (default: the first one)")
    p.add_argument("--host", default=DEFAULT_HOST, help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (default 8765)")
    p.add_argument(
        "--scenario-dir", type=Path, help="folder of scenarios to offer (default: scenarios/)"
    )
    p.add_argument(
        "--save-dir", type=Path, help="where 'Save charts' writes PNGs (default runs/classroom)"
    )
    p.set_defaults(func=_cmd_serve)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sim.ui.server", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)
    add_cli(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["serve", *(argv if argv is not None else sys.argv[1:])])
    logging.basicConfig(level=logging.WARNING)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
