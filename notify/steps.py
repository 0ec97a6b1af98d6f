"""The next step a reminder carries: the pre-filled template for the missing period, the annotated
copy of the organisation's last rejected file, and the committee's return comments.

Return comments are read by the sources in :data:`RETURN_COMMENT_SOURCES`; the review cycle's
(``store.review.returned_comments``: the comment on the whole returned submission, then those on its
values of the period) is registered here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from framework.model import Framework
from i18n import t
from ingest import annotate, pipeline, template
from notify import compose
from notify.mail import Attachment
from store import review, submissions
from store.db import Store

_log = logging.getLogger(__name__)

#: Readers of the committee's comments on a returned submission: ``(store, org, period, lang)`` →
#: comment lines. The review cycle appends its own; each one found goes into the reminder.
RETURN_COMMENT_SOURCES: list[Callable[[Store, str, str, str], list[str]]] = []


@dataclass(frozen=True)
class Rejection:
    """The organisation's last rejected file (no file of it accepted since)."""

    file_name: str
    content_sha256: str


def template_attachment(framework: Framework, org_code: str, period: str, lang: str) -> Attachment:
    """The XLSX template for ``org_code`` and ``period``, pre-filled and in ``lang``."""
    data = template.template_bytes(framework, org_code, period, lang, "xlsx")
    return Attachment(template_file_name(org_code, period), template.MIME["xlsx"], data)


def template_file_name(org_code: str, period: str) -> str:
    return f"athar_{org_code}_{period}.xlsx"


def annotated_attachment(store: Store, framework: Framework, org_code: str, rejection: Rejection,
                         lang: str) -> Attachment | None:
    """The rejected file checked again and given back with its problems on each line, in ``lang``;
    None when its bytes are gone or it cannot be read as a table."""
    path = submissions.raw_path(store, rejection.content_sha256)
    if not path.is_file():
        return None
    data = path.read_bytes()
    try:
        checked = pipeline.check(data, rejection.file_name, framework=framework, store=store, member_org=org_code,
                                 content_sha256=rejection.content_sha256)
        copy = annotate.annotated_copy(data, rejection.file_name, checked.result.report(lang),
                                       t("dashboard.upload.errors_column", lang), raw=checked.raw)
    except Exception:  # noqa: BLE001 — the reminder still goes, with the template, without the copy
        _log.exception("annotating the rejected file of %s failed", org_code)
        return None
    if copy is None:
        return None
    return Attachment(annotated_file_name(rejection.file_name, lang), annotate.annotated_mime(rejection.file_name),
                      copy)


def annotated_file_name(rejected_file: str, lang: str) -> str:
    """The name the annotated copy of ``rejected_file`` goes by, in ``lang`` (``donnees_2025_erreurs.csv``)."""
    return annotate.annotated_name(rejected_file, t("dashboard.upload.errors_suffix", lang))


def review_comments(store: Store, org_code: str, period: str, lang: str) -> list[str]:
    """The committee's comments on the organisation's returned submission of ``period``, framed in ``lang``."""
    found = review.returned_comments(store, org_code, period)
    return [compose.value_comment(indicator, line, comment, lang) for indicator, line, comment in found.rows()]


RETURN_COMMENT_SOURCES.append(review_comments)


def return_comments(store: Store, org_code: str, period: str, lang: str) -> list[str]:
    """Every registered source's comments on the organisation's returned submission of ``period``."""
    return [line for source in RETURN_COMMENT_SOURCES for line in source(store, org_code, period, lang)]
