"""Organisations: the organisation cells, matched to the registry case-insensitively.

Emits ``empty_required``, ``unknown_org`` (with the closest registered code) and ``other_org``
(a member uploading for another organisation: registered or not, it is "not yours", so a member
learns nothing about the registry). Once every rule has read them, codes are stored with their
registered spelling.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from framework.vocabulary import strip_invisible
from ingest.issues import IssueCode
from ingest.rules.codes import Codes, RowCheck, as_written, fact_at, id_counter
from ingest.rules.duplicates import KeyPart
from ingest.suggest import closest, spellings


@dataclass(frozen=True)
class OrganisationFacts:
    """Per distinct organisation text: its registered spelling (None: not registered), whether it
    is another organisation than the uploading member's, and its id in the duplicate key."""

    codes: Codes
    canonical: list[str | None]
    other: list[bool]
    ids: list[int | None]
    other_rows: bool  # some row is another organisation's

    def key_part(self) -> KeyPart:
        return KeyPart(self.codes, self.ids)


def check_organisations(check: RowCheck, member_org: str | None, known: dict[str, str] | None) -> OrganisationFacts:
    """The organisation rules. ``known``: the registered codes by their upper-case form (None: the
    registry is not checked)."""
    org_col = check.header("org_code")
    member = member_org.upper() if member_org else None
    org_id = id_counter()
    orgs = check.codes["org_code"]
    org_canonical, org_other, org_ids = [], [], []
    for text in orgs.texts:
        bare = strip_invisible(text)
        key = bare.upper()
        other = member is not None and key != member
        # A member learns nothing about the registry: another code is "not yours", registered or not.
        canonical = bare if known is None or other else known.get(key)
        org_canonical.append(canonical)
        org_other.append(other)
        org_ids.append(None if other else org_id(canonical))
    check.add_missing("org_code", IssueCode.EMPTY_REQUIRED, org_col)
    if known is not None and (unknown := orgs.where(lambda i: org_canonical[i] is None and not org_other[i])):
        guesses = closest([orgs.texts[i] for i in unknown], spellings((code, code) for code in known.values()))
        check.add(orgs.rows_in(unknown), IssueCode.UNKNOWN_ORG, org_col, pl.col("org_code"),
                  fact_at(orgs, unknown, guesses), known=orgs.exact)
    other_rows = False
    if member and (others := orgs.where(lambda i: org_canonical[i] is not None and org_other[i])):
        other_rows = check.add(orgs.rows_in(others), IssueCode.OTHER_ORG, org_col, pl.col("org_code"), member_org,
                               known=orgs.exact)
    return OrganisationFacts(orgs, org_canonical, org_other, org_ids, other_rows)


def store_registered_spelling(check: RowCheck, orgs: OrganisationFacts) -> list[str | None]:
    """Replace organisation codes by their registered spelling (nothing to replace when every code
    is written as registered, the usual case). Returns the spelling of each distinct text."""
    spelling = [None if other else c for c, other in zip(orgs.canonical, orgs.other, strict=True)]
    table = check.table
    check.table = table.with_columns(
        org_code=pl.col("org_code") if as_written(table, orgs.codes, spelling, orgs.other_rows)
        else orgs.codes.fact(spelling, pl.String()),
    )
    return spelling


def organisations_of(check: RowCheck, orgs: OrganisationFacts, spelling: list[str | None]) -> tuple[str, ...]:
    """The organisations of the file, as stored (from the few codes, not the rows' texts)."""
    present = check.table.get_column(orgs.codes.code).unique().to_list()  # (a few codes: nulls dropped here)
    return tuple(sorted({spelling[i] for i in present if i is not None and spelling[i] is not None}))
