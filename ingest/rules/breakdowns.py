"""Breakdowns: the sex, area, age-band (…) cells, read against the framework's allowed values.

"Total femmes", "Ensemble rural" are the total of that group, which is the group's figure;
"Total", "Ensemble", "Tous" alone make the row the total, as an empty cell does.

Emits ``invalid_breakdown`` (with the allowed values). Each breakdown becomes a part of the
duplicate key (``ingest.rules.duplicates``).
"""

from __future__ import annotations

import polars as pl

from framework.model import Framework
from ingest.issues import IssueCode
from ingest.rules.codes import RowCheck, matching_key
from ingest.rules.duplicates import KeyPart
from ingest.rules.not_data import is_overall, total_of


def check_breakdowns(check: RowCheck, fw: Framework, names: list[str]) -> list[KeyPart]:
    """The breakdown rule for each breakdown column ``names``; their cells become the canonical
    values. Returns their parts of the duplicate key."""
    parts = []
    for name in names:
        allowed = fw.breakdown_alias_table(name)
        ids = {code: i for i, code in enumerate(dict.fromkeys(allowed.values()))}
        values = check.codes[name]
        canonical = [allowed.get(matching_key(text)) for text in values.texts]
        # "Total femmes", "Ensemble rural": the total of that group, which is the group's figure.
        canonical = [c if c is not None or (rest := total_of(text)) is None else allowed.get(matching_key(rest))
                     for c, text in zip(canonical, values.texts, strict=True)]
        # "Total", "Ensemble", "Tous" in a breakdown cell: the row is the total, as an empty cell.
        overall = [c is None and is_overall(text) for c, text in zip(canonical, values.texts, strict=True)]
        allowed_values = fw.breakdowns[name].values if name in fw.breakdowns else ()
        if invalid := values.where(lambda i, c=canonical, o=overall: c[i] is None and not o[i]):
            check.add(values.rows_in(invalid), IssueCode.INVALID_BREAKDOWN, check.header(name), pl.col(name),
                      ", ".join(allowed_values), known=values.exact)
        check.table = check.table.with_columns(values.fact(canonical, pl.String()).alias(name))
        # An empty breakdown cell (the total) is -1; a value not allowed leaves the key unknown (it
        # is reported already, and two different wrong values are not the same breakdown).
        parts.append(KeyPart(values, [-1 if o else None if c is None else ids[c]
                                      for c, o in zip(canonical, overall, strict=True)], len(ids), empty=-1))
    return parts
