"""SQL of declared overlap: shared beneficiaries with a named member, and programme umbrellas.

A member declares them in its file (``shared_with`` / ``shared_count`` / ``programme`` columns,
written inside the upload's transaction) or through :func:`declare` — the upload page and
``python -m store overlap`` — which checks a declaration with the file's rule and words (the
``ingest.shared_with_unknown`` / ``shared_with_itself`` / ``shared_count_invalid`` /
``programme_invalid`` messages, the count at most the organisation's stored value) and writes it with
its ``overlap_declared`` audit entry in one transaction. A later declaration for the same
organisation, indicator, period and partner (or programme slot) closes the earlier one; removing a
declaration closes it too (``overlap_removed``), so the history stays.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import TYPE_CHECKING

import polars as pl

from framework.model import Framework
from framework.periods import period_bounds
from framework.programmes import programme_code
from i18n import t
from store.audit import record_in
from store.db import ArrowStream, Store, utc_now
from store.errors import StoreError
from store.reads.fragments import name_sql
from store.scope import query, visible
from store.viewer import Viewer

if TYPE_CHECKING:  # imported where a DuckDB database is opened (store.db), never for PostgreSQL
    import duckdb

ORIGINS = ("page", "cli")
_BREAKDOWNS = ("sex", "age_band", "disability", "area", "region")


def _values_sql(where: str) -> str:
    """Per indicator and period of the rows passing ``where``: the organisation's value — its total
    row, or, when it reported only by breakdown, the largest sum over one breakdown's values."""
    pattern = " || ".join(f"({b} IS NULL)::INT::VARCHAR" for b in _BREAKDOWNS)
    return f"""
        SELECT indicator_code, period, any_value(period_end) AS period_end,
               coalesce(max(total) FILTER (WHERE pattern = '{"1" * len(_BREAKDOWNS)}'), max(total)) AS value
        FROM (SELECT indicator_code, period, {pattern} AS pattern, max(period_end) AS period_end, sum(value) AS total
              FROM observations_current WHERE {where} GROUP BY indicator_code, period, pattern)
        GROUP BY indicator_code, period
    """


class OverlapRefused(StoreError):
    """A refused declaration. ``issue``: the code is one of the file's issue codes, shown with the
    file's message and hint (``ingest.<code>``), with ``column`` the file's column name."""

    catalogue = "overlap.errors"

    def __init__(self, code: str, *, issue: bool = False, **params: object):
        super().__init__(code, **params)
        self.issue = issue

    def message(self, lang: str) -> str:
        if not self.issue:
            return super().message(lang)
        params = {"column": "", "value": "", "expected": "", **self.params}
        return f"{t(f'ingest.{self.code}.message', lang, **params)} {t(f'ingest.{self.code}.hint', lang, **params)}"


def people_counts(framework: Framework) -> list[str]:
    """Indicators whose values are people counted with a counting rule: what may be declared shared."""
    return [i.code for i in framework.indicators if i.unit == "persons" and i.counting is not None]


def _count(text: object) -> float | None:
    """A number of people as given (a number, or text with a decimal point or comma); None if not one."""
    if isinstance(text, bool):
        return None
    if isinstance(text, int | float):
        return float(text) if math.isfinite(text) else None
    try:
        number = float(str(text).strip().replace("\u202f", "").replace(" ", "").replace(",", "."))
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _stored_value(cur: duckdb.DuckDBPyConnection, org: str, indicator: str, period: str) -> float | None:
    found = cur.execute(_values_sql("org_code = ? AND indicator_code = ? AND period = ?"),
                        [org, indicator, period]).fetchall()
    return None if not found or found[0][3] is None else float(found[0][3])


def _registered(cur: duckdb.DuckDBPyConnection, code: str) -> str | None:
    found = cur.execute("SELECT code FROM organizations WHERE upper(code) = upper(?)", [code.strip()]).fetchall()
    return found[0][0] if found else None


def _checked_partner(cur, org: str, partner: str | None, shared: object, value: float) -> tuple[str | None, float | None]:
    """The file's rule for ``shared_with`` and ``shared_count`` (``ingest.rules.overlaps``)."""
    written = partner is not None and str(partner).strip() != ""
    count = None if shared is None or str(shared).strip() == "" else _count(shared)
    if not written:
        if shared is not None and str(shared).strip() != "":
            raise OverlapRefused("shared_count_invalid", issue=True, column="shared_count", value=str(shared),
                                 expected=str(value))
        return None, None
    registered = _registered(cur, str(partner))
    if registered is None:
        raise OverlapRefused("shared_with_unknown", issue=True, column="shared_with", value=str(partner))
    if registered.upper() == org.upper():
        raise OverlapRefused("shared_with_itself", issue=True, column="shared_with", value=str(partner))
    if count is None or count < 0 or count != round(count) or count > value:
        raise OverlapRefused("shared_count_invalid", issue=True, column="shared_count",
                             value="" if shared is None else str(shared), expected=str(value))
    return registered, count


def declare(
    store: Store, org_code: str, indicator_code: str, period: str, *, partner: str | None = None,
    shared: object = None, programme: str | None = None, people_count_codes: list[str] | set[str],
    actor: str, origin: str,
) -> dict:
    """Check and store one declaration — shared people with ``partner``, the count's ``programme``, or
    both — with its ``overlap_declared`` audit entry; returns what was stored. Nothing is written when
    a check fails (:class:`OverlapRefused`)."""
    if indicator_code not in people_count_codes:
        raise OverlapRefused("not_a_people_count", indicator=indicator_code)
    try:
        _, start, end = period_bounds(period)
    except ValueError:
        raise OverlapRefused("bad_period", period=period) from None
    code = None
    if programme is not None and str(programme).strip():
        code = programme_code(programme)
        if code is None:
            raise OverlapRefused("programme_invalid", issue=True, column="programme", value=str(programme))

    def work(cur: duckdb.DuckDBPyConnection) -> dict:
        org = _registered(cur, org_code)
        if org is None:
            raise OverlapRefused("unknown_org", org=org_code)
        value = _stored_value(cur, org, indicator_code, period)
        if value is None:
            raise OverlapRefused("no_value", org=org, indicator=indicator_code, period=period)
        partner_code, count = _checked_partner(cur, org, partner, shared, value)
        if partner_code is None and code is None:
            raise OverlapRefused("nothing_to_declare")
        now = utc_now()
        key = [org, indicator_code, period]
        if partner_code is not None:
            cur.execute("UPDATE shared_beneficiaries SET valid_to = ? WHERE valid_to IS NULL AND org_code = ? "
                        "AND indicator_code = ? AND period = ? AND shared_with = ?", [now, *key, partner_code])
            cur.execute(
                "INSERT INTO shared_beneficiaries (submission_id, line, org_code, indicator_code, period, period_start, "
                "period_end, shared_with, shared_count, valid_from, valid_to, origin, declared_by) "
                "VALUES (NULL, NULL, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)",
                [*key, start, end, partner_code, count, now, origin, actor],
            )
        if code is not None:
            _close_programme(cur, key, now)
            cur.execute("INSERT INTO programme_members VALUES (NULL, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                        [*key, start, end, code, origin, actor, now])
        detail = {"indicator": indicator_code, "period": period, "partner": partner_code, "shared": count,
                  "programme": code, "value": value, "origin": origin}
        record_in(cur, actor, "overlap_declared", target=f"org:{org}", detail=detail)
        return {"org": org, **detail}

    return store.write(work)


def _close_programme(cur: duckdb.DuckDBPyConnection, key: list[str], now: datetime) -> int:
    return cur.execute("UPDATE programme_members SET valid_to = ? WHERE valid_to IS NULL AND org_code = ? "
                       "AND indicator_code = ? AND period = ?", [now, *key]).fetchall()[0][0]


def remove(
    store: Store, org_code: str, indicator_code: str, period: str, *, partner: str | None = None,
    actor: str, origin: str,
) -> None:
    """Withdraw the current declaration with ``partner`` (``None``: the programme), audited as
    ``overlap_removed``; refused (``not_declared``) when there is none."""

    def work(cur: duckdb.DuckDBPyConnection) -> None:
        org = _registered(cur, org_code) or org_code
        key = [org, indicator_code, period]
        now = utc_now()
        if partner is None:
            closed = _close_programme(cur, key, now)
        else:
            partner_code = _registered(cur, partner) or partner
            closed = cur.execute(
                "UPDATE shared_beneficiaries SET valid_to = ? WHERE valid_to IS NULL AND org_code = ? "
                "AND indicator_code = ? AND period = ? AND shared_with = ?", [now, *key, partner_code],
            ).fetchall()[0][0]
        if not closed:
            raise OverlapRefused("not_declared", org=org, indicator=indicator_code, period=period)
        record_in(cur, actor, "overlap_removed", target=f"org:{org}",
                  detail={"indicator": indicator_code, "period": period, "partner": partner_code if partner else None,
                          "programme": partner is None, "origin": origin})

    store.write(work)


def record_file_programmes(
    cur: duckdb.DuckDBPyConnection, rows: pl.DataFrame, submission_id: int, now: datetime, actor: str
) -> None:
    """Inside an upload's transaction: the file's programme declarations (the last line per
    organisation, indicator and period), each closing the current one for the same key."""
    if "programme" not in rows.columns or rows.get_column("programme").null_count() == rows.height:
        return
    keys = ["org_code", "indicator_code", "period"]
    declared = (rows.filter(pl.col("programme").is_not_null()).sort("line").unique(keys, keep="last")
                .select("line", *keys, "period_start", "period_end", "programme"))
    cur.register("incoming_programmes", ArrowStream(declared))
    try:
        cur.execute(
            """
            UPDATE programme_members AS o SET valid_to = ?
            FROM incoming_programmes AS n
            WHERE o.valid_to IS NULL AND o.org_code = n.org_code AND o.indicator_code = n.indicator_code
              AND o.period = n.period
            """,
            [now],
        )
        cur.execute(
            "INSERT INTO programme_members SELECT ?, line, org_code, indicator_code, period, period_start, period_end, "
            "programme, 'file', ?, ?, NULL FROM incoming_programmes",
            [submission_id, actor, now],
        )
    finally:
        cur.unregister("incoming_programmes")


def current_declarations(store: Store, viewer: Viewer, org_code: str) -> pl.DataFrame:
    """The organisation's declarations in force: one row per partner or programme, newest first."""
    return query(
        store,
        viewer,
        f"""
        SELECT indicator_code, period, shared_with AS partner, shared_count AS shared, NULL AS programme,
               origin, declared_by, valid_from, period_end
        FROM shared_beneficiaries WHERE valid_to IS NULL AND org_code = $org AND {visible("org_code")}
        UNION ALL
        SELECT indicator_code, period, NULL, NULL, programme, origin, declared_by, valid_from, period_end
        FROM programme_members WHERE valid_to IS NULL AND org_code = $org AND {visible("org_code")}
        ORDER BY period_end DESC, indicator_code, partner NULLS LAST
        """,
        org=org_code,
    )


def declarable_values(store: Store, viewer: Viewer, org_code: str, codes: list[str]) -> pl.DataFrame:
    """The organisation's stored totals of people counts (``codes``): what a declaration may be about."""
    return query(
        store,
        viewer,
        f"""
        SELECT indicator_code, period, value FROM ({_values_sql(
            f"org_code = $org AND list_contains($codes::VARCHAR[], indicator_code) AND {visible('org_code')}")})
        ORDER BY period_end DESC, indicator_code
        """,
        org=org_code,
        codes=list(codes),
    )


def partner_options(store: Store, viewer: Viewer, lang: str) -> pl.DataFrame:
    """Registered organisations the steering committee may pick as a partner (code and name). A member
    sees no other organisation (it types its partner's code, checked when it declares); a funder
    link, nothing."""
    return store.query(
        f"SELECT code AS org_code, {name_sql(lang)} AS name FROM organizations WHERE active AND $may ORDER BY code",
        {"may": viewer.role == "steering"},
    )
