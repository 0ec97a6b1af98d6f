"""Peer groups and the small-group rule (methodology §8), declared once.

A member sees other organisations only as aggregates over groups of at least ``MIN_GROUP``
organisations; the groups are the whole network and the organisations sharing a region, a kind,
a size band or a thematic area.
"""

from __future__ import annotations

from typing import Literal

#: Smallest group of organisations whose aggregate a member may see.
MIN_GROUP = 5

GroupBy = Literal["network", "region", "kind", "size_band", "thematic_area"]
#: Every peer grouping, in the order pages list them.
GROUPS: tuple[GroupBy, ...] = ("network", "region", "kind", "size_band", "thematic_area")
