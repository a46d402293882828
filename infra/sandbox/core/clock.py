"""Time in the sandbox: a clock that may stand still, and the timestamp formats of its APIs.

Tests need time to stand still (a camera portal lists exactly the frames before a fixed
instant) while a demo needs it to move, so a ``Clock`` is either. Stored objects also need
timestamps that never collide nor go backwards: rows seeded in one call must get distinct,
ordered ``created_time`` values, and an update must move ``last_edited_time`` forward even
within one millisecond; ``tick_ms`` gives those.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime


class Clock:
    """The wall clock, or a fixed instant once ``set``; safe to share between threads."""

    def __init__(self, fixed_ms: int | None = None) -> None:
        self._lock = threading.Lock()
        self._fixed_ms = fixed_ms
        self._last_tick_ms = 0

    @property
    def fixed(self) -> bool:
        """True while the clock stands still."""
        return self._fixed_ms is not None

    def set(self, fixed_ms: int | None) -> None:
        """Stand still at ``fixed_ms`` (epoch ms), or follow the wall clock again with None."""
        with self._lock:
            self._fixed_ms = fixed_ms

    def now_ms(self) -> int:
        """Epoch milliseconds."""
        fixed = self._fixed_ms
        return fixed if fixed is not None else int(time.time() * 1000)

    def now(self) -> int:
        """Epoch seconds, floored: something made at 10 s exists at 10.7 s."""
        return self.now_ms() // 1000

    def tick_ms(self) -> int:
        """``now_ms``, but strictly greater than every tick handed out before."""
        with self._lock:
            self._last_tick_ms = max(self.now_ms(), self._last_tick_ms + 1)
            return self._last_tick_ms


def iso_ms(ms: int) -> str:
    """Format epoch milliseconds as Notion does: ``2025-01-01T08:00:00.000Z``."""
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def parse_iso_ms(value: str) -> int:
    """Parse an ISO 8601 date or datetime (``Z`` or offset; naive means UTC) to epoch ms."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)
