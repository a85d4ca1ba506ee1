"""Sweep files: which scenario to vary, how, how often, and what to measure.

A sweep file is YAML, validated like a scenario file (frozen pydantic models, unknown fields
refused, every problem reported at once with ``file:line:col field.path``)::

    name: influence_summits
    description: What a researcher looks for.
    base: ../classroom_five.yaml        # relative to this file, or a bundled scenario's name
    design: grid                        # grid | random | latin_hypercube | sobol | morris
    levels: 5                           # grid: points per low/high range; morris: grid levels
    replications: 3                     # runs per design point, each with its own child seed
    rounds: 10                          # optional: overrides parameters.rounds
    seed: 20240601                      # root seed (default: the base scenario's seed)
    metrics: [forecast_climate]         # optional subset of the outcome columns
    parameters:
      parameters.alliance_influence: {low: 0, high: 1}
      parameters.summit_every: {values: [2, 5, 10], integer: true}

See ``docs/sweeps.md`` for the designs and how seeds are assigned.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, model_validator

from .errors import Problem, ScenarioError
from .overrides import check_path
from .scenario import MAX_ROUNDS, Frozen, Scenario, load_scenario, pydantic_problems
from .yamlio import Located, parse_yaml, read_text

#: Where bundled scenarios live (``base: classroom_five`` resolves here).
SCENARIO_DIR = Path(__file__).resolve().parents[1] / "scenarios"
#: Most runs one sweep file may ask for (points x replications).
MAX_RUNS = 10_000_000


class Design(enum.StrEnum):
    """How design points are chosen (docs/sweeps.md)."""

    GRID = "grid"
    RANDOM = "random"
    LATIN_HYPERCUBE = "latin_hypercube"
    SOBOL = "sobol"
    MORRIS = "morris"


class ParameterRange(Frozen):
    """One varied parameter: a range (``low``/``high``) or a list of ``values``."""

    low: float | None = Field(None, description="Lowest value (with high).")
    high: float | None = Field(None, description="Highest value (with low).")
    values: list[float] | None = Field(
        None, min_length=1, max_length=10_000, description="The values to use (grid design)."
    )
    integer: bool = Field(False, description="Round every value to a whole number.")

    @model_validator(mode="after")
    def _one_kind(self) -> ParameterRange:
        if self.values is not None and (self.low is not None or self.high is not None):
            raise ValueError("give either values or low and high, not both")
        if self.values is None and (self.low is None or self.high is None):
            raise ValueError("give low and high (a range) or values (a list)")
        if self.values is None and not self.low < self.high:  # type: ignore[operator]
            raise ValueError(f"low must be below high, got low={self.low:g}, high={self.high:g}")
        return self


class SweepSpec(Frozen):
    name: str = Field(
        "",
        pattern=r"^$|^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$",
        description="Identifier (default: the file name).",
    )
    description: str = Field("", max_length=5000, description="What the sweep is for.")
    base: str = Field(
        min_length=1,
        description="Scenario file (relative to the sweep file) or a bundled scenario's name.",
    )
    design: Design = Field(description="grid, random, latin_hypercube, sobol (Saltelli) or morris.")
    parameters: dict[str, ParameterRange] = Field(
        min_length=1, max_length=100, description="Dotted path -> range or values."
    )
    samples: int | None = Field(
        None,
        ge=1,
        le=1_000_000,
        description="random, latin_hypercube: number of points; sobol: base sample N "
        "(N x (2D + 2) points, a power of 2).",
    )
    levels: int | None = Field(
        None,
        ge=2,
        le=1000,
        description="grid: points across each low/high range (default 5); morris: grid levels "
        "(default 4, even).",
    )
    trajectories: int = Field(10, ge=2, le=100_000, description="morris: trajectories.")
    second_order: bool = Field(
        True, description="sobol: also sample for second-order indices (N x (2D + 2))."
    )
    replications: int = Field(1, ge=1, le=100_000, description="Runs per design point.")
    rounds: int | None = Field(
        None, ge=1, le=MAX_ROUNDS, description="Override the scenario's parameters.rounds."
    )
    seed: int | None = Field(
        None, ge=0, le=2**63 - 1, description="Root seed (default: the base scenario's)."
    )
    metrics: list[str] | None = Field(
        None, min_length=1, description="Outcome columns to keep (default: all)."
    )


@dataclass(frozen=True)
class Sweep:
    """A loaded sweep: the validated spec, its base scenario and where both came from."""

    spec: SweepSpec
    path: Path
    base_path: Path
    scenario: Scenario
    #: Kind of each varied value in the base scenario ("int", "float", "other").
    kinds: dict[str, str]

    @property
    def name(self) -> str:
        return self.spec.name or self.path.stem

    @property
    def root_seed(self) -> int:
        return int(self.scenario.seed if self.spec.seed is None else self.spec.seed)

    @property
    def parameter_names(self) -> list[str]:
        return list(self.spec.parameters)

    def integer(self, name: str) -> bool:
        return self.spec.parameters[name].integer or self.kinds.get(name) == "int"


def load_sweep(path: str | Path) -> Sweep:
    """Read and validate a sweep file and its base scenario; raise ScenarioError listing every
    problem with file:line:col."""
    path = Path(path)
    located = parse_yaml(read_text(path), str(path))
    return validate_sweep(located, path)


def validate_sweep(located: Located, path: Path) -> Sweep:
    data = located.data
    if not isinstance(data, dict):
        raise ScenarioError(
            [located.problem((), "a sweep file is a mapping (base:, design:, parameters:)")]
        )
    problems: list[Problem] = list(located.problems)
    spec = None
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as exc:
        problems.extend(pydantic_problems(exc, located, SweepSpec))
    if spec is None:
        raise ScenarioError(problems)
    problems.extend(_check_design(spec, located))
    base_path = resolve_base(spec.base, path)
    if not base_path.exists():
        problems.append(
            located.problem(
                ("base",),
                f"no scenario file {spec.base!r} (looked for {base_path}; give a path relative "
                f"to the sweep file or a bundled scenario's name)",
            )
        )
        raise ScenarioError(problems)
    try:
        scenario = load_scenario(base_path)
    except ScenarioError as exc:
        problems.append(located.problem(("base",), f"the base scenario {base_path} is invalid:"))
        problems.extend(exc.problems)
        raise ScenarioError(problems) from None
    kinds: dict[str, str] = {}
    for name in spec.parameters:
        try:
            kinds[name] = check_path(scenario, name)
        except ScenarioError as exc:
            msg = exc.problems[0].message
            problems.append(located.problem(("parameters", name), msg, key=True))
    if spec.metrics is not None:
        from .sweeps import metric_columns

        allowed = metric_columns(scenario)
        for i, m in enumerate(spec.metrics):
            if m not in allowed:
                problems.append(
                    located.problem(
                        ("metrics", i), f"unknown metric {m!r} (allowed: {', '.join(allowed)})"
                    )
                )
    if problems:
        raise ScenarioError(problems)
    return Sweep(spec=spec, path=path, base_path=base_path, scenario=scenario, kinds=kinds)


def resolve_base(base: str, sweep_path: Path) -> Path:
    """``base`` relative to the sweep file, else a bundled scenario's name."""
    cand = (sweep_path.parent / base).resolve()
    if cand.exists():
        return cand
    if not Path(base).suffix:
        for ext in (".yaml", ".yml", ".csv"):
            bundled = SCENARIO_DIR / f"{base}{ext}"
            if bundled.exists():
                return bundled
    return cand


def _check_design(spec: SweepSpec, located: Located) -> list[Problem]:
    out = []
    add = out.append
    design = spec.design
    if design in (Design.RANDOM, Design.LATIN_HYPERCUBE, Design.SOBOL) and spec.samples is None:
        add(located.problem(("design",), f"design {design} needs samples: N (e.g. samples: 64)"))
    if design == Design.SOBOL and spec.samples is not None and spec.samples & (spec.samples - 1):
        add(
            located.problem(
                ("samples",),
                f"sobol needs a power of 2 (Sobol' sequence balance), got {spec.samples} "
                "(e.g. 32, 64, 128)",
            )
        )
    if design == Design.MORRIS and spec.levels is not None and spec.levels % 2:
        add(
            located.problem(
                ("levels",), f"morris needs an even number of levels, got {spec.levels}"
            )
        )
    if design != Design.GRID:
        for name, rng in spec.parameters.items():
            if rng.values is not None:
                add(
                    located.problem(
                        ("parameters", name, "values"),
                        f"design {design} samples a range: give low and high, not values "
                        "(values lists are for design: grid)",
                    )
                )
    n = count_points(spec)
    if n * spec.replications > MAX_RUNS:
        add(
            located.problem(
                ("replications",),
                f"the sweep asks for {n * spec.replications:,} runs; the limit is {MAX_RUNS:,}",
            )
        )
    return out


def count_points(spec: SweepSpec) -> int:
    """Number of design points the spec resolves to."""
    d = len(spec.parameters)
    if spec.design == Design.GRID:
        n = 1
        for rng in spec.parameters.values():
            n *= len(rng.values) if rng.values is not None else (spec.levels or 5)
        return n
    if spec.design == Design.SOBOL:
        return (spec.samples or 0) * ((2 * d + 2) if spec.second_order else (d + 2))
    if spec.design == Design.MORRIS:
        return spec.trajectories * (d + 1)
    return spec.samples or 0


def describe(spec: SweepSpec) -> dict[str, Any]:
    """The resolved design as plain data (for the manifest)."""
    out = spec.model_dump(mode="json")
    out["points"] = count_points(spec)
    out["runs"] = out["points"] * spec.replications
    if spec.design == Design.GRID:
        out["levels"] = spec.levels or 5
    if spec.design == Design.MORRIS:
        out["levels"] = spec.levels or 4
    return out
