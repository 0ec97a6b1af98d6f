"""Indicators: which indicator a text names, and the indicator cells of the rows.

A text names an indicator by its code (``R01``), its code followed by its label or unit
(``R01 - Bénéficiaires…``, ``R01 (personnes)``) or its full name in French, Arabic or English —
never by a code followed by a group of people (``R01 Femmes``) or another indicator's name. The
same reading serves wide-layout headers (``ingest.rules.layout``) and long-layout cells.

Emits ``empty_required``, ``unknown_indicator`` (with the closest submittable indicator) and
``derived_indicator`` (computed by Athar, not submitted). Attaches to every row what the value
rules need to know about its indicator (unit, kind, bounds).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

import polars as pl

from framework.model import Framework, UnitKind, fold
from ingest.columns import header_precision, without_precision
from ingest.issues import IssueCode
from ingest.rules.codes import Codes, RowCheck, as_written, fact_at
from ingest.rules.duplicates import KeyPart
from ingest.suggest import closest, spellings


def indicator_named_by(text: str, fw: Framework) -> str | None:
    """The indicator a text names, as hand-made sheets write it (a long-layout cell or a wide-layout
    header): the indicator's code (``R01``), the code followed by its label (``R01 - Bénéficiaires…``,
    ``R01 (personnes)``, ``R01: …``), or its full name in French, Arabic or English, either with a
    precision in brackets.

    What follows a code must be that indicator's label or unit: ``R01 Femmes``, ``R01-F``,
    ``R01.1`` or ``R01 - <another indicator's name>`` name no indicator (the part or the other
    indicator may be what was meant: storing the figure as R01's total would be a silent misread).
    A precision that is a breakdown value (``R01 (femmes)``) or another code says the same."""
    codes, names = fw.indicator_spellings
    folded = fold(text)
    if folded in codes:
        return codes[folded]
    if (bracketed := re.match(r"^[\[(]([^\])]+)[\])]\s*(.+)$", text.strip())) and fold(bracketed.group(1)) in codes:
        text = f"{bracketed.group(1)} {bracketed.group(2)}"  # "[R01] Bénéficiaires…" as "R01 Bénéficiaires…"
        folded = fold(text)
    precision = header_precision(text)
    bare = without_precision(folded) if precision is not None else folded
    first = re.match(r"^([^\W_]+)(?=[\s:(\[/.,;-]|$)", bare)
    if first and first.group(1) in codes:
        code = codes[first.group(1)]
        label = bare[first.end():].strip(" :([/.,;-)]")
        if label and not _label_fits(label, code, fw):
            return None
    else:
        code = names.get(bare) or names.get(folded)
    if code is None or (precision and not _precision_fits(precision, code, fw)):
        return None
    return code


def _label_fits(label: str, code: str, fw: Framework) -> bool:
    """Whether the text after a code can be that indicator's label: its unit, its name (or close to
    it), or any words people use for it (``Nombre de bénéficiaires``, ``AGR créées``, ``PSH``) — but
    not another indicator's name (``R01 - Bénéficiaires en situation de handicap``), a sub-indicator
    (``R01.1``, ``R01 2``) or a group of people its own name does not mention (``R01 Femmes``,
    ``R01-F``, ``R01 rural``; ``R02 % femmes`` is R02's own subject)."""
    unit = fw.unit_alias_table().get(label)
    if unit is not None:
        return unit == fw.indicator_by_code[code].unit
    best, score = _closest_name(label, fw)
    if code in best and score >= 0.6:
        return True
    if _another_name(label, code, fw):
        return False
    return not (label[0].isdigit() or _names_a_group(label, code, fw))


def _another_name(label: str, code: str, fw: Framework) -> bool:
    """``label`` is, letter for letter or nearly (≥ 0.9), the name of another indicator."""
    _, names = fw.indicator_spellings
    return any(other != code and difflib.SequenceMatcher(None, label, name).ratio() >= 0.9
               for name, other in names.items())


#: Breakdowns whose values name a group of people an indicator's figure could be narrowed to.
_GROUPS = ("sex", "area", "age_band")


def _names_a_group(text: str, code: str, fw: Framework) -> bool:
    """``text`` narrows indicator ``code`` to a group: it is a sex, area or age group, or holds a
    word naming one sex or one area that the indicator's own names do not (``femmes`` narrows R01,
    not R02 « Part de femmes et filles »; ``hommes et femmes`` is everyone)."""
    if any(text in fw.breakdown_alias_table(name) for name in _GROUPS):
        return True
    own = " ".join(fold(n) for n in fw.indicator_by_code[code].name.model_dump().values())
    words = [w for w in re.split(r"[\s/,;:()\[\]%-]+", text) if len(w) >= 3 and w not in own]
    for name in ("sex", "area"):
        aliases = fw.breakdown_alias_table(name)
        named = {aliases[w] for w in words if w in aliases}
        if len(named) == 1:
            return True
    return False


def _precision_fits(precision: str, code: str, fw: Framework) -> bool:
    """A precision in brackets after an indicator may be a unit, its own name or a word on how it
    was counted, but not a group of people (``R01 (femmes)``) or another indicator's code."""
    codes, _ = fw.indicator_spellings
    if precision in codes:
        return codes[precision] == code
    if precision in fw.unit_alias_table():
        return True
    best, score = _closest_name(precision, fw)
    if code in best and score >= 0.6:
        return True
    return not _names_a_group(precision, code, fw)


def _closest_name(label: str, fw: Framework) -> tuple[set[str], float]:
    """The indicators whose name (fr/ar/en) is closest to ``label`` (several on a tie: ``Budget``
    is in two names), and how close (0–1): a name in the label, or the label in a name
    (``Bénéficiaires directs``), counts as close."""
    _, names = fw.indicator_spellings
    best: set[str] = set()
    score = 0.0
    for name, code in names.items():
        if label == name:
            return {code}, 1.0
        ratio = difflib.SequenceMatcher(None, label, name).ratio()
        if len(label) >= 4 and (label in name or name in label):
            ratio = max(ratio, 0.9)
        if ratio > score:
            best, score = {code}, ratio
        elif ratio == score:
            best.add(code)
    return best, score


def indicator_guesses(texts: list[str], fw: Framework) -> list[str | None]:
    """Per text naming no indicator, the submittable indicator it was probably meant to be."""
    return closest(texts, spellings(
        (spelling, i.code) for i in fw.indicators if not i.derived
        for spelling in (i.code, i.name.fr, i.name.ar, i.name.en)))


#: The indicators' facts per framework version (worked out once: every file of a load needs the same).
_FACTS: dict[str, tuple[dict[str, dict], dict[str, pl.DataType]]] = {}


def indicator_facts(fw: Framework) -> tuple[dict[str, dict], dict[str, pl.DataType]]:
    """Per folded indicator code, what the framework says of it (read only: shared by the files checked
    against this version), and the types of those facts."""
    if (known := _FACTS.get(fw.content_hash)) is None:
        known = _indicator_facts(fw)
        _FACTS.clear()
        _FACTS[fw.content_hash] = known
    return known


def _indicator_facts(fw: Framework) -> tuple[dict[str, dict], dict[str, pl.DataType]]:
    facts = {}
    for ind in fw.indicators:
        unit = fw.unit_of(ind.code)
        low, high = fw.value_range(ind)
        facts[fold(ind.code)] = {
            "ind_code": ind.code,
            "ind_id": len(facts),
            "derived": ind.derived,
            "unit_code": ind.unit,
            "kind": unit.kind.value,
            "low": low,
            "high": high,
            "unit_names": f"{unit.name.fr} / {unit.name.ar} / {unit.name.en}",
            "range_text": range_text(low, high),
            "components": ", ".join(r for r in (ind.numerator, ind.denominator) if r),
        }
    schema = {
        "ind_code": pl.String(), "ind_id": pl.Int64(), "derived": pl.Boolean(), "unit_code": pl.String(), "kind": pl.String(),
        "low": pl.Float64(), "high": pl.Float64(), "unit_names": pl.String(), "range_text": pl.String(),
        "components": pl.String(),
    }
    return facts, schema


def or_default(value: float | None, default: float) -> float:
    return default if value is None else value


def range_text(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"{low:g} – {high:g}"
    if low is not None:
        return f"≥ {low:g}"
    if high is not None:
        return f"≤ {high:g}"
    return "—"


@dataclass(frozen=True)
class IndicatorFacts:
    """What the framework says about each distinct indicator text of the file (None: names none)."""

    codes: Codes
    facts: list[dict | None]
    count: int  # how many indicators the framework has
    unit_ids: dict[str, int]  # unit code → small integer

    def fact(self, name: str, dtype: pl.DataType) -> pl.Expr:
        """Per row, the fact ``name`` of its indicator (null for an unknown one)."""
        return self.codes.fact([None if f is None else f[name] for f in self.facts], dtype)

    @property
    def kinds(self) -> list[str | None]:
        return [None if f is None else f["kind"] for f in self.facts]

    def key_part(self) -> KeyPart:
        return KeyPart(self.codes, [None if f is None else f["ind_id"] for f in self.facts], self.count)


def check_indicators(check: RowCheck, fw: Framework) -> IndicatorFacts:
    """The indicator rules; the rows get their indicator's facts (``__low``, ``__unit_id``, …),
    ``unit_code``, and ``indicator_code`` as the framework writes it."""
    facts, _ = indicator_facts(fw)
    indicators = check.codes["indicator_code"]
    # A code as in the framework; else the code followed by a label ("R01 - Bénéficiaires…") or the
    # indicator's full name, as hand-made sheets write them (``indicator_named_by``, as for wide headers).
    ind = [facts.get(fold(text)) or facts.get(fold(indicator_named_by(text, fw) or "")) for text in indicators.texts]
    unit_ids = {code: i for i, code in enumerate(dict.fromkeys(f["unit_code"] for f in facts.values()))}
    found = IndicatorFacts(indicators, ind, len(facts), unit_ids)
    ind_col = check.header("indicator_code")
    check.add_missing("indicator_code", IssueCode.EMPTY_REQUIRED, ind_col)
    if unknown := indicators.where(lambda i: ind[i] is None):
        guesses = indicator_guesses([indicators.texts[i] for i in unknown], fw)
        check.add(indicators.rows_in(unknown), IssueCode.UNKNOWN_INDICATOR, ind_col, pl.col("indicator_code"),
                  fact_at(indicators, unknown, guesses), known=indicators.exact)
    derived_rows = False
    if derived := indicators.where(lambda i: ind[i] is not None and ind[i]["derived"]):
        derived_rows = check.add(indicators.rows_in(derived), IssueCode.DERIVED_INDICATOR, ind_col,
                                 pl.col("indicator_code"), found.fact("components", pl.String()), known=indicators.exact)
    kinds = found.kinds
    ind_codes = [None if f is None or f["derived"] else f["ind_code"] for f in ind]
    table = check.table
    check.table = table.with_columns(
        __ind_known=found.fact("ind_code", pl.String()).is_not_null(),
        __kind_boolean=indicators.fact([k == UnitKind.BOOLEAN.value for k in kinds], pl.Boolean()),
        __kind_whole=indicators.fact([k in (UnitKind.INTEGER.value, UnitKind.BOOLEAN.value) for k in kinds], pl.Boolean()),
        __kind_percent=indicators.fact([k == UnitKind.PERCENT.value for k in kinds], pl.Boolean()),
        # No bound is an infinite one (null only for an unknown indicator, whose values are not checked).
        __low=indicators.fact([None if f is None else or_default(f["low"], float("-inf")) for f in ind], pl.Float64()),
        __high=indicators.fact([None if f is None else or_default(f["high"], float("inf")) for f in ind], pl.Float64()),
        __unit_id=indicators.fact([None if f is None else unit_ids[f["unit_code"]] for f in ind], pl.Int32()),
        unit_code=found.fact("unit_code", pl.String()),
        # Codes written as in the framework (the usual case) are kept as they are, not copied.
        indicator_code=pl.col("indicator_code") if as_written(table, indicators, ind_codes, derived_rows)
        else indicators.fact(ind_codes, pl.String()),
    )
    return found
