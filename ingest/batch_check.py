"""Many small files of one layout checked as one table, each file given the check it gets alone.

A small file's check is a few dozen Polars queries whatever its rows (the per-file cost, not the
rows): checked as one table, files of the same header pay them once. Each file is still read alone
(``ingest.read``), and only a file whose check is certain to come out the same is taken from the
table's; any other goes the usual way (``ingest.pipeline.check``), so every report, row and pair
asked about is what checking the file alone gives.

The table's check judges some things over all its rows, where the file's own would judge its rows
alone. Each such judgement is made safe here, not changed:

* the files taken are those of one header and delimiter (a text file read without a single
  problem, no narrative row, a long layout mapped without any remark, at least one row, every value
  cell filled): the header and the layout are the file's own;
* their value cells are all plain numbers without a 1.250-like point, or yes/no words: the plain
  reading of numbers (``ingest.normalise.plain_numbers``) reads each file as it reads the table, so
  no file's numbers depend on another's evidence; and no template row goes unread (none is empty);
* the table's check gives no issue at all: a file with an issue on one of its lines is left out and
  the rest checked again (a rule judging the whole table can only find more than per file: a
  duplicate or a part above its whole across two files is an issue, which sends them their own way);
  an issue of no line sends every file its own way;
* no (organisation, period) pair is in two files: the rules that compare rows (duplicates, parts
  within totals, overlaps) group them by organisation and period, so each file's groups are its own;
* a file whose percentages are all at most 1 goes its own way (alone, they read as fractions: a
  warning the table's larger percentages would not give).

What is left is the same for each file either way: its rows (split by line), no issue, no skipped row,
its organisations, and the pairs its check asks stored values for. Used by the workers
(``ingest.check_pool``), whose checks are told nothing is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import polars as pl

from framework.model import Framework, UnitKind
from ingest import narratives as narrative_input
from ingest import read as reading
from ingest.collect import FEW_ROWS
from ingest.issues import empty_issues
from ingest.normalise import AMBIGUOUS_DOT
from ingest.pipeline import CheckedFile, FileResult, sha256_hex
from ingest.read import Limits, RawTable
from ingest.rules.layout import map_headers
from ingest.rules.parts import indicators_compared
from ingest.rules.values import YES_NO_WORDS
from ingest.validate import Validation, ValidationContext, validate_table

#: Lines of the i-th file of a table are its own plus ``i * LINE_OFFSET`` (no file has this many rows).
LINE_OFFSET = 1 << 32
#: Rows of a table at most: the check's own threshold for a small table, so the table's check takes
#: the steps each file's does (``ingest.collect.FEW_ROWS``).
TABLE_ROWS = FEW_ROWS
#: Times at most a table is checked again once its files with an issue are left out.
RECHECKS = 3
#: A value cell read the same in any file: a plain number without a 1.250-like point, or a yes/no word.
_PLAIN = r"^-?[0-9]+(\.[0-9]+)?$"


@dataclass(frozen=True)
class ToCheck:
    """One file of a batch: its bytes, name, hash and limits."""

    data: bytes
    name: str
    digest: str
    limits: Limits


@dataclass(frozen=True)
class TableChecked:
    """A file whose check was taken from its table's, and the pairs its own check asks stored values for."""

    checked: CheckedFile
    asked: frozenset[tuple[str, str]]


@dataclass(frozen=True)
class _Member:
    index: int  # in the batch
    file: ToCheck
    raw: RawTable


def read_all(files: list[ToCheck]) -> list[RawTable]:
    """Each file read alone, as ``ingest.pipeline.check`` reads it."""
    return [reading.read_table(f.data, f.name, max_bytes=f.limits.max_bytes, max_rows=f.limits.max_rows)
            for f in files]


def check_tables(files: list[ToCheck], raws: list[RawTable], *, framework: Framework, known_orgs: frozenset[str],
                 member_org: str | None, today: date | None,
                 nothing_stored: Callable[[pl.DataFrame, tuple[str, ...]], pl.DataFrame]) -> list[TableChecked | None]:
    """Per file, its check taken from its table's, or None where the file must be checked alone."""
    taken: list[TableChecked | None] = [None] * len(files)
    groups: dict[tuple, list[_Member]] = {}
    for i, (file, raw) in enumerate(zip(files, raws, strict=True)):
        if _may_join(raw):
            groups.setdefault((tuple(raw.headers), raw.delimiter), []).append(_Member(i, file, raw))
    for (headers, delimiter), members in groups.items():
        ctx = ValidationContext(framework=framework, known_orgs=known_orgs, member_org=member_org, today=today,
                                delimiter=delimiter, stored_values=nothing_stored)
        layout, header_issues = map_headers(list(headers), ctx)
        if header_issues.height or layout.wide or "value" not in layout.columns:
            continue
        value_column = f"c{layout.columns['value']}"
        for table in _tables(members):
            for member, checked in _check_table(table, list(headers), value_column, ctx):
                taken[member.index] = checked
    return taken


def _may_join(raw: RawTable) -> bool:
    """Whether a read file may be checked in a table: a text file read without a problem, with rows and
    no narrative row."""
    if raw.delimiter is None or raw.issues.height or not raw.headers or not 1 <= raw.frame.height <= TABLE_ROWS:
        return False
    return narrative_input.split_rows(raw)[0] is raw


def _tables(members: list[_Member]) -> list[list[_Member]]:
    """The members cut into tables of at most :data:`TABLE_ROWS` rows (in order)."""
    tables: list[list[_Member]] = [[]]
    rows = 0
    for member in members:
        if rows + member.raw.frame.height > TABLE_ROWS:
            tables.append([])
            rows = 0
        tables[-1].append(member)
        rows += member.raw.frame.height
    return [t for t in tables if len(t) >= 2]


def _plain_values(members: list[_Member], value_column: str) -> list[_Member]:
    """The members whose value cells are all filled and read the same in any file (:data:`_PLAIN`)."""
    frame = pl.concat([m.raw.frame.select(pl.col(value_column).alias("v")).with_columns(f=pl.lit(k, pl.Int32))
                       for k, m in enumerate(members)])
    value = pl.col("v")
    plain = (value.str.contains(_PLAIN) & ~value.str.contains(AMBIGUOUS_DOT)) | value.str.strip_chars(
    ).str.to_lowercase().is_in(YES_NO_WORDS)
    ok = frame.group_by("f").agg(plain.fill_null(False).all()).filter(pl.col("v"))["f"].to_list()
    return [members[k] for k in sorted(ok)]


def _check_table(members: list[_Member], headers: list[str], value_column: str, ctx: ValidationContext
                 ) -> list[tuple[_Member, TableChecked]]:
    """The members checked as one table, until none has an issue; those taken, with their checks."""
    for _ in range(RECHECKS + 1):
        members = _plain_values(members, value_column) if len(members) >= 2 else []
        if len(members) < 2:
            return []
        frame = pl.concat([m.raw.frame.with_columns(pl.col("__line") + k * LINE_OFFSET)
                           for k, m in enumerate(members)], rechunk=True)
        validation = validate_table(frame, headers, members[0].raw.issues, ctx)
        if not validation.issues.height:
            return _split(members, validation, ctx)
        lines = validation.issues.get_column("line")
        if lines.null_count():
            return []
        with_issue = set((lines // LINE_OFFSET).unique().to_list())
        members = [m for k, m in enumerate(members) if k not in with_issue]
    return []


def _split(members: list[_Member], validation: Validation, ctx: ValidationContext
           ) -> list[tuple[_Member, TableChecked]]:
    """Each member's rows and check out of its table's clean one (None for all when files share a pair)."""
    if validation.skipped_rows:
        return []
    rows = validation.rows.with_columns(__file=(pl.col("line") // LINE_OFFSET).cast(pl.Int32),
                                        line=pl.col("line") % LINE_OFFSET)
    parts = rows.partition_by("__file", as_dict=True, include_key=False)
    fw = ctx.framework
    percent = [i.code for i in fw.indicators if fw.unit_of(i.code).kind == UnitKind.PERCENT]
    facts = rows.group_by("__file").agg(
        pairs=pl.struct("org_code", "period").n_unique(),
        fractions=(pl.col("value").filter(pl.col("indicator_code").is_in(percent)).max() <= 1).fill_null(False),
    )
    if facts["pairs"].sum() != rows.select(pl.struct("org_code", "period").n_unique()).item():
        return []  # some pair is in two files
    fractions = set(facts.filter(pl.col("fractions"))["__file"].to_list())
    compared = bool(indicators_compared(fw))
    taken = []
    for k, member in enumerate(members):
        own = parts.get((k,))
        if own is None or k in fractions:
            continue
        taken.append((member, _checked(member, own, ctx, compared)))
    return taken


def _checked(member: _Member, rows: pl.DataFrame, ctx: ValidationContext, compared: bool) -> TableChecked:
    """A member's check, as ``ingest.pipeline.check`` makes it for a file without an issue."""
    orgs = rows.get_column("org_code")
    periods = rows.get_column("period")
    validation = Validation(rows, empty_issues(), 0, tuple(sorted(set(orgs.to_list()))))
    raw, file = member.raw, member.file
    result = FileResult(file_name=file.name, status="valid", rows=rows.height, skipped_rows=0, submission_id=None,
                        superseded=0, issues=validation.issues, content_sha256=file.digest or sha256_hex(file.data),
                        file_format=raw.file_format, encoding=raw.encoding, delimiter=raw.delimiter, sheet=raw.sheet)
    checked = CheckedFile(file.data, file.name, ctx.member_org, ctx.framework.content_hash, raw, validation, result,
                          narrative_input.empty_clean())
    asked = frozenset(zip(orgs.to_list(), periods.to_list(), strict=True)) if compared else frozenset()
    return TableChecked(checked, asked)
