"""Deliveries received per webhook name, oldest first, under the sandbox lock."""

from __future__ import annotations

import threading
from typing import Any


class WebhookState:
    """What each ``POST /webhooks/{name}`` delivered."""

    def __init__(self, lock: threading.RLock) -> None:
        self.lock = lock
        self.reset()

    def reset(self) -> None:
        """Forget every delivery."""
        with self.lock:
            self._deliveries: dict[str, list[dict[str, Any]]] = {}

    def record(self, delivery: dict[str, Any]) -> None:
        """Keep one delivery under its ``name``."""
        with self.lock:
            self._deliveries.setdefault(delivery["name"], []).append(delivery)

    def deliveries(self, name: str) -> list[dict[str, Any]]:
        """Copies of the deliveries received for ``name`` (oldest first)."""
        with self.lock:
            return [dict(d) for d in self._deliveries.get(name, [])]
