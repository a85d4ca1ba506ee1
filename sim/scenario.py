"""Scenario files: frozen, self-validating pydantic v2 models and their loader.

A scenario says who negotiates (states, with capability, ideal points and saliences), over what
(issues, each a 0-100 axis unless stated otherwise), who is allied with whom (signed ties in
[-1, 1]), how the negotiation runs (parameters), and what happens on the way (events, crises,
treaties). ``load_scenario`` reads a YAML file (or a stakeholder CSV table, see ``sim.tables``)
and either returns a :class:`Scenario` or raises a :class:`~sim.errors.ScenarioError` that lists
every problem with ``file:line:col field.path``.

The field reference in ``scenarios/README.md`` is generated from the descriptions below
(``python run.py schema --markdown``); a test keeps the two in step.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import Problem, ScenarioError
from .yamlio import Located, parse_yaml, read_text

#: Most states a scenario may hold (the engine is tested to N = 1000; 2000 leaves headroom).
MAX_STATES = 2000
#: Most issues a scenario may hold.
MAX_ISSUES = 12
#: Most rounds a run may ask for.
MAX_ROUNDS = 10_000

NAME_PATTERN = r"^[^\x00-\x1f]{1,80}$"


class Frozen(BaseModel):
    """Base of every scenario model: immutable, unknown fields refused, no NaN or infinity."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class IssueKind(enum.StrEnum):
    """Which payoff model a summit uses for an issue (see docs/model.md, section 4)."""

    CLIMATE = "climate"
    TRADE = "trade"
    SECURITY = "security"
    OTHER = "other"


def _num(default: Any, lo: float | None, hi: float | None, text: str, **kw) -> Any:
    """A numeric field with its range stated in the schema and in error messages."""
    return Field(default, ge=lo, le=hi, description=text, **kw)


class IssueSpec(Frozen):
    name: str = Field(
        pattern=r"^[A-Za-z][A-Za-z0-9_]{0,39}$",
        description="Short identifier used as a key everywhere else (letters, digits, _).",
    )
    kind: IssueKind | None = Field(
        None,
        description="Payoff model at summits: climate, trade, security or other. "
        "Default: the issue's name if it is one of these, else other.",
    )
    low: str = Field("", max_length=300, description="What position 0 (the minimum) means.")
    high: str = Field("", max_length=300, description="What position 100 (the maximum) means.")
    min: float = Field(0.0, description="Lowest position on the axis (default 0).")
    max: float = Field(100.0, description="Highest position on the axis (default 100).")

    @property
    def payoff_kind(self) -> IssueKind:
        if self.kind is not None:
            return self.kind
        try:
            return IssueKind(self.name)
        except ValueError:
            return IssueKind.OTHER


class Indicators(Frozen):
    """Real-world figures for a state, as in ``states.csv`` (copied so a scenario stands alone)."""

    population_millions: float | None = _num(None, 0, None, "Population, million persons (2023).")
    gdp_usd_billions: float | None = _num(None, 0, None, "GDP, billion current US$ (2023).")
    co2_mt: float | None = _num(None, 0, None, "Fossil CO2 emissions, million tonnes (2023).")
    military_usd_billions: float | None = _num(
        None, 0, None, "Military expenditure, billion US$ (SIPRI, 2023)."
    )
    source: str = Field("", max_length=300, description="Where the figures come from.")


class Economics(Frozen):
    """Issue economics used by the summit payoffs (docs/model.md, section 4)."""

    vulnerability: float = _num(
        0.05,
        0,
        1e6,
        "Climate benefit b per unit of world abatement, % of world GDP (damage avoided).",
    )
    abatement_cost: float = Field(
        1.0, gt=0, le=1e6, description="Climate cost slope g: cost of own abatement q is g q^2/2."
    )
    threat: float = _num(0.5, 0, 10, "Security threat exposure theta (0 = none).")
    gdp: float | None = Field(
        None,
        gt=0,
        description="Economic mass for trade gravity, billion US$. "
        "Default: indicators.gdp_usd_billions, else the capability.",
    )


class StateSpec(Frozen):
    name: str = Field(pattern=NAME_PATTERN, description="Name shown in every output.")
    iso3: str | None = Field(
        None,
        pattern=r"^[A-Z]{3}$",
        description="ISO 3166 alpha-3 code (EUU for the EU); links to the bundled states.csv.",
    )
    capability: float | None = Field(
        None,
        gt=0,
        description="Power to shape outcomes (> 0, any unit; only ratios matter). "
        "Default: derived from indicators by parameters.capability_rule.",
    )
    description: str = Field("", max_length=1000, description="A line about the state.")
    indicators: Indicators | None = Field(
        None, description="Real figures; filled from states.csv by iso3 when omitted."
    )
    position: dict[str, float] = Field(
        description="Ideal point on each issue (between the issue's min and max, 0-100 default)."
    )
    salience: dict[str, Annotated[float, Field(ge=0, le=1)]] = Field(
        description="How much each issue matters, 0-1; a state's saliences sum to at most 1."
    )
    economics: Economics = Field(default_factory=Economics, description="Payoff parameters.")
    inactive: list[str] = Field(
        default_factory=list,
        description="Issues this state stays out of at the start (a join event brings it in).",
    )


class AllianceSpec(Frozen):
    a: str = Field(description="One state's name.")
    b: str = Field(description="The other state's name.")
    weight: float = _num(..., -1, 1, "+1 formal alliance, 0 neutral, -1 hostile.")
    note: str = Field("", max_length=300, description="Why the tie is what it is.")


class Convergence(Frozen):
    rule: Literal["ktab", "none"] = Field(
        "ktab",
        description="ktab: stop when a round's total position change is below threshold times "
        "the first round's (KTAB SMP); none: always run every round.",
    )
    threshold: float = _num(0.02, 0, 1, "Fraction of the first round's change (default 0.02).")
    min_rounds: int = _num(2, 1, MAX_ROUNDS, "Never stop before this many rounds (default 2).")


class CapabilityRule(Frozen):
    """Capability = 100 x the weighted sum of each indicator's share among the scenario's states."""

    gdp: float = _num(0.5, 0, 1, "Weight of the GDP share.")
    military: float = _num(0.5, 0, 1, "Weight of the military-expenditure share.")
    population: float = _num(0.0, 0, 1, "Weight of the population share.")


class AllianceDynamics(Frozen):
    """How ties move each round (docs/model.md, section 5)."""

    strengthen: float = _num(0.05, 0, 1, "Added to a tie per treaty the two states co-sign.")
    weaken: float = _num(0.05, 0, 1, "Taken from a tie when one side lost a conflict to the other.")
    decay: float = _num(0.02, 0, 1, "Fraction of the gap to the scenario's tie closed per round.")
    triad_p: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Antal-Krapivsky-Redner local triad dynamics: probability p of making a "
        "negative tie of an unbalanced triad positive (else a positive one negative); "
        "none = off.",
    )
    triad_steps: int = _num(1, 0, 1000, "Triad updates per round when triad_p is set.")
    tie_threshold: float = _num(
        0.0, 0, 1, "Ties with |weight| at or below this count as absent in triad counts."
    )


class Blocs(Frozen):
    """Landscape theory (Axelrod & Bennett 1993): two-bloc splits reported each summit."""

    enabled: bool = Field(
        True, description="Compute blocs at summits (at the end when there are no summits)."
    )
    exhaustive_max: int = _num(
        22, 2, 26, "Largest N searched exhaustively; above it, seeded local search."
    )
    starts: int = _num(64, 1, 100000, "Local-search starts beyond exhaustive_max.")


class Parameters(Frozen):
    rounds: int = _num(20, 1, MAX_ROUNDS, "Most rounds to run (one round = one Model.step()).")
    summit_every: int = _num(5, 0, MAX_ROUNDS, "A summit every this many rounds (0 = never).")
    alliance_influence: float = _num(
        0.0, 0, 10, "alpha: how much third parties lean toward their allies (0 = Scholz et al.)."
    )
    Q: float = _num(1.0, 0, 1, "Probability the status quo holds if no challenge (BDM Q).")
    T: float = _num(1.0, 0, 1, "Probability the challenger's position improves (BDM T).")
    convergence: Convergence = Field(default_factory=Convergence, description="Stop rule.")
    capability_rule: CapabilityRule = Field(
        default_factory=CapabilityRule, description="How capability is derived from indicators."
    )
    alliance_dynamics: AllianceDynamics = Field(
        default_factory=AllianceDynamics, description="How ties change each round."
    )
    blocs: Blocs = Field(default_factory=Blocs, description="Bloc (landscape) analysis.")
    game_max_iter: int = _num(
        100, 1, 10000, "Cap on best-response sweeps in a treaty membership game."
    )
    payoffs: dict[str, dict[str, float]] = Field(
        default_factory=dict,
        description="Payoff parameters by issue kind (climate, trade, security), overriding "
        "the defaults in docs/model.md section 4, e.g. {trade: {gain: 2.0}}.",
    )


class ChangeKind(enum.StrEnum):
    """What a scheduled event or crisis changes."""

    CAPABILITY = "capability"
    SALIENCE = "salience"
    POSITION = "position"
    TIE = "tie"
    JOIN = "join"
    LEAVE = "leave"


class Change(Frozen):
    kind: ChangeKind = Field(
        description="capability, salience, position (ideal point), tie, join or leave (an issue)."
    )
    state: str = Field(description="The state changed.")
    issue: str | None = Field(None, description="The issue (salience, position, join, leave).")
    other: str | None = Field(None, description="The other state (tie).")
    value: float | None = Field(
        None, description="New value, or amount for add / factor for scale."
    )
    mode: Literal["set", "add", "scale"] = Field(
        "set", description="set the value, add to it, or scale (multiply) it."
    )


class EventSpec(Frozen):
    round: int = _num(..., 1, MAX_ROUNDS, "Round at whose start the event applies.")
    name: str = Field("", max_length=80, description="Short name shown in outputs.")
    description: str = Field("", max_length=1000, description="What happens, in plain words.")
    crisis: str | None = Field(None, description="Fire this named crisis (see crises).")
    changes: list[Change] = Field(default_factory=list, description="Changes applied.")


class CrisisSpec(Frozen):
    description: str = Field("", max_length=1000, description="What the crisis is.")
    changes: list[Change] = Field(min_length=1, description="Changes applied when fired.")


class TreatySpec(Frozen):
    name: str = Field(pattern=NAME_PATTERN, description="Treaty name shown in outputs.")
    issues: list[str] = Field(
        min_length=1,
        description="Issues it covers; two or more make a linked package decided on the "
        "summed payoff (issue linkage).",
    )
    proposal: dict[str, float] = Field(
        default_factory=dict,
        description="Fixed proposal per issue; issues not given use the current forecast.",
    )
    penalty_tariff: float = _num(
        0.0, 0, 1, "Climate-club penalty tariff on non-members' trade with members (0.03 = 3%)."
    )
    transfers: float = _num(
        0.0, 0, 1, "Share of members' surplus pooled to pay members who would otherwise leave."
    )
    description: str = Field("", max_length=1000, description="What the treaty is.")


class LandscapeSpec(Frozen):
    """Sizes and propensities for landscape theory, when not capability and alliance ties."""

    sizes: dict[str, float] = Field(
        default_factory=dict, description="Size of each state (default: capability)."
    )
    propensities: list[AllianceSpec] = Field(
        default_factory=list,
        description="Pairwise propensity p_ij in [-1, 1] (default: the current alliance ties).",
    )
    note: str = Field("", max_length=5000, description="How the propensities were coded.")


class Teaching(Frozen):
    what_is_it: str = Field("", description="What the scenario is about.")
    how_it_works: str = Field("", description="How the model plays it out.")
    things_to_notice: str = Field("", description="What to look for in the results.")
    things_to_try: str = Field("", description="Changes to make and rerun.")
    questions_for_debrief: str = Field("", description="Questions for a class discussion.")
    sources: str = Field("", description="Where the data and ideas come from.")


class Scenario(Frozen):
    name: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$",
        description="Identifier (letters, digits, _ . -); used in run folder names.",
    )
    title: str = Field("", max_length=200, description="Human title.")
    description: str = Field("", max_length=5000, description="What the scenario is.")
    sources: list[str] = Field(default_factory=list, description="Citations for the figures.")
    seed: int = _num(0, 0, 2**63 - 1, "Root random seed (the CLI's --seed overrides it).")
    issues: list[IssueSpec] = Field(min_length=1, max_length=MAX_ISSUES, description="Issues.")
    states: list[StateSpec] = Field(min_length=2, max_length=MAX_STATES, description="States.")
    alliances: list[AllianceSpec] = Field(default_factory=list, description="Alliance ties.")
    parameters: Parameters = Field(default_factory=Parameters, description="Model parameters.")
    events: list[EventSpec] = Field(default_factory=list, description="Scheduled events.")
    crises: dict[str, CrisisSpec] = Field(
        default_factory=dict, description="Named crises, fired by events or live from the page."
    )
    treaties: list[TreatySpec] | None = Field(
        None,
        description="Treaties offered at summits. Default: one per issue whose kind is "
        "climate, trade or security, proposed at the forecast.",
    )
    landscape: LandscapeSpec | None = Field(
        None, description="Sizes and propensities for blocs (default: capability and ties)."
    )
    teaching: Teaching | None = Field(None, description="Teaching notes.")

    @property
    def issue_names(self) -> list[str]:
        return [i.name for i in self.issues]

    @property
    def state_names(self) -> list[str]:
        return [s.name for s in self.states]


# --------------------------------------------------------------------------------------------
# Loading


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario file (``.yaml``/``.yml``) or stakeholder table (``.csv``)."""
    path = Path(path)
    text = read_text(path)
    if path.suffix.lower() in {".csv", ".tsv"}:
        from .tables import parse_table

        return parse_table(text, str(path))
    return parse_scenario_text(text, str(path))


def parse_scenario_text(text: str, file: str) -> Scenario:
    """Validate scenario YAML text; ``file`` names it in error messages."""
    located = parse_yaml(text, file)
    return validate_data(located)


def validate_data(located: Located) -> Scenario:
    """Validate parsed data; collect schema and cross-reference problems in one pass."""
    from .checks import cross_check, derive_capabilities

    data = located.data
    if not isinstance(data, dict):
        raise ScenarioError(
            [located.problem((), "the file must be a mapping of fields (name:, issues:, states:)")]
        )
    problems: list[Problem] = list(located.problems)
    scenario = None
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        problems.extend(pydantic_problems(exc, located, Scenario))
    read_paths = {p.path for p in located.problems}
    problems = [p for p in problems if p in located.problems or p.path not in read_paths]
    problems.extend(cross_check(data, located))
    if problems:
        raise ScenarioError(_dedupe(problems))
    scenario, derive_problems = derive_capabilities(scenario, located)
    if derive_problems:
        raise ScenarioError(derive_problems)
    return scenario


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple] = set()
    out = []
    for p in sorted(problems, key=lambda p: (p.line, p.col, p.path)):
        key = (p.line, p.col, p.path, p.message)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def pydantic_problems(
    exc: ValidationError, located: Located, root: type[BaseModel]
) -> list[Problem]:
    """Turn pydantic's errors into located, plain-English problems."""
    out = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function")))
        kind = err["type"]
        given = err.get("input")
        field = _field_info(root, loc)
        allowed = _allowed(field)
        if kind == "missing":
            msg = "is required but missing" + (f" ({allowed})" if allowed else "")
        elif kind == "extra_forbidden":
            names = _field_names(root, loc[:-1])
            msg = "unknown field" + (f" (allowed: {', '.join(names)})" if names else "")
            out.append(located.problem(loc, msg, key=True))
            continue
        elif kind in {"finite_number"}:
            msg = f"must be a finite number, got {given!r}" + (f" ({allowed})" if allowed else "")
        else:
            text = err["msg"]
            text = text[0].lower() + text[1:] if text else text
            text = text.replace("input should be", "must be")
            shown = repr(given) if not isinstance(given, dict | list) else type(given).__name__
            if kind == "string_pattern_mismatch":
                text = _PATTERN_TEXT.get(err.get("ctx", {}).get("pattern", ""), text)
            msg = text if "got" in text else f"{text}, got {shown}"
            if allowed and allowed not in msg:
                msg += f" ({allowed})"
        out.append(located.problem(loc, msg))
    return out


_PATTERN_TEXT = {
    r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$": "must be 1-80 letters, digits, _ . or - (no spaces)",
    r"^[A-Za-z][A-Za-z0-9_]{0,39}$": "must start with a letter and hold only letters, digits "
    "and _ (at most 40)",
    r"^[A-Z]{3}$": "must be three capital letters (an ISO 3166 alpha-3 code such as FRA)",
    NAME_PATTERN: "must be 1-80 characters without control characters",
}


def _unwrap(annotation: Any) -> Any:
    """The model class or item type behind Optional/list/dict annotations."""
    import typing

    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (list, tuple, dict) or origin is typing.Union or str(origin) == "types.UnionType":
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _unwrap(args[-1]) if args else annotation
    if origin is not None and hasattr(annotation, "__args__"):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _unwrap(args[-1]) if args else annotation
    return annotation


def _field_info(root: type[BaseModel], loc: tuple) -> Any:
    cls: Any = root
    info = None
    for part in loc:
        if isinstance(part, int) or not (isinstance(cls, type) and issubclass(cls, BaseModel)):
            continue
        info = cls.model_fields.get(part)
        if info is None:
            return None
        cls = _unwrap(info.annotation)
    return info


def _field_names(root: type[BaseModel], loc: tuple) -> list[str]:
    cls: Any = root
    for part in loc:
        if isinstance(part, int) or not (isinstance(cls, type) and issubclass(cls, BaseModel)):
            continue
        info = cls.model_fields.get(part)
        if info is None:
            return []
        cls = _unwrap(info.annotation)
    if isinstance(cls, type) and issubclass(cls, BaseModel):
        return list(cls.model_fields)
    return []


def _allowed(info: Any) -> str:
    """'allowed: ...' text from a field's constraints and description."""
    if info is None:
        return ""
    lo = hi = None
    lo_open = hi_open = False
    for m in getattr(info, "metadata", []):
        if getattr(m, "ge", None) is not None:
            lo = m.ge
        if getattr(m, "gt", None) is not None:
            lo, lo_open = m.gt, True
        if getattr(m, "le", None) is not None:
            hi = m.le
        if getattr(m, "lt", None) is not None:
            hi, hi_open = m.lt, True
    if lo is not None and hi is not None and not (lo_open or hi_open):
        return f"allowed: {lo:g} to {hi:g}"
    parts = []
    if lo is not None:
        parts.append(f"{'above' if lo_open else 'at least'} {lo:g}")
    if hi is not None:
        parts.append(f"{'below' if hi_open else 'at most'} {hi:g}")
    return "allowed: " + " and ".join(parts) if parts else ""
