"""Per-token rate limiting: an in-process token bucket (``ATHAR_API_RATE_PER_MINUTE``).

Keyed by the digest of the presented token, checked before the database is asked, so a flood of
guesses costs no query either. One process, one bucket set: replicas each count their own.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    def __init__(self, per_minute: int, *, clock=time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.refill = per_minute / 60.0
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> float | None:
        """None when the request may go; else the seconds to wait before the next one."""
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(key) or _Bucket(self.capacity, now)
            bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.at) * self.refill)
            bucket.at = now
            self._buckets[key] = bucket
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return None
            return (1.0 - bucket.tokens) / self.refill

    @staticmethod
    def retry_after(wait: float) -> str:
        return str(max(1, math.ceil(wait)))
