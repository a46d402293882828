"""What the consent sites remember: requests per host name, and where the hostile site points."""

from __future__ import annotations

import threading
from collections import Counter


class ConsentState:
    """Per-host request counts (so a test can show nothing reached a host) and the port of
    the 'internal' loopback target the hostile site redirects to and loads from."""

    def __init__(self, lock: threading.RLock, default_internal_port: int) -> None:
        self.lock = lock
        self.default_internal_port = default_internal_port
        self.reset()

    def reset(self) -> None:
        """Forget the counts; the internal port goes back to its default."""
        with self.lock:
            self._hits: Counter[str] = Counter()
            self.internal_port = self.default_internal_port

    def hit(self, host: str) -> None:
        """Count one request for ``host``."""
        with self.lock:
            self._hits[host] += 1

    def hits(self) -> dict[str, int]:
        """Requests per host since the last reset."""
        with self.lock:
            return dict(self._hits)

    def set_internal_port(self, port: int) -> None:
        with self.lock:
            self.internal_port = port
