"""The classroom page (Solara): pick a scenario, play it round by round, fire crises live.

Start it with ``python run.py serve`` (see :mod:`sim.ui.server`); Solara imports this module and
renders :func:`Page` once per browser session. Each session owns one
:class:`~sim.ui.session.Classroom` created inside the component (``use_memo``), never at module
level, so every visitor gets their own model.

Built from plain Solara components rather than Mesa's ``SolaraViz``: SolaraViz rebuilds a model
as ``type(model)(**user_params)`` from sliders, but this model takes a validated ``Scenario``
chosen from a picker or an upload; its documented use passes one module-level model instance that
every session shares until someone presses reset; and ``make_plot_component`` reads a Mesa
``DataCollector``, which this model deliberately replaces by its own per-round arrays. Crisis
buttons, uploads and saving slides need their own components either way.

Elements carry stable CSS classes (``round-counter``, ``step-button``, ``crisis-button``,
``narrative``, ``network-chart`` ...) for the browser test and for anyone styling the page.
"""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path

import solara
import solara.lab

from .server import ENV_SAVE_DIR, ENV_SCENARIO, ENV_SCENARIO_DIR
from .session import DEFAULT_SAVE_DIR, Classroom

#: Seconds between rounds while playing (slow enough to narrate).
PLAY_SECONDS = 1.0

ROOT = Path(__file__).resolve().parents[2]

CSS = """
.diplomesa { font-size: 18px; }
.diplomesa .round-counter { font-size: 2.1rem; font-weight: 700; margin-right: 1.2rem; }
.diplomesa .source { font-size: 1.05rem; color: #333; }
.diplomesa .narrative { font-size: 1.05rem; line-height: 1.45; max-height: 30rem;
  overflow-y: auto; }
.diplomesa .narrative p { margin: 0 0 0.45rem 0; }
.diplomesa .narrative .fired { color: #A33A00; font-weight: 600; }
.diplomesa .narrative .fired small { font-weight: 400; color: #555; font-size: 0.85em; }
.diplomesa table.treaties { border-collapse: collapse; font-size: 1.05rem; width: 100%; }
.diplomesa table.treaties td, .diplomesa table.treaties th { padding: 4px 8px;
  border-bottom: 1px solid #ddd; text-align: left; vertical-align: top; }
.diplomesa .v-btn { font-size: 1rem !important; }
.diplomesa img { max-width: 100%; height: auto; }
.diplomesa pre.page-error { white-space: pre-wrap; font-size: 1rem; margin: 0; }
"""


def scenario_dir() -> Path:
    return Path(os.environ.get(ENV_SCENARIO_DIR) or ROOT / "scenarios")


def save_dir() -> Path:
    return Path(os.environ.get(ENV_SAVE_DIR) or DEFAULT_SAVE_DIR)


@solara.component
def Controls(session: Classroom, changed, version: int):
    """Scenario picker, upload and the parameters (changing one restarts at round 0).

    ``version`` changes whenever the session does: components re-render only when their
    arguments change, and the session object itself stays the same.
    """
    settings = session.settings

    def pick(name):
        if name:
            session.choose(name)
            changed()

    def uploaded(info):
        session.upload(info["name"], info["size"], info["file_obj"])
        changed()

    def apply(**change):
        if settings is not None:
            session.configure(dataclasses.replace(settings, **change))
            changed()

    with solara.Card("Scenario"):
        solara.Select(
            "Bundled scenario",
            values=session.names,
            value=session.choice,
            on_value=pick,
            classes=["scenario-select"],
        )
        with solara.Div(classes=["upload"]):
            solara.FileDrop(label="…or drop your own scenario .yaml here", on_file=uploaded)
    if settings is None:
        return
    with solara.Card("Parameters (restart at round 0)"):
        solara.InputInt(
            "Seed",
            value=settings.seed,
            on_value=lambda v: apply(seed=int(v)),
            continuous_update=False,
        )
        solara.SliderFloat(
            f"Alliance influence: {settings.alliance_influence:.2f}",
            value=settings.alliance_influence,
            on_value=lambda v: apply(alliance_influence=float(v)),
            min=0.0,
            max=max(2.0, settings.alliance_influence),
            step=0.05,
        )
        solara.SliderInt(
            f"Summit every {settings.summit_every} rounds (0 = never)",
            value=settings.summit_every,
            on_value=lambda v: apply(summit_every=int(v)),
            min=0,
            max=20,
        )
        solara.SliderInt(
            f"Rounds: {settings.rounds}",
            value=settings.rounds,
            on_value=lambda v: apply(rounds=int(v)),
            min=1,
            max=max(100, settings.rounds),
        )
        solara.Checkbox(
            label="Stop when positions settle",
            value=settings.stop_when_settled,
            on_value=lambda v: apply(stop_when_settled=bool(v)),
        )


@solara.component
def Narrative(session: Classroom, version: int):
    with solara.Card("What happened last round"), solara.Div(classes=["narrative"]):
        for line in session.story():
            fired = line.startswith(("Just fired", "Event '"))
            head, sep, detail = line.partition(" (") if fired else (line, "", "")
            # A crisis's headline in bold; its list of changes smaller, for whoever asks.
            text = _escape(head) + (f" <small>({_escape(detail)}</small>" if sep else "")
            solara.HTML(tag="p", unsafe_innerHTML=text, classes=["fired"] if fired else [])


@solara.component
def Treaties(session: Classroom, version: int):
    rows = session.treaties()
    with solara.Card("Treaties"):
        if not rows:
            every = session.settings.summit_every if session.settings else 0
            text = (
                f"No treaties yet: summits happen every {every} rounds."
                if every
                else ("No summits in this run (summit every = 0).")
            )
            solara.Text(text, classes=["no-treaties"])
            return
        body = "".join(
            f"<tr><td>{_escape(r.name)}</td><td>{_escape(r.members)}</td>"
            f"<td>{_escape(r.stability)}</td></tr>"
            for r in rows
        )
        solara.HTML(
            tag="table",
            unsafe_innerHTML=f"<tr><th>Treaty</th><th>Members</th><th>Holds?</th></tr>{body}",
            classes=["treaties"],
        )


def _escape(text: str) -> str:
    import html

    return html.escape(str(text))


@solara.component
def Page():
    # One Classroom (and so one model) per browser session: created here, never at import.
    session = solara.use_memo(
        lambda: Classroom(scenario_dir(), os.environ.get(ENV_SCENARIO)), dependencies=[]
    )
    version, set_version = solara.use_state(0)
    playing = solara.use_reactive(False)
    saved = solara.use_reactive("")

    def changed():
        set_version(lambda v: v + 1)

    def play_loop():
        while playing.value:
            going = session.step()
            changed()
            if not going:
                playing.set(False)
                break
            time.sleep(PLAY_SECONDS)

    solara.lab.use_task(play_loop, dependencies=[playing.value], prefer_threaded=True)

    def step():
        playing.set(False)
        session.step()
        changed()

    def reset():
        playing.set(False)
        session.reset()
        saved.set("")
        changed()

    def fire(name):
        session.fire(name)
        changed()

    def save():
        paths = session.save_charts(save_dir())
        saved.set("Saved " + ", ".join(str(p) for p in paths))

    model = session.model
    network = solara.use_memo(
        lambda: session.network_png() if model is not None else None, [version, id(model)]
    )
    positions = solara.use_memo(
        lambda: session.positions_png() if model is not None else None, [version, id(model)]
    )

    solara.Style(CSS)
    solara.Title("diplomesa classroom")
    with solara.AppBarTitle():
        solara.Text("diplomesa classroom")
    with solara.Sidebar():
        Controls(session, changed, version)

    with solara.Column(classes=["diplomesa"], style={"padding": "8px 16px"}):
        if session.error:
            with solara.Error(classes=["page-error"]):
                solara.Preformatted(session.error, class_="page-error")
        if model is None:
            solara.Text("No scenario loaded.")
            return
        solara.Text(session.source_title(), classes=["source"])
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.Text(session.label(), classes=["round-counter"])
            solara.Button(
                "Step",
                on_click=step,
                disabled=not session.running,
                color="primary",
                classes=["step-button"],
            )
            if playing.value:
                solara.Button(
                    "Pause", on_click=lambda: playing.set(False), classes=["pause-button"]
                )
            else:
                solara.Button(
                    "Play",
                    on_click=lambda: playing.set(True),
                    disabled=not session.running,
                    classes=["play-button"],
                )
            solara.Button("Reset", on_click=reset, classes=["reset-button"])
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.Text("Fire a crisis:", style={"font-weight": "600"})
            for name in session.crises():
                solara.Button(
                    name.replace("_", " "),
                    on_click=lambda name=name: fire(name),
                    color="warning",
                    outlined=True,
                    classes=["crisis-button", f"crisis-{name}"],
                )
        with solara.Columns([5, 4]):
            with solara.Div(classes=["network-chart"]):
                if network is not None:
                    solara.Image(network)
            with solara.Column():
                Narrative(session, version)
                Treaties(session, version)
        with solara.Div(classes=["positions-chart"]):
            if positions is not None:
                solara.Image(positions)
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.Button(
                f"Save charts to {save_dir()}/",
                on_click=save,
                icon_name="mdi-content-save",
                classes=["save-button"],
            )
            stem = session.file_stem()
            solara.FileDownload(
                session.network_png,
                filename=f"{stem}-network.png",
                label="Download network PNG",
                mime_type="image/png",
            )
            solara.FileDownload(
                session.positions_png,
                filename=f"{stem}-positions.png",
                label="Download positions PNG",
                mime_type="image/png",
            )
        if saved.value:
            solara.Text(saved.value, classes=["saved"])
