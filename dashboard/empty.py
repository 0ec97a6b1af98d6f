"""Empty states that say why: every page's "nothing to show here" goes through :func:`show`.

An empty state names what is missing and the reason, from a closed list (:class:`Why`), so a
funder never reads "no value declared" where the value is only outside their link, and a member
never reads "no data" where a group is merely too small to show. A next step is offered only when
it points to a page this viewer can open and act on: funder links are read-only, so they get none.
"""

from __future__ import annotations

from enum import StrEnum

import streamlit as st

from dashboard.context import PageContext
from dashboard.navigation import pages_for
from framework.groups import MIN_GROUP


class Why(StrEnum):
    """Why there is nothing to show (catalogue ``dashboard.states.why.<value>``)."""

    NO_DATA = "no_data"  # nothing was declared or computed for this
    BELOW_THRESHOLD = "below_threshold"  # fewer than MIN_GROUP organisations: showing it could identify one
    OUT_OF_SCOPE = "out_of_scope"  # it exists, but this funder link does not cover it
    INSUFFICIENT_COVERAGE = "insufficient_coverage"  # values exist, too few to compute a score
    PARTIAL_PERIOD = "partial_period"  # the period is still being reported
    NO_EARLIER_PERIOD = "no_earlier_period"  # nothing before this period to compare with
    NOT_SCORED = "not_scored"  # no scoring run yet


_ICONS = {
    Why.NO_DATA: ":material/info:",
    Why.BELOW_THRESHOLD: ":material/group_off:",
    Why.OUT_OF_SCOPE: ":material/lock:",
    Why.INSUFFICIENT_COVERAGE: ":material/data_alert:",
    Why.PARTIAL_PERIOD: ":material/hourglass_top:",
    Why.NO_EARLIER_PERIOD: ":material/history_toggle_off:",
    Why.NOT_SCORED: ":material/info:",
}
#: Next steps: the page each one sends the viewer to (catalogue ``dashboard.states.step.<name>``).
STEPS = {
    "upload": "upload",
    "score": "framework",
    "upload_or_score": "upload",
    "template_below": "upload",
    "targets": "framework",
}


def can_act_on(ctx: PageContext, page: str) -> bool:
    """The viewer may open ``page`` and act there (funder links are read-only: never)."""
    return ctx.viewer.role != "funder" and any(spec.key == page for spec in pages_for(ctx.viewer))


def text(ctx: PageContext, why: Why, subject: str, *, step: str | None = None, **params: object) -> str:
    """``<subject> : <why>.`` then the next step when this viewer can take it."""
    reason = ctx.t(f"states.why.{why.value}", min=ctx.num(MIN_GROUP), **params)
    sentence = ctx.t("states.sentence", subject=subject, reason=reason)
    if step is not None and can_act_on(ctx, STEPS[step]):
        sentence += " " + ctx.t(f"states.step.{step}")
    return sentence


def show(ctx: PageContext, why: Why, subject: str, *, step: str | None = None, **params: object) -> None:
    """Render the empty state (``subject`` is already translated: what is missing, with its period)."""
    st.info(text(ctx, why, subject, step=step, **params), icon=_ICONS[why])


def subject(ctx: PageContext, key: str, **params: object) -> str:
    """A subject from the catalogue (``dashboard.states.subject.<key>``)."""
    return ctx.t(f"states.subject.{key}", **params)


def scope_why(ctx: PageContext, principle: str | None = None) -> Why:
    """NO_DATA, or OUT_OF_SCOPE when this link leaves out ``principle`` (None = the composite)."""
    allowed = ctx.viewer.principles
    if allowed is None:
        return Why.NO_DATA
    return Why.OUT_OF_SCOPE if principle is None or principle not in allowed else Why.NO_DATA


def group_too_small(ctx: PageContext, subject_key: str = "result", **params: object) -> None:
    """The usual "below the threshold of five" state."""
    show(ctx, Why.BELOW_THRESHOLD, subject(ctx, subject_key, **params))


def note(ctx: PageContext, why: Why, key: str, **params: object) -> None:
    """A page's own sentence that already names the reason (``key`` in the catalogue), with its icon."""
    st.info(ctx.t(key, **params), icon=_ICONS[why])


def hint(ctx: PageContext, key: str, **params: object) -> None:
    """Not an empty state: what to do to see something here (``Choisissez une organisation``)."""
    st.info(ctx.t(key, **params), icon=":material/touch_app:")
