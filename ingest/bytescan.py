"""Byte positions found by vectorised scans, block by block (the CSV parser and the damage scan)."""

from __future__ import annotations

import numpy as np

#: Bytes compared at a time by the vectorised scans.
SCAN_BLOCK = 1 << 20


def find_bytes(a: np.ndarray, values: tuple[int, ...]) -> list[np.ndarray]:
    """Positions of each byte value, scanning block by block: one pass, cache-sized temporaries
    (file-sized ones cost more in page faults than in comparisons)."""
    found: list[list[np.ndarray]] = [[] for _ in values]
    mask = np.empty(min(SCAN_BLOCK, a.size), dtype=bool)
    for start in range(0, a.size, SCAN_BLOCK):
        block = a[start : start + SCAN_BLOCK]
        hit = mask[: block.size]
        for positions, value in zip(found, values, strict=True):
            np.equal(block, value, out=hit)
            where = np.flatnonzero(hit)
            if where.size:
                positions.append(where + start)
    return [np.concatenate(p) if p else np.empty(0, dtype=np.int64) for p in found]

