"""Which network figure stands for an indicator across organisations (the Indicator page's series).

Counts of people are never added across organisations: the same person may be served by
several members, so the network is described by the organisations' median and quartiles (the
"reach range" gives the bounds of a sum). Other figures follow the indicator's aggregation: a
flow or a stock of things adds up (budgets, hours, staff), a mean stays a mean, a weighted mean
is weighted by its ``weight_by`` indicator over the network, a ratio is Σ numerator / Σ denominator.
"""

from __future__ import annotations

from framework.model import Indicator, TimeAggregation, Unit, UnitKind

#: Units counting people (or households of people): a sum over organisations would count twice.
PEOPLE_UNITS = frozenset({"persons", "households", "pupils"})

_BY_AGGREGATION = {
    TimeAggregation.SUM: "total",
    TimeAggregation.LAST: "total",
    TimeAggregation.MEAN: "mean",
    TimeAggregation.MAX: "median",  # the largest organisation's value would name it
    TimeAggregation.WMEAN: "weighted",
    TimeAggregation.RATIO: "ratio",
}


def counts_people(indicator: Indicator) -> bool:
    return indicator.unit in PEOPLE_UNITS


def network_statistic(indicator: Indicator, unit: Unit) -> str:
    """The column of ``store.reads.indicator.network_series`` that describes the network."""
    if counts_people(indicator):
        return "median"
    if unit.kind is UnitKind.BOOLEAN:
        return "mean"  # the share of organisations answering yes, never a median of 0 and 1
    if unit.kind is UnitKind.PERCENT and indicator.aggregation in (TimeAggregation.SUM, TimeAggregation.LAST):
        return "median"  # percentages do not add up
    return _BY_AGGREGATION[indicator.aggregation]


def breakdowns_add_up(unit: Unit) -> bool:
    """Breakdowns are shown for counts only: cells of a rate do not add up to a total."""
    return unit.kind is UnitKind.INTEGER
