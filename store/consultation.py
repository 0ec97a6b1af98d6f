"""All SQL of the weighting consultation (issue 14): the committee asks members for principle weights.

One consultation is open at a time, on one framework version. Each member has at most one live
proposal in it: a new one closes the earlier (``replaced_at``) and takes the next version number,
so the history stays. Every change writes its audit entry in its own transaction
(``consultation_opened``, ``weights_proposed``, ``consultation_closed``, ``weights_adopted``).
Adopting the median records the new framework version (``store.registry``), closes the
consultation and asks for a scoring run (``store.scoring_requests``) in one transaction.

The median itself is computed in ``metrics.whatif``: nothing here computes a weight.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import duckdb
import polars as pl

from framework.model import Framework
from i18n import t
from store.audit import record_in
from store.db import Store, utc_now
from store.registry import _adopt
from store.scope import query, visible
from store.scoring_requests import request_in
from store.viewer import Viewer

#: The scoring request's origin after an adoption (``scoring_requests.origin``).
ORIGIN = "weights_adopted"


class ConsultationError(Exception):
    """A consultation action that cannot be done; ``code`` names why (``consult.errors.<code>``)."""

    def __init__(self, code: str, **params: Any):
        super().__init__(code)
        self.code = code
        self.params = params

    def message(self, lang: str) -> str:
        return t(f"dashboard.whatif.errors.{self.code}", lang)


_OPEN = "SELECT id, framework_hash, opened_at, opened_by FROM weight_consultations WHERE closed_at IS NULL"


def current(store: Store) -> dict[str, Any] | None:
    """The open consultation (id, framework_hash, opened_at, opened_by), None when there is none."""
    frame = store.query(f"{_OPEN} ORDER BY id DESC LIMIT 1")
    return frame.row(0, named=True) if frame.height else None


def history(store: Store, viewer: Viewer) -> pl.DataFrame:
    """Every consultation, newest first, with its live proposal count (steering only)."""
    return query(
        store,
        viewer,
        """
        SELECT c.id, c.framework_hash, c.opened_at, c.opened_by, c.closed_at, c.closed_by, c.adopted_hash,
               (SELECT count(*) FROM weight_proposals p WHERE p.consultation_id = c.id AND p.replaced_at IS NULL)
                   AS proposals
        FROM weight_consultations c WHERE $v_all ORDER BY c.id DESC
        """,
    )


def open_consultation(store: Store, framework_hash: str, *, actor: str) -> int:
    """Open a consultation on ``framework_hash`` (audited); ``already_open`` when one is open."""

    def work(cur: duckdb.DuckDBPyConnection) -> int:
        rows = cur.execute(_OPEN).fetchall()
        if rows:
            raise ConsultationError("already_open", id=rows[0][0])
        new_id = cur.execute(
            "INSERT INTO weight_consultations (framework_hash, opened_at, opened_by) VALUES (?, ?, ?) RETURNING id",
            [framework_hash, utc_now(), actor],
        ).fetchall()[0][0]
        record_in(cur, actor, "consultation_opened", target=f"consultation:{new_id}",
                  detail={"framework": framework_hash})
        return int(new_id)

    return store.write(work)


def close_consultation(store: Store, *, actor: str) -> int:
    """Close the open consultation without adopting anything (audited); ``none_open`` otherwise."""

    def work(cur: duckdb.DuckDBPyConnection) -> int:
        consultation = _open_in(cur)
        cur.execute("UPDATE weight_consultations SET closed_at = ?, closed_by = ? WHERE id = ?",
                    [utc_now(), actor, consultation])
        record_in(cur, actor, "consultation_closed", target=f"consultation:{consultation}",
                  detail={"proposals": _live_count(cur, consultation)})
        return consultation

    return store.write(work)


def _open_in(cur: duckdb.DuckDBPyConnection) -> int:
    rows = cur.execute(f"{_OPEN} ORDER BY id DESC LIMIT 1").fetchall()
    if not rows:
        raise ConsultationError("none_open")
    return int(rows[0][0])


def _live_count(cur: duckdb.DuckDBPyConnection, consultation: int) -> int:
    return int(cur.execute("SELECT count(*) FROM weight_proposals WHERE consultation_id = ? AND replaced_at IS NULL",
                           [consultation]).fetchall()[0][0])


def propose(store: Store, org_code: str, weights: Mapping[str, float], *, actor: str) -> int:
    """Record ``org_code``'s proposal in the open consultation, replacing its live one (audited in the
    same transaction); returns the proposal's version (1, 2, …). ``weights`` are stored as given:
    the caller normalises them (``metrics.whatif.normalised``)."""

    def work(cur: duckdb.DuckDBPyConnection) -> int:
        consultation = _open_in(cur)
        now = utc_now()
        version = cur.execute("SELECT coalesce(max(version), 0) + 1 FROM weight_proposals "
                              "WHERE consultation_id = ? AND org_code = ?", [consultation, org_code]).fetchall()[0][0]
        previous = cur.execute(
            "UPDATE weight_proposals SET replaced_at = ? WHERE consultation_id = ? AND org_code = ? "
            "AND replaced_at IS NULL RETURNING id",
            [now, consultation, org_code],
        ).fetchall()
        proposal = cur.execute(
            "INSERT INTO weight_proposals (consultation_id, org_code, version, proposed_by, proposed_at) "
            "VALUES (?, ?, ?, ?, ?) RETURNING id",
            [consultation, org_code, version, actor, now],
        ).fetchall()[0][0]
        cur.executemany("INSERT INTO weight_proposal_values VALUES (?, ?, ?)",
                        [[proposal, code, float(w)] for code, w in weights.items()])
        record_in(cur, actor, "weights_proposed", target=f"consultation:{consultation}",
                  detail={"org": org_code, "version": int(version), "replaces": bool(previous),
                          "weights": {code: round(float(w), 6) for code, w in weights.items()}})
        return int(version)

    return store.write(work)


def proposals(store: Store, viewer: Viewer, consultation_id: int) -> pl.DataFrame:
    """The live proposals of a consultation, one row per proposal and principle: org_code, version,
    proposed_by, proposed_at, principle, weight. The committee reads every member's; a member its own."""
    return query(
        store,
        viewer,
        f"""
        SELECT p.org_code, p.version, p.proposed_by, p.proposed_at, v.principle, v.weight
        FROM weight_proposals p JOIN weight_proposal_values v ON v.proposal_id = p.id
        WHERE p.consultation_id = $consultation AND p.replaced_at IS NULL AND {visible("p.org_code")}
        ORDER BY p.org_code, v.principle
        """,
        consultation=consultation_id,
    )


def adopt_median(
    store: Store, framework: Framework, median: Mapping[str, float], *, actor: str, source: str
) -> int:
    """Adopt ``framework`` (the version in use with the median weights) in one transaction: the version
    recorded with its ``framework_change`` entry (``store.registry``), the ``weights_adopted`` entry,
    the consultation closed with the adopted version, and a scoring request. Returns the consultation id."""

    def work(cur: duckdb.DuckDBPyConnection) -> int:
        consultation = _open_in(cur)
        count = _live_count(cur, consultation)
        if count == 0:
            raise ConsultationError("no_proposals")
        if not _adopt(cur, framework, actor=actor, source=source, first_only=False):
            raise ConsultationError("no_change")
        cur.execute(
            "UPDATE weight_consultations SET closed_at = ?, closed_by = ?, adopted_hash = ? WHERE id = ?",
            [utc_now(), actor, framework.content_hash, consultation],
        )
        record_in(cur, actor, "weights_adopted", target=f"consultation:{consultation}",
                  detail={"version": framework.content_hash, "proposals": count,
                          "weights": {code: round(float(w), 6) for code, w in median.items()}})
        request_in(cur, ORIGIN, actor)
        return consultation

    return store.write(work)
