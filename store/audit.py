"""The audit log: who signed in (or failed to), uploaded, adopted a framework version, recomputed
scores, changed the organisation registry, created, revoked or used a link. Written inside the same
transaction as the change it records when there is one, so a change and its trace land together or
not at all, whichever door (command line or dashboard) the change came through.

Actors: ``account:<username>`` for a signed-in person, ``link:<id>`` for a funder link and
``cli:<operating-system user>`` (:func:`cli_actor`) for the command line.

Details never hold a password or a token (``redact`` is applied to every text written).
"""

from __future__ import annotations

import getpass
import json
import re
from typing import TYPE_CHECKING, Any

import polars as pl

from store.db import ArrowStream, Store, utc_now
from store.viewer import Viewer

if TYPE_CHECKING:  # imported where a DuckDB database is opened (store.db), never for PostgreSQL
    import duckdb

ACTIONS = (
    "sign_in",
    "sign_in_failed",
    "sign_out",
    "session_expired",
    "account_created",
    "account_changed",
    "password_changed",
    "upload",
    "upload_rejected",
    "framework_change",
    "scores_recomputed",
    "registry_changed",
    "organisation_deactivated",
    "organisation_reactivated",
    "link_created",
    "link_revoked",
    "link_rotated",
    "link_previewed",
    "link_used",
    "link_download",
    "link_refused",
    "download",
    "download_refused",
    "access_refused",
    "expectation_changed",
    "target_set",
    "overlap_declared",
    "overlap_removed",
    "calendar_changed",
    "review_approved",
    "review_returned",
    "review_history_accepted",
    "rebuild_cycle_carried",
    "reopen_requested",
    "reopen_granted",
    "reopen_refused",
    "value_explained",
    "narratives_written",
    "message_sent",
    "message_failed",
    "reminder_schedule_changed",
    "consultation_opened",
    "consultation_closed",
    "weights_proposed",
    "weights_adopted",
    "report_card_made",
    "network_report_made",
    "database_backed_up",
    "database_restored",
    "api_token_created",
    "api_token_revoked",
    "api_token_used",
    "api_token_refused",
    "session_created",
    "session_cookie_issued",
    "session_handoff_refused",
    "session_revoked",
    "sessions_revoked",
)
#: A share token as it travels (URL, text pasted in a field): 43 URL-safe base64 characters.
_TOKEN = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])")
_TOKEN_PARAM = re.compile(r"((?:link|token)=)[^&\s\"']+", re.IGNORECASE)


#: A personal API token (``store.api_tokens``: ``athar_pat_`` and 43 characters) and a Bearer credential.
_PERSONAL = re.compile(r"athar_pat_[A-Za-z0-9_-]*")
_BEARER = re.compile(r"(Bearer\s+)\S+", re.IGNORECASE)


def redact(text: str) -> str:
    """``text`` with anything that looks like a share token, a personal API token or a Bearer
    credential replaced (logs must not leak links or keys)."""
    text = _BEARER.sub(r"\1[redacted]", _PERSONAL.sub("[redacted]", text))
    return _TOKEN.sub("[redacted]", _TOKEN_PARAM.sub(r"\1[redacted]", text))


def cli_actor() -> str:
    """How the command line is recorded in the audit log: ``cli:<operating-system user>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name in the environment or the password database
        return "cli"


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact(str(k)): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def record_in(
    cur: duckdb.DuckDBPyConnection,
    actor: str,
    action: str,
    *,
    target: str | None = None,
    outcome: str = "ok",
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one entry inside the caller's transaction."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    cur.execute(
        "INSERT INTO audit_log (logged_at, actor, action, target, outcome, detail) VALUES (?, ?, ?, ?, ?, ?)",
        [
            utc_now(),
            redact(actor),
            action,
            None if target is None else redact(str(target)),
            outcome,
            None if detail is None else json.dumps(_clean(detail), ensure_ascii=False, default=str),
        ],
    )


def record_all_in(cur: duckdb.DuckDBPyConnection, entries: list[dict[str, Any]]) -> None:
    """:func:`record_in` for several entries (each: ``actor``, ``action`` and its keyword arguments), in
    one insert and in the order given (a group of files committed together: ``store.group_commit``)."""
    if not entries:
        return
    if unknown := {e["action"] for e in entries} - set(ACTIONS):
        raise ValueError(f"unknown audit action {sorted(unknown)!r}")
    now = utc_now()
    frame = pl.DataFrame(
        {
            "ord": range(len(entries)),
            "logged_at": [now] * len(entries),
            "actor": [redact(e["actor"]) for e in entries],
            "action": [e["action"] for e in entries],
            "target": [None if e.get("target") is None else redact(str(e["target"])) for e in entries],
            "outcome": [e.get("outcome", "ok") for e in entries],
            "detail": [None if e.get("detail") is None else json.dumps(_clean(e["detail"]), ensure_ascii=False,
                                                                        default=str) for e in entries],
        },
        schema={"ord": pl.Int64, "logged_at": pl.Datetime("us"), "actor": pl.String, "action": pl.String,
                "target": pl.String, "outcome": pl.String, "detail": pl.String},
    )
    cur.register("incoming_audit", ArrowStream(frame))
    try:
        cur.execute("INSERT INTO audit_log (logged_at, actor, action, target, outcome, detail) "
                    "SELECT logged_at, actor, action, target, outcome, detail::JSON FROM incoming_audit ORDER BY ord")
    finally:
        cur.unregister("incoming_audit")


def record(store: Store, actor: str, action: str, **kwargs: Any) -> None:
    """Append one entry in its own transaction."""
    store.write(lambda cur: record_in(cur, actor, action, **kwargs))


def entries(
    store: Store,
    viewer: Viewer,
    *,
    actions: list[str] | None = None,
    actor: str | None = None,
    limit: int = 1000,
) -> pl.DataFrame:
    """The newest entries first; the steering committee only (anyone else gets no rows)."""
    return store.query(
        """
        SELECT id, logged_at, actor, action, target, outcome, detail::VARCHAR AS detail
        FROM audit_log
        WHERE $steering
          AND ($all_actions OR list_contains($actions::VARCHAR[], action))
          AND ($actor IS NULL OR actor = $actor)
        ORDER BY id DESC
        LIMIT $limit
        """,
        {
            "steering": viewer.role == "steering",
            "all_actions": not actions,
            "actions": list(actions or []),
            "actor": actor,
            "limit": int(limit),
        },
    )
