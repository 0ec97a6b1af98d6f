"""Who is looking: the scope every read of ``store.reads`` applies (predicates in ``store.scope``) in SQL.

A ``Viewer`` is built once per session and passed to every read, so no query can forget it:
- ``steering``: the whole network, the framework and the administration pages;
- ``member``: its own organisation in full; other organisations only as anonymised
  aggregates over groups of at least ``MIN_GROUP`` (never a name, code or raw value);
- ``funder``: read-only, the organisations, principles, periods and pages of its link.

Streamlit's caches are shared by every session, so cached reads are keyed by
:attr:`Viewer.scope_key` as well as by the data version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from framework.groups import MIN_GROUP

Role = Literal["steering", "member", "funder"]
ROLES: tuple[Role, ...] = ("steering", "member", "funder")


@dataclass(frozen=True)
class LinkScope:
    """What a funder's link allows; ``None`` means no restriction on that axis.

    ``run_id`` pins the link to one scoring run (a frozen, approved picture).
    """

    org_codes: frozenset[str]
    principles: frozenset[str] | None = None
    periods: frozenset[str] | None = None
    pages: frozenset[str] | None = None
    link_id: int | None = None
    run_id: int | None = None
    expires_at: datetime | None = field(default=None, compare=False)
    #: Values not yet approved are shown too, labelled provisional (default: approved values only).
    include_provisional: bool = False
    #: How indicators are named besides Athar's codes: ``athar``, ``iris`` or ``sdg`` (issue 14).
    vocabulary: str = field(default="athar", compare=False)  # naming only: no read depends on it


@dataclass(frozen=True)
class Viewer:
    """The person behind a session and what they may see."""

    role: Role
    org_code: str | None = None
    link: LinkScope | None = None
    name: str | None = None

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}")
        if self.role == "member" and not self.org_code:
            raise ValueError("a member viewer needs its organisation code")
        if self.role == "funder" and self.link is None:
            raise ValueError("a funder viewer needs a link scope")

    # -- constructors ----------------------------------------------------------------------
    @classmethod
    def steering(cls, name: str = "steering") -> Viewer:
        return cls(role="steering", name=name)

    @classmethod
    def member(cls, org_code: str, name: str | None = None) -> Viewer:
        return cls(role="member", org_code=org_code, name=name or f"member:{org_code}")

    @classmethod
    def funder(cls, link: LinkScope, name: str = "funder") -> Viewer:
        return cls(role="funder", link=link, name=name)

    # -- scope -----------------------------------------------------------------------------
    @property
    def sees_every_org(self) -> bool:
        return self.role == "steering"

    @property
    def visible_orgs(self) -> tuple[str, ...]:
        """Organisations this viewer may see one by one (empty for steering = all)."""
        if self.role == "member":
            return (self.org_code or "",)
        if self.role == "funder" and self.link is not None:
            return tuple(sorted(self.link.org_codes))
        return ()

    @property
    def aggregates_whole_network(self) -> bool:
        """Aggregates run over every organisation (members see them anonymised) or only the link's."""
        return self.role in ("steering", "member")

    @property
    def min_group(self) -> int:
        """Smallest group an aggregate may describe for this viewer."""
        return MIN_GROUP if self.role == "member" else 1

    @property
    def principles(self) -> tuple[str, ...] | None:
        """Principles in scope (``None`` = all, with the composite)."""
        if self.link is not None and self.link.principles is not None:
            return tuple(sorted(self.link.principles))
        return None

    @property
    def periods(self) -> tuple[str, ...] | None:
        if self.link is not None and self.link.periods is not None:
            return tuple(sorted(self.link.periods))
        return None

    @property
    def pinned_run(self) -> int | None:
        """The one scoring run this viewer may read (a pinned link), else None (the latest)."""
        return self.link.run_id if self.link is not None else None

    @property
    def approved_only(self) -> bool:
        """A funder reads approved values only, unless its link also allows provisional ones."""
        return self.role == "funder" and not (self.link is not None and self.link.include_provisional)

    @property
    def shows_provisional_label(self) -> bool:
        """A funder whose link allows values not yet approved: every page says so."""
        return self.role == "funder" and self.link is not None and self.link.include_provisional

    def allows_page(self, page: str) -> bool:
        """The link may narrow the pages of its role further (never widen them)."""
        return self.link is None or self.link.pages is None or page in self.link.pages

    @property
    def uploader(self) -> str:
        """How uploads by this viewer are recorded (``submissions.uploaded_by``)."""
        if self.role == "member":  # the commit path types it (store.submissions.Uploader)
            return f"member:{self.org_code}"
        return f"{self.role}:{(self.name or self.role).removeprefix('account:')}"

    @property
    def scope_key(self) -> tuple:
        """Hashable and deterministic: part of every cache key of a scoped read."""
        link = self.link
        return (
            self.role,
            self.org_code,
            tuple(sorted(link.org_codes)) if link else None,
            tuple(sorted(link.principles)) if link and link.principles is not None else None,
            tuple(sorted(link.periods)) if link and link.periods is not None else None,
            tuple(sorted(link.pages)) if link and link.pages is not None else None,
            link.run_id if link else None,
            link.include_provisional if link else None,
        )
