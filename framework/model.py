"""The framework as data: principles, indicators, units and breakdowns, loaded from TOML files.

The specification (these Pydantic models) is kept apart from the code that validates
submissions and computes scores. A framework that contradicts itself (an unknown unit or
principle, a weight that is not positive, goalposts with min >= max, a cycle among derived
indicators, two units claiming the same alias) is rejected at load time with every problem
listed, so a bad edit never reaches scoring.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from framework.expectations import Expectation, unknown_indicators
from framework.mappings import mapping_problems
from framework.problems import Inconsistent, Problem, from_pydantic
from framework.vocabulary import BREAKDOWN_COLUMNS, fold  # noqa: F401 — re-exported
from i18n import t

DEFAULT_FRAMEWORK_DIR = Path(__file__).resolve().parent.parent / "data" / "framework"


class Names(BaseModel):
    """A label in the three languages of the network."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    fr: Annotated[str, Field(min_length=1)]
    ar: Annotated[str, Field(min_length=1)]
    en: Annotated[str, Field(min_length=1)]

    def get(self, lang: str) -> str:
        return getattr(self, lang, self.fr)


class UnitKind(StrEnum):
    INTEGER = "integer"
    DECIMAL = "decimal"
    PERCENT = "percent"
    BOOLEAN = "boolean"


class Direction(StrEnum):
    UP = "up"
    DOWN = "down"
    NONE = "none"


class TimeAggregation(StrEnum):
    SUM = "sum"
    MEAN = "mean"
    LAST = "last"
    MAX = "max"
    WMEAN = "wmean"
    RATIO = "ratio"


class Counting(StrEnum):
    """How a count adds up over time (methodology §1): the rule members count by."""

    #: New in the period (people trained, hours given, money spent): sums over sub-periods.
    FLOW = "flow"
    #: A level at a date (staff, active volunteers, partnerships): the last value of the period.
    STOCK = "stock"
    #: Distinct people reached since the start of the year: the latest value, never a sum of periods.
    UNIQUE_TO_DATE = "unique_to_date"


#: The one time aggregation each counting rule allows.
COUNTING_AGGREGATION: dict[Counting, TimeAggregation] = {
    Counting.FLOW: TimeAggregation.SUM,
    Counting.STOCK: TimeAggregation.LAST,
    Counting.UNIQUE_TO_DATE: TimeAggregation.LAST,
}


class Transform(StrEnum):
    NONE = "none"
    LOG = "log"


class Normalisation(StrEnum):
    GOALPOSTS = "goalposts"
    MINMAX = "minmax"
    ZSCORE = "zscore"
    RANK = "rank"
    TARGET = "target"


class Aggregation(StrEnum):
    ARITHMETIC = "arithmetic"
    GEOMETRIC = "geometric"


class Unit(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    code: Annotated[str, Field(min_length=1)]
    kind: UnitKind
    name: Names
    min: float | None = None
    max: float | None = None
    aliases: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _range(self) -> Unit:
        if self.min is not None and self.max is not None and self.min >= self.max:
            raise Inconsistent(Problem("unit_range", unit=self.code, min=self.min, max=self.max))
        return self

    def folded_aliases(self) -> set[str]:
        return {fold(a) for a in (self.code, *self.aliases, self.name.fr, self.name.ar, self.name.en)}

    def range_text(self) -> str:
        low = "−∞" if self.min is None else f"{self.min:g}"
        high = "+∞" if self.max is None else f"{self.max:g}"
        return f"{low} – {high}"


class Principle(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    code: Annotated[str, Field(min_length=1)]
    name: Names
    description: Names | None = None
    weight: Annotated[float, Field(gt=0)] = 1.0
    #: How this principle's indicators combine; None = the framework's ``principle_aggregation``.
    aggregation: Aggregation | None = None


class Indicator(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    code: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_.\-]+$")]
    name: Names
    unit: str
    direction: Direction = Direction.UP
    aggregation: TimeAggregation = TimeAggregation.SUM
    #: How a count adds up over time; None = not declared (the aggregation alone says it).
    counting: Counting | None = None
    weight_by: str | None = None
    numerator: str | None = None
    denominator: str | None = None
    transform: Transform = Transform.NONE
    normalisation: Normalisation = Normalisation.GOALPOSTS
    goalposts: tuple[float, float] | None = None
    target: float | None = None
    weights: dict[str, Annotated[float, Field(gt=0)]] = Field(default_factory=dict)
    min: float | None = None
    max: float | None = None
    iris: str | None = None
    sdg: tuple[str, ...] = ()
    #: The indicator this one is a part of, by definition (R03 persons with disabilities ⊆ R01 persons
    #: reached): in one organisation, period and breakdown cell, a part never exceeds its whole.
    part_of: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _aggregation_from_counting(cls, data: object) -> object:
        """An indicator that declares only its counting rule gets the aggregation the rule implies."""
        if isinstance(data, dict) and "aggregation" not in data and data.get("counting") in COUNTING_AGGREGATION:
            return {**data, "aggregation": COUNTING_AGGREGATION[Counting(data["counting"])].value}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Indicator:
        if self.counting is not None and COUNTING_AGGREGATION[self.counting] is not self.aggregation:
            raise Inconsistent(Problem(
                "counting_contradicts_aggregation", indicator=self.code, counting=self.counting.value,
                aggregation=self.aggregation.value, expected=COUNTING_AGGREGATION[self.counting].value,
            ))
        if self.goalposts is not None and self.goalposts[0] >= self.goalposts[1]:
            raise Inconsistent(Problem("goalposts_order", indicator=self.code, min=self.goalposts[0], max=self.goalposts[1]))
        if self.aggregation is TimeAggregation.RATIO and not (self.numerator and self.denominator):
            raise Inconsistent(Problem("ratio_needs_parts", indicator=self.code))
        if self.aggregation is not TimeAggregation.RATIO and (self.numerator or self.denominator):
            raise Inconsistent(Problem("parts_only_for_ratio", indicator=self.code))
        if self.weights and self.goalposts is None and self.normalisation in (Normalisation.GOALPOSTS,):
            raise Inconsistent(Problem("goalposts_required", indicator=self.code))
        if self.normalisation is Normalisation.TARGET and self.target is None:
            raise Inconsistent(Problem("target_required", indicator=self.code))
        if self.target is not None and self.target <= 0:
            raise Inconsistent(Problem("target_positive", indicator=self.code, target=self.target))
        if self.aggregation is TimeAggregation.WMEAN and not self.weight_by:
            raise Inconsistent(Problem("wmean_needs_weight_by", indicator=self.code))
        if self.weight_by and self.aggregation is not TimeAggregation.WMEAN:
            raise Inconsistent(Problem("weight_by_only_for_wmean", indicator=self.code))
        if self.weight_by == self.code:
            raise Inconsistent(Problem("weighted_by_itself", indicator=self.code))
        if self.transform is Transform.LOG and self.goalposts is not None and self.goalposts[0] <= 0:
            raise Inconsistent(Problem("log_needs_positive_goalposts", indicator=self.code, min=self.goalposts[0]))
        if self.weights and self.direction is Direction.NONE:
            raise Inconsistent(Problem("weighted_needs_direction", indicator=self.code))
        if problems := mapping_problems(self.code, self.iris, self.sdg):  # IRIS+ / SDG identifiers
            raise Inconsistent(*problems)
        return self

    @property
    def derived(self) -> bool:
        """Computed by Athar from other indicators, never submitted."""
        return self.aggregation is TimeAggregation.RATIO


class Breakdown(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    values: tuple[str, ...]
    aliases: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    #: The values are disjoint and together cover the whole (everyone is F or M, urban or rural):
    #: a count's values over this breakdown add up to at most its total row (a breakdown may be partial).
    complete: bool = False


class SustainabilitySettings(BaseModel):
    """How trends and persistence are read (``[framework.sustainability]``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    #: Trend over the last k periods (Theil–Sen slope).
    trend_periods: Annotated[int, Field(ge=2)] = 5
    #: Fewer periods than this → no trend (status insufficient_data).
    min_trend_periods: Annotated[int, Field(ge=2)] = 3
    #: |slope| up to this many score points per period counts as stable.
    stable_band: Annotated[float, Field(ge=0)] = 1.0
    #: Score (0–100) a principle must hold to count as a period "at level".
    persistence_threshold: Annotated[float, Field(ge=0, le=100)] = 50.0
    #: Consecutive periods at level, ending with the latest one, for "sustained".
    sustained_periods: Annotated[int, Field(ge=1)] = 3

    @model_validator(mode="after")
    def _periods(self) -> SustainabilitySettings:
        if self.min_trend_periods > self.trend_periods:
            raise Inconsistent(Problem("trend_periods", minimum=self.min_trend_periods, periods=self.trend_periods))
        return self


class QualitySettings(BaseModel):
    """Grade thresholds for data quality (``[framework.quality]``); A is best, D worst."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    #: Minimum share of required indicators reported for A, B, C.
    completeness: tuple[float, float, float] = (0.9, 0.75, 0.5)
    #: Maximum median days from period end to submission for A, B, C.
    timeliness_days: tuple[float, float, float] = (90.0, 180.0, 365.0)
    #: Maximum share of values flagged as inconsistent for A, B, C.
    consistency: tuple[float, float, float] = (0.0, 0.1, 0.25)
    #: Minimum share of values citing a source for A, B, C.
    evidence: tuple[float, float, float] = (0.9, 0.6, 0.3)
    #: Robust z-score (MAD) beyond which a value is flagged for review (never dropped).
    outlier_z: Annotated[float, Field(gt=0)] = 3.5
    #: Periods of the organisation's own history needed before a value can be flagged.
    min_history: Annotated[int, Field(ge=3)] = 4

    @model_validator(mode="after")
    def _ordered(self) -> QualitySettings:
        for name, higher_is_better in (("completeness", True), ("timeliness_days", False),
                                        ("consistency", False), ("evidence", True)):
            a, b, c = getattr(self, name)
            if (higher_is_better and not a >= b >= c) or (not higher_is_better and not a <= b <= c):
                raise Inconsistent(Problem("quality_order", name=name))
        return self


class RobustnessSettings(BaseModel):
    """The Monte Carlo over subjective choices (``[framework.robustness]``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    draws: Annotated[int, Field(ge=0)] = 1000
    seed: int = 20240704
    #: Dirichlet concentration: larger keeps drawn weights closer to the framework's.
    concentration: Annotated[float, Field(gt=0)] = 50.0
    normalisations: tuple[Normalisation, ...] = (
        Normalisation.GOALPOSTS, Normalisation.MINMAX, Normalisation.ZSCORE, Normalisation.RANK,
    )
    aggregations: tuple[Aggregation, ...] = (Aggregation.ARITHMETIC, Aggregation.GEOMETRIC)

    @model_validator(mode="after")
    def _sets(self) -> RobustnessSettings:
        if not self.normalisations or not self.aggregations:
            raise Inconsistent(Problem("robustness_empty"))
        if Normalisation.TARGET in self.normalisations:
            raise Inconsistent(Problem("robustness_target"))
        return self


class Roles(BaseModel):
    """Indicators the pages rely on by role, so no page hard-codes an indicator code."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    #: The headline count of people reached (the overview's beneficiaries figure).
    beneficiaries: str | None = None
    #: Indicators that follow people after the activity (the sustainability page's follow-up cards).
    follow_up: tuple[str, ...] = ()


class FrameworkMeta(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    name: Names
    principle_aggregation: Aggregation = Aggregation.ARITHMETIC
    composite_aggregation: Aggregation = Aggregation.GEOMETRIC
    coverage_threshold: Annotated[float, Field(ge=0, le=1)] = 0.5
    #: Share of the principles' weight (times their coverage) the composite needs; None = coverage_threshold.
    composite_coverage_threshold: Annotated[float, Field(ge=0, le=1)] | None = None
    #: Geometric means raise scores below this (0–1) to it, so one zero does not zero the whole mean.
    geometric_floor: Annotated[float, Field(ge=0, lt=1)] = 0.0
    sustainability: SustainabilitySettings = Field(default_factory=SustainabilitySettings)
    quality: QualitySettings = Field(default_factory=QualitySettings)
    robustness: RobustnessSettings = Field(default_factory=RobustnessSettings)
    roles: Roles = Field(default_factory=Roles)

    @property
    def composite_threshold(self) -> float:
        if self.composite_coverage_threshold is None:
            return self.coverage_threshold
        return self.composite_coverage_threshold


class Framework(BaseModel):
    """A whole framework version. Immutable; edits produce a new version with a new hash."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    meta: FrameworkMeta
    principles: tuple[Principle, ...]
    indicators: tuple[Indicator, ...]
    units: tuple[Unit, ...]
    breakdowns: dict[Literal["sex", "age_band", "disability", "area", "region"], Breakdown] = Field(
        default_factory=dict
    )
    #: Who is expected to report what (``framework.expectations``); empty = everyone, everything.
    expectations: tuple[Expectation, ...] = ()

    @model_validator(mode="after")
    def _cross_references(self) -> Framework:
        problems: list[Problem] = []
        for kind, items in (("principle", self.principles), ("indicator", self.indicators), ("unit", self.units)):
            seen: set[str] = set()
            for item in items:
                if item.code.casefold() in seen:
                    problems.append(Problem(f"{kind}_twice", item=item.code))
                seen.add(item.code.casefold())
        principles = {p.code for p in self.principles}
        units = {u.code for u in self.units}
        unit_kinds = {u.code: u.kind for u in self.units}
        indicators = {i.code for i in self.indicators}
        if not self.principles:
            problems.append(Problem("no_principle"))
        for ind in self.indicators:
            if ind.unit not in units:
                problems.append(Problem("unknown_unit", indicator=ind.code, unit=ind.unit))
            for principle in ind.weights:
                if principle not in principles:
                    problems.append(Problem("unknown_principle", indicator=ind.code, principle=principle))
            if ind.counting is not None and unit_kinds.get(ind.unit) in (UnitKind.PERCENT, UnitKind.BOOLEAN):
                problems.append(Problem("counting_needs_amount", indicator=ind.code, unit=ind.unit))
            for ref_name in ("weight_by", "numerator", "denominator"):
                ref = getattr(ind, ref_name)
                if ref is not None and ref not in indicators:
                    problems.append(Problem("unknown_reference", indicator=ind.code, field=ref_name, reference=ref))
        by_code = {i.code: i for i in self.indicators}
        for ind in self.indicators:
            weight = by_code.get(ind.weight_by) if ind.weight_by else None
            if weight is not None and weight.derived:
                problems.append(Problem("weight_by_derived", indicator=ind.code, reference=weight.code))
        problems += _derivation_cycles(self.indicators)
        problems += _part_of_problems(self.indicators, {u.code: u for u in self.units})
        roles = self.meta.roles
        for role, code in [("beneficiaries", roles.beneficiaries), *(("follow_up", c) for c in roles.follow_up)]:
            if code is not None and code not in indicators:
                problems.append(Problem("unknown_role", role=role, reference=code))
        owner: dict[str, str] = {}
        for unit in self.units:
            for alias in unit.folded_aliases():
                if alias in owner and owner[alias] != unit.code:
                    problems.append(Problem("alias_twice", alias=alias, first=owner[alias], second=unit.code))
                owner[alias] = unit.code
        for name, breakdown in self.breakdowns.items():
            for code in breakdown.aliases:
                if code not in breakdown.values:
                    problems.append(Problem("unknown_breakdown_value", breakdown=name, value=code))
        for principle in principles:
            if not any(principle in ind.weights for ind in self.indicators):
                problems.append(Problem("principle_without_indicator", principle=principle))
        if problems:
            raise Inconsistent(*problems)
        return self

    @model_validator(mode="after")
    def _expected_indicators_known(self) -> Framework:
        problems = unknown_indicators(self.expectations, {i.code for i in self.indicators})
        if problems:
            raise Inconsistent(*problems)
        return self  # after the cross-references: their problems come first

    # -- lookups -------------------------------------------------------------------------
    @cached_property
    def unit_by_code(self) -> dict[str, Unit]:
        return {u.code: u for u in self.units}

    @cached_property
    def indicator_by_code(self) -> dict[str, Indicator]:
        return {i.code: i for i in self.indicators}

    @cached_property
    def principle_by_code(self) -> dict[str, Principle]:
        return {p.code: p for p in self.principles}

    def aggregation_of(self, principle_code: str) -> Aggregation:
        """A principle's own aggregation rule, else the framework's default."""
        own = self.principle_by_code[principle_code].aggregation
        return own if own is not None else self.meta.principle_aggregation

    @cached_property
    def scored_indicators(self) -> tuple[Indicator, ...]:
        """Indicators weighted in at least one principle (the ones normalised and scored)."""
        return tuple(i for i in self.indicators if i.weights)

    @cached_property
    def derived_order(self) -> tuple[Indicator, ...]:
        """Derived indicators in an order where each comes after the derived ones it uses."""
        done: set[str] = set()
        order: list[Indicator] = []
        pending = [i for i in self.indicators if i.derived]
        while pending:
            ready = [i for i in pending if all(
                r in done or not self.indicator_by_code[r].derived for r in (i.numerator, i.denominator))]
            if not ready:  # only reachable on a cycle, which validation already rejects
                break
            order += ready
            done |= {i.code for i in ready}
            pending = [i for i in pending if i.code not in done]
        return tuple(order)

    @cached_property
    def required_indicators(self) -> tuple[str, ...]:
        """Submitted indicators a complete report has: scored ones and the inputs they need."""
        needed: set[str] = set()
        stack = [i.code for i in self.scored_indicators]
        while stack:
            ind = self.indicator_by_code[stack.pop()]
            if ind.code in needed:
                continue
            needed.add(ind.code)
            stack += [r for r in (ind.numerator, ind.denominator) if r]
        return tuple(sorted(c for c in needed if not self.indicator_by_code[c].derived))

    @cached_property
    def submitted_inputs(self) -> dict[str, tuple[str, ...]]:
        """Indicator code → the required (submitted) indicators reporting it takes: itself, or a
        derived indicator's inputs."""
        required = set(self.required_indicators)
        inputs: dict[str, tuple[str, ...]] = {}
        for ind in self.indicators:
            stack, found = [ind.code], set()
            while stack:
                current = self.indicator_by_code[stack.pop()]
                if current.derived:
                    stack += [r for r in (current.numerator, current.denominator) if r]
                elif current.code in required:
                    found.add(current.code)
            inputs[ind.code] = tuple(sorted(found))
        return inputs

    def unit_of(self, indicator_code: str) -> Unit:
        return self.unit_by_code[self.indicator_by_code[indicator_code].unit]

    def value_range(self, indicator: Indicator) -> tuple[float | None, float | None]:
        """The allowed range: the indicator's own bounds, else its unit's."""
        unit = self.unit_by_code[indicator.unit]
        low = indicator.min if indicator.min is not None else unit.min
        high = indicator.max if indicator.max is not None else unit.max
        return low, high

    @cached_property
    def part_relations(self) -> tuple[tuple[str, str], ...]:
        """Every (part, whole) pair the ``part_of`` declarations imply, through chains too
        (J ⊆ R03 ⊆ R01 gives J ⊆ R01): no part may exceed any of its wholes."""
        pairs = []
        for ind in self.indicators:
            whole, seen = ind.part_of, {ind.code}
            while whole is not None and whole in self.indicator_by_code and whole not in seen:
                pairs.append((ind.code, whole))
                seen.add(whole)
                whole = self.indicator_by_code[whole].part_of
        return tuple(pairs)

    @cached_property
    def complete_breakdowns(self) -> tuple[str, ...]:
        """Breakdowns whose values are disjoint and cover the whole (their values add up to at most the total)."""
        return tuple(name for name, breakdown in self.breakdowns.items() if breakdown.complete)

    @cached_property
    def indicator_spellings(self) -> tuple[dict[str, str], dict[str, str]]:
        """(folded code → code, folded full name in fr/ar/en → code): how people name an indicator."""
        codes = {fold(i.code): i.code for i in self.indicators}
        names = {fold(name): i.code for i in self.indicators for name in (i.name.fr, i.name.ar, i.name.en)}
        return codes, names

    def unit_alias_table(self) -> dict[str, str]:
        """Folded alias → unit code (built once: header and label checks ask for it per text)."""
        return self._unit_aliases

    @cached_property
    def _unit_aliases(self) -> dict[str, str]:
        return {alias: u.code for u in self.units for alias in u.folded_aliases()}

    def breakdown_alias_table(self, name: str) -> dict[str, str]:
        """Folded alias (and the codes themselves) → stored code, for one breakdown column."""
        return self._breakdown_aliases.get(name, {})

    @cached_property
    def _breakdown_aliases(self) -> dict[str, dict[str, str]]:
        tables = {}
        for name, breakdown in self.breakdowns.items():
            table = {fold(v): v for v in breakdown.values}
            for code, aliases in breakdown.aliases.items():
                table.update({fold(a): code for a in aliases})
            tables[name] = table
        return tables

    @cached_property
    def content_hash(self) -> str:
        """Identifies a framework version by its content (order-insensitive JSON, SHA-256)."""
        data = self.model_dump(mode="json")
        if self.meta.roles == Roles():  # added later: a version without roles keeps its hash
            del data["meta"]["roles"]
        for indicator in data["indicators"]:  # added later too: undeclared counting rules leave no trace
            if indicator.get("counting") is None:
                indicator.pop("counting", None)
        for indicator in data["indicators"]:  # so does a version declaring no part-of relation
            if indicator.get("part_of") is None:
                indicator.pop("part_of", None)
        for breakdown in data["breakdowns"].values():  # or no complete breakdown
            if not breakdown.get("complete"):
                breakdown.pop("complete", None)
        if not self.expectations:  # added later: a version without expectations keeps its hash
            del data["expectations"]
        payload = json.dumps(data, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _derivation_cycles(indicators: tuple[Indicator, ...]) -> list[Problem]:
    edges = {i.code: [r for r in (i.numerator, i.denominator) if r] for i in indicators}
    problems: list[Problem] = []
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done

    def visit(code: str, path: list[str]) -> None:
        if state.get(code) == 2 or code not in edges:
            return
        if state.get(code) == 1:
            cycle = path[path.index(code) :] + [code]
            problems.append(Problem("cycle", cycle=" → ".join(cycle)))
            return
        state[code] = 1
        for ref in edges[code]:
            visit(ref, [*path, code])
        state[code] = 2

    for code in edges:
        visit(code, [])
    return problems


#: Unit kinds whose values add up: a share or a yes/no is never a part of anything.
ADDITIVE_KINDS = frozenset({UnitKind.INTEGER, UnitKind.DECIMAL})


def _part_of_problems(indicators: tuple[Indicator, ...], units: dict[str, Unit]) -> list[Problem]:
    """A ``part_of`` names a known, submitted indicator of the same unit, in a unit that adds up, without a cycle."""
    by_code = {i.code: i for i in indicators}
    problems: list[Problem] = []
    for ind in (i for i in indicators if i.part_of is not None):
        whole = by_code.get(ind.part_of)
        if whole is None:
            problems.append(Problem("unknown_reference", indicator=ind.code, field="part_of", reference=ind.part_of))
        elif ind.derived or whole.derived:
            problems.append(Problem("part_of_derived", indicator=ind.code, whole=whole.code))
        elif ind.unit != whole.unit:
            problems.append(Problem("part_of_unit", indicator=ind.code, unit=ind.unit, whole=whole.code,
                                    whole_unit=whole.unit))
        elif ind.unit in units and units[ind.unit].kind not in ADDITIVE_KINDS:
            problems.append(Problem("part_of_kind", indicator=ind.code, unit=ind.unit))
    for ind in indicators:
        path = [ind.code]
        while (step := by_code.get(path[-1])) is not None and step.part_of is not None and step.part_of in by_code:
            if step.part_of in path:
                if step.part_of == ind.code:  # reported once, from the cycle's first indicator in the file
                    cycle = path[path.index(step.part_of):] + [step.part_of]
                    if min(cycle[:-1], key=[i.code for i in indicators].index) == ind.code:
                        problems.append(Problem("part_of_cycle", cycle=" ⊆ ".join(cycle)))
                break
            path.append(step.part_of)
    return problems


class FrameworkError(ValueError):
    """The framework files are missing, unreadable or inconsistent; ``problems`` lists them all."""

    def __init__(self, path: Path, problems: list[Problem]):
        self.path = path
        self.problems = problems
        super().__init__(f"invalid framework in {path}: " + "; ".join(problems))

    def texts(self, lang: str) -> list[str]:
        """Every problem in ``lang``."""
        return [p.text(lang) for p in self.problems]

    def report(self, lang: str) -> str:
        """What a command line prints: the translated heading, then one problem a line."""
        return "\n".join([t("framework.invalid", lang, path=self.path), *(f"  - {p}" for p in self.texts(lang))])


def _read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise FrameworkError(path, [Problem("toml", file=path.name, error=exc)]) from exc


def framework_from_dict(data: dict, source: Path | str = "<memory>") -> Framework:
    try:
        return Framework.model_validate(data)
    except ValidationError as exc:
        problems = [problem for err in exc.errors() for problem in from_pydantic(err)]
        raise FrameworkError(Path(source), problems) from None


def load_framework(directory: Path | str = DEFAULT_FRAMEWORK_DIR) -> Framework:
    """Load ``framework.toml``, ``indicators.toml``, ``units.toml`` and ``breakdowns.toml``."""
    directory = Path(directory)
    if not (directory / "framework.toml").is_file():
        raise FrameworkError(directory, [Problem("no_main_file")])
    main = _read_toml(directory / "framework.toml")
    data = {
        "meta": main.get("framework", {}),
        "principles": main.get("principle", []),
        "indicators": _read_toml(directory / "indicators.toml").get("indicator", []),
        "units": _read_toml(directory / "units.toml").get("unit", []),
        "breakdowns": _read_toml(directory / "breakdowns.toml"),
    }
    expectations = _read_toml(directory / "expectations.toml").get("expectation")
    if expectations is not None:
        data["expectations"] = expectations
    return framework_from_dict(data, directory)
