"""What each organisation is expected to report: ``[[expectation]]`` rules of the framework.

A rule lists indicators and, optionally, the thematic areas and legal kinds it applies to
(``themes``, ``kinds``: none given = every organisation). An organisation is expected to report
the union of the rules that match it: a rule with themes matches when the organisation works on
one of them, a rule with kinds when its kind is one of them. Data completeness is then measured
against those indicators, not against the whole catalogue (``metrics.quality``), so a health
association is never told school dropout is missing. The steering committee adds or removes
indicators for one organisation on top of the rules (``store.expectations``).

A framework without rules expects the whole catalogue of everyone, as before rules existed.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from framework.problems import Inconsistent, Problem
from framework.vocabulary import KINDS, THEMES


class Expectation(BaseModel):
    """One rule: these indicators, for organisations of these themes and kinds."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    indicators: Annotated[tuple[str, ...], Field(min_length=1)]
    themes: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _vocabulary(self) -> Expectation:
        problems = [Problem("expectation_theme", theme=t, known=", ".join(THEMES)) for t in self.themes
                    if t not in THEMES]
        problems += [Problem("expectation_kind", kind=k, known=", ".join(KINDS)) for k in self.kinds if k not in KINDS]
        if problems:
            raise Inconsistent(*problems)
        return self


def unknown_indicators(expectations: tuple[Expectation, ...], indicators: set[str]) -> list[Problem]:
    """A rule naming an indicator the catalogue does not have."""
    return [
        Problem("expectation_indicator", rule=n + 1, indicator=code)
        for n, rule in enumerate(expectations)
        for code in rule.indicators
        if code not in indicators
    ]


def rule_table(expectations: tuple[Expectation, ...], submitted: dict[str, tuple[str, ...]]) -> list[dict]:
    """The rules as rows (``indicator_code``, ``themes``, ``kinds``), derived indicators replaced by the
    submitted inputs behind them (``submitted``: code → the submitted codes it needs)."""
    return [
        {"indicator_code": code, "themes": list(rule.themes), "kinds": list(rule.kinds)}
        for rule in expectations
        for listed in rule.indicators
        for code in submitted.get(listed, ())
    ]
