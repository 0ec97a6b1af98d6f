"""Make a document for a viewer and record its SHA-256 in the audit log (one transaction).

The hash is of the exact bytes handed out; the file is written (or the download offered) only
after the audit entry is committed, so a card in anyone's hands is always in the log.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from report import card_data, network, render
from store.db import Store
from store.report_cards import record_card
from store.viewer import Viewer


@dataclass(frozen=True)
class Made:
    pdf: bytes
    sha256: str
    detail: dict


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def card(
    store: Store, viewer: Viewer, org_code: str, period: str, lang: str, *, actor: str, with_charts: bool = True
) -> Made:
    """One card as ``viewer`` sees it; :class:`store.report_cards.CardRefused` when out of scope."""
    data = card_data.gather(store, viewer, org_code, period, lang)
    pdf = render.to_pdf(render.card_html(data, _now(), with_charts=with_charts))
    sha = hashlib.sha256(pdf).hexdigest()
    detail = {
        "org": org_code,
        "period": period,
        "lang": lang,
        "link": data.link_id,
        "run": int(data.run["id"]),
        "viewer": viewer.role,
    }
    record_card(store, actor, sha256=sha, detail=detail)
    return Made(pdf, sha, detail)


def network_report(store: Store, viewer: Viewer, period: str, lang: str, *, actor: str) -> Made:
    """The committee's network report of ``period``."""
    data = network.gather(store, viewer, period, lang)
    pdf = render.to_pdf(network.html(data, _now()))
    sha = hashlib.sha256(pdf).hexdigest()
    detail = {"org": None, "period": period, "lang": lang, "link": None, "run": int(data.run["id"]),
              "viewer": viewer.role}
    record_card(store, actor, sha256=sha, detail=detail, network=True)
    return Made(pdf, sha, detail)
