"""The fake schedule API's entries, its token and what it was asked, under the sandbox lock.

Entries are kept as the API serves them, invalid ones included: the fake does not
check what a test or the seed puts in, since the product's validation is what is tested.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

from infra.sandbox.core.clock import Clock, iso_ms


def _key(entry: Any, position: int) -> str:
    """Where an entry sits: its id, or its position for one without (the invalid kind)."""
    if isinstance(entry, dict) and entry.get("domain_config_id") not in (None, ""):
        return str(entry["domain_config_id"])
    return f"#{position}"


class CookieApiState:
    """Entries in the order served; changes to apply on a given call; the bearer token
    required (None: open); a raw body served instead of the entries; the request log."""

    def __init__(self, lock: threading.RLock, clock: Clock) -> None:
        self.lock = lock
        self.clock = clock
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.entries: list[Any] = []
            self.token: str | None = None
            self.raw: tuple[str, str] | None = None
            self.on_call: dict[int, list[Any]] = {}
            self.calls = 0
            self.auth_failures = 0
            self._requests: list[dict[str, Any]] = []

    def put(self, entries: list[Any], replace: bool) -> int:
        """Add entries; one whose id is there already replaces it in place."""
        with self.lock:
            if replace:
                self.entries = []
            self._merge(entries)
            return len(self.entries)

    def _merge(self, entries: list[Any]) -> None:
        index = {_key(e, i): i for i, e in enumerate(self.entries)}
        for entry in entries:
            key = _key(entry, -1)
            if key in index and not key.startswith("#"):
                self.entries[index[key]] = copy.deepcopy(entry)
            else:
                index[key] = len(self.entries)
                self.entries.append(copy.deepcopy(entry))

    def remove(self, ids: list[str]) -> int:
        with self.lock:
            wanted = set(ids)
            self.entries = [e for i, e in enumerate(self.entries) if _key(e, i) not in wanted]
            return len(self.entries)

    def change_on_call(self, call: int, entries: list[Any]) -> None:
        """Merge `entries` just before answering call number `call` (1 = the first)."""
        with self.lock:
            self.on_call.setdefault(call, []).extend(copy.deepcopy(entries))

    def serve(self, authorized: bool) -> tuple[list[Any] | None, tuple[str, str] | None]:
        """One GET: counted, changes due on this call applied, then the entries (or the
        raw body). (None, None) when unauthorized."""
        with self.lock:
            if not authorized:
                self.auth_failures += 1
                return None, None
            self.calls += 1
            due = self.on_call.pop(self.calls, None)
            if due:
                self._merge(due)
            return copy.deepcopy(self.entries), self.raw

    def set_token(self, token: str | None) -> None:
        with self.lock:
            self.token = token

    def set_raw(self, body: str | None, content_type: str) -> None:
        with self.lock:
            self.raw = None if body is None else (body, content_type)

    def record(self, entry: dict[str, Any]) -> None:
        with self.lock:
            self._requests.append({"at": iso_ms(self.clock.now_ms()), **entry})

    def requests(self) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(r) for r in self._requests]

    def stats(self) -> dict[str, Any]:
        with self.lock:
            return {
                "calls": self.calls,
                "auth_failures": self.auth_failures,
                "entries": len(self.entries),
                "pending_calls": sorted(self.on_call),
            }
