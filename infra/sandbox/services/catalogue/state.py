"""The catalogue's feeds, its access rule and what it was asked, under the sandbox lock."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from infra.sandbox.core.clock import Clock, iso_ms
from infra.sandbox.services.catalogue.specs import AuthSpec, ItemSpec


@dataclass
class Feed:
    """One feed: its items in the order served, when it last changed, and a body that
    replaces it (a test's "not a feed at all")."""

    items: list[ItemSpec] = field(default_factory=list)
    modified_s: int = 0
    raw: tuple[str, str] | None = None  # (body, content type)


class CatalogueState:
    """Feeds by name ("listings", "top10/<genre>"), the required credentials, and the
    log of feed requests with the headers a polite client sends."""

    def __init__(self, lock: threading.RLock, clock: Clock) -> None:
        self.lock = lock
        self.clock = clock
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.feeds: dict[str, Feed] = {}
            self.auth = AuthSpec()
            self._requests: list[dict[str, Any]] = []

    def _touch(self, feed: Feed) -> None:
        """A change moves Last-Modified forward by at least a second, so a client that
        only sends If-Modified-Since (whole seconds) never misses a change."""
        feed.modified_s = max(self.clock.now(), feed.modified_s + 1)

    def put_items(self, name: str, items: list[ItemSpec], replace: bool) -> dict[str, Any]:
        with self.lock:
            feed = self.feeds.setdefault(name, Feed())
            if replace:
                feed.items = []
            for item in items:
                at = next(
                    (i for i, old in enumerate(feed.items) if item.id and old.id == item.id),
                    None,
                )
                if at is None:
                    feed.items.append(item)
                else:
                    feed.items[at] = item
            self._touch(feed)
            return self.describe(name)

    def set_raw(self, name: str, body: str | None, content_type: str) -> dict[str, Any]:
        with self.lock:
            feed = self.feeds.setdefault(name, Feed())
            feed.raw = None if body is None else (body, content_type)
            self._touch(feed)
            return self.describe(name)

    def describe(self, name: str) -> dict[str, Any]:
        with self.lock:
            feed = self.feeds[name]
            return {
                "feed": name,
                "count": len(feed.items),
                "modified": iso_ms(feed.modified_s * 1000),
                "raw": feed.raw is not None,
            }

    def snapshot(self, name: str) -> tuple[list[ItemSpec], int, tuple[str, str] | None] | None:
        with self.lock:
            feed = self.feeds.get(name)
            if feed is None:
                return None
            return list(feed.items), feed.modified_s, feed.raw

    def set_auth(self, spec: AuthSpec) -> None:
        with self.lock:
            self.auth = spec

    def record(self, entry: dict[str, Any]) -> None:
        with self.lock:
            self._requests.append(entry)

    def requests(self) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(r) for r in self._requests]
