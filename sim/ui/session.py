"""One visitor's classroom session: a scenario, the controls' values and one model.

Everything the page does goes through a :class:`Classroom`, which knows nothing about Solara, so
it is tested without a browser. The page creates one per browser session (never a module-level
model): two visitors never see each other's rounds, and a bad upload or a crash in one visitor's
model is an error message on that visitor's page only.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ..catalog import Entry, bundled_scenarios
from ..errors import DiplomesaError, ScenarioError
from ..events import Fired, crisis_names
from ..model import NegotiationModel
from ..scenario import Parameters, Scenario, load_scenario, parse_scenario_text
from ..yamlio import MAX_FILE_BYTES, decode_text
from . import figures

log = logging.getLogger(__name__)

#: Where "Save charts" writes, relative to the server's working directory.
DEFAULT_SAVE_DIR = Path("runs") / "classroom"


@dataclass(frozen=True)
class Settings:
    """The page's controls. Changing any of them starts the model again at round 0."""

    seed: int
    alliance_influence: float
    summit_every: int
    rounds: int
    #: Stop early when positions settle (the scenario's convergence rule) or run every round.
    stop_when_settled: bool = True

    @classmethod
    def of(cls, scenario: Scenario) -> Settings:
        p = scenario.parameters
        return cls(
            int(scenario.seed),
            float(p.alliance_influence),
            int(p.summit_every),
            p.rounds,
            p.convergence.rule != "none",
        )


@dataclass(frozen=True)
class TreatyRow:
    """One treaty as the page shows it."""

    name: str
    issues: str
    members: str
    stability: str


def with_settings(scenario: Scenario, settings: Settings) -> Scenario:
    """A new scenario with the controls' parameters, validated like a file (ranges included).

    Raises :class:`~sim.errors.ScenarioError` naming the control and the allowed range.
    """
    from pydantic import ValidationError

    update = {
        "alliance_influence": settings.alliance_influence,
        "summit_every": settings.summit_every,
        "rounds": settings.rounds,
    }
    if not settings.stop_when_settled:
        update["convergence"] = {**scenario.parameters.convergence.model_dump(), "rule": "none"}
    try:
        params = Parameters.model_validate({**scenario.parameters.model_dump(), **update})
    except ValidationError as exc:
        raise ScenarioError.single(
            "controls",
            "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()),
        ) from None
    if settings.seed < 0:
        raise ScenarioError.single("controls", f"must be 0 or more, got {settings.seed}", "seed")
    return scenario.model_copy(update={"parameters": params, "seed": int(settings.seed)})


def read_upload(name: str, size: int, file_obj: BinaryIO) -> Scenario:
    """Validate an uploaded scenario file with the same limits and safe loader as the CLI.

    Never reads more than the loader's size limit (plus one byte, to know it was exceeded).
    Raises :class:`~sim.errors.ScenarioError` listing every problem as ``file:line:col field:
    message``.
    """
    name = Path(name or "upload.yaml").name
    if size > MAX_FILE_BYTES:
        raise ScenarioError.single(
            name, f"the file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,} bytes"
        )
    raw = file_obj.read(MAX_FILE_BYTES + 1)
    return parse_scenario_text(decode_text(raw, name), name)


def round_label(model: NegotiationModel | None) -> str:
    """``"Round 3 of 20"``, with why it stopped once it has."""
    if model is None:
        return "No scenario loaded"
    text = f"Round {model.round} of {model.max_rounds}"
    if not model.running:
        text += " (converged)" if model.converged else " (finished)"
    return text


def treaty_rows(treaties) -> list[TreatyRow]:
    """The current treaties, one row each: issues, members and whether they hold."""
    rows = []
    for t in treaties:
        internal, external = bool(t.internally_stable), bool(t.externally_stable)
        if internal and external:
            stability = "stable"
        elif internal:
            stability = "outsiders want in"
        elif external:
            stability = "members want out"
        else:
            stability = "unstable"
        if getattr(t, "settled", False):
            stability += ", settled"
        issues = t.issues if isinstance(t.issues, str) else ", ".join(map(str, t.issues))
        rows.append(TreatyRow(str(t.name), issues, ", ".join(map(str, t.members)), stability))
    return rows


def catalog(folder: Path) -> list[Entry]:
    """The valid bundled scenarios in ``folder``, cached while no file there changes.

    Validating every bundled file takes about a second; visitors share this read-only list (not
    any model), so a new browser session opens at once.
    """
    folder = Path(folder).resolve()
    stamp = tuple((p.name, p.stat().st_mtime_ns) for p in sorted(folder.glob("*.yaml")))
    return _catalog(folder, stamp)


@functools.lru_cache(maxsize=8)
def _catalog(folder: Path, stamp: tuple) -> list[Entry]:
    return [e for e in bundled_scenarios(folder) if e.n_states]


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "scenario"


class Classroom:
    """One visitor's state. All methods are safe to call from the page's play thread.

    Errors never escape: a bad upload, an invalid control value or an exception inside the model
    is stored in :attr:`error` (plain text for the page) and the model stops.
    """

    def __init__(self, folder: Path, scenario: str | None = None):
        self.folder = Path(folder)
        self.choices: list[Entry] = list(catalog(self.folder))
        self._lock = threading.RLock()
        self.error: str | None = None
        self.source = ""
        #: The bundled scenario in use, or None for an upload.
        self.choice: str | None = None
        self.base: Scenario | None = None
        self.settings: Settings | None = None
        self.model: NegotiationModel | None = None
        self.layout: dict[int, np.ndarray] = {}
        #: Crises fired since the last step (they shape the next round).
        self.pending: list[Fired] = []
        names = [e.name for e in self.choices]
        start = scenario if scenario in names else (names[0] if names else None)
        if start is not None:
            self.choose(start)

    # ------------------------------------------------------------------ choosing
    @property
    def names(self) -> list[str]:
        return [e.name for e in self.choices]

    def choose(self, name: str) -> bool:
        """Load a bundled scenario by name and start at round 0."""
        entry = next((e for e in self.choices if e.name == name), None)
        if entry is None:
            self.error = f"unknown scenario {name!r} (known: {', '.join(self.names)})"
            return False
        try:
            scenario = load_scenario(entry.path)
        except ScenarioError as exc:
            self.error = str(exc)
            return False
        if self._use(scenario, entry.name):
            self.choice = entry.name
            return True
        return False

    def upload(self, name: str, size: int, file_obj: BinaryIO) -> bool:
        """Use a visitor's own scenario file; on any problem keep the current model."""
        try:
            scenario = read_upload(name, size, file_obj)
        except ScenarioError as exc:
            self.error = f"Your file was not loaded:\n{exc}"
            return False
        if self._use(scenario, f"uploaded {Path(name).name}"):
            self.choice = None
            return True
        return False

    def _use(self, scenario: Scenario, source: str) -> bool:
        with self._lock:
            self.base, self.source = scenario, source
            return self.configure(Settings.of(scenario))

    def configure(self, settings: Settings) -> bool:
        """Apply the controls' values and start again at round 0."""
        with self._lock:
            if self.base is None:
                return False
            try:
                scenario = with_settings(self.base, settings)
                model = NegotiationModel(scenario, seed=settings.seed)
            except (DiplomesaError, ValueError) as exc:
                self.error = str(exc)
                return False
            self.settings, self.model, self.pending, self.error = settings, model, [], None
            self.layout = figures.fixed_layout(model.alliances.baseline)
            return True

    def reset(self) -> bool:
        """Round 0 again with the same scenario and controls."""
        return self.configure(self.settings) if self.settings is not None else False

    # ------------------------------------------------------------------ running
    @property
    def running(self) -> bool:
        return self.model is not None and self.model.running and self.error is None

    def step(self) -> bool:
        """One round; False when the model cannot go on (finished, converged or crashed)."""
        with self._lock:
            if not self.running:
                return False
            try:
                self.model.step()
            except Exception as exc:  # the page's boundary: any model failure stays on this page
                log.exception("model crashed in round %d", self.model.round + 1)
                self.error = (
                    f"The model stopped with an error in round {self.model.round + 1}: {exc!r}"
                )
                return False
            self.pending = []
            return self.model.running

    def fire(self, crisis: str) -> Fired | None:
        """Fire a crisis now; it is listed as pending and shapes the next round."""
        with self._lock:
            if self.model is None:
                return None
            try:
                fired = self.model.fire(crisis)
            except Exception as exc:  # same boundary as step()
                log.exception("crisis %r failed", crisis)
                self.error = f"The crisis {crisis!r} could not be applied: {exc}"
                return None
            self.pending.append(fired)  # fire() reopens a run the stop rule had ended
            return fired

    def crises(self) -> list[str]:
        return crisis_names(self.model) if self.model is not None else []

    # ------------------------------------------------------------------ what the page shows
    def source_title(self) -> str:
        """What is loaded, e.g. ``"Five powers, three issues (classroom_five)"``."""
        if self.base is None:
            return ""
        return f"{self.base.title or self.base.name} ({self.source})"

    def label(self) -> str:
        return round_label(self.model)

    def story(self) -> list[str]:
        """The last round's narrative, then crises fired since (marked as applying next)."""
        if self.model is None:
            return []
        lines = list(self.model.story)
        if self.model.round == 0 and not lines:
            lines = ["Round 0: every state stands at its starting position. Press Step."]
        elif not lines:
            lines = [f"Round {self.model.round}: nobody moved; every state kept its position."]
        lines += [
            f"Just fired (shapes round {self.model.round + 1}): {f.name}: {f.description}"
            for f in self.pending
        ]
        return lines

    def treaties(self) -> list[TreatyRow]:
        return treaty_rows(self.model.treaties) if self.model is not None else []

    def positions(self) -> np.ndarray:
        """(rounds so far + 1, N, K) positions from the model's records."""
        # The recorder's per-round array (round 0 = starting positions); building the full tidy
        # result every frame would cost more and is not needed for one chart.
        return np.array(self.model.recorder.positions[: self.model.round + 1])

    def network_png(self) -> bytes:
        with self._lock:
            return figures.png_bytes(figures.network_figure(self.model, self.layout))

    def positions_png(self) -> bytes:
        with self._lock:
            return figures.png_bytes(figures.positions_figure(self.model, self.positions()))

    def file_stem(self) -> str:
        return (
            f"{slug(self.model.spec.name)}-seed{self.model.seed_used}-round{self.model.round:03d}"
        )

    def save_charts(self, folder: Path = DEFAULT_SAVE_DIR) -> list[Path]:
        """Write both charts as PNG (for slides) into ``folder``; return the paths."""
        with self._lock:
            folder = Path(folder)
            folder.mkdir(parents=True, exist_ok=True)
            stamp = dt.datetime.now().strftime("%H%M%S")
            out = []
            for what, data in (
                ("network", self.network_png()),
                ("positions", self.positions_png()),
            ):
                path = folder / f"{self.file_stem()}-{stamp}-{what}.png"
                path.write_bytes(data)
                out.append(path)
            return out
