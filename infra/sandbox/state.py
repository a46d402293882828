"""In-memory state shared by every fake service of the sandbox.

All routers mutate one ``SandboxState``. Handlers run both on the event loop and in the
threadpool, so every read-modify-write goes through ``state.lock`` (a re-entrant lock, held
only for short, non-blocking sections). Nothing is persisted: ``reset()`` wipes everything so
each test starts clean.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from infra.sandbox.camera import CameraPortal

#: How many request-log entries are kept; old ones fall off so a long demo cannot grow memory.
REQUEST_LOG_LIMIT = 20_000
#: Control API prefix; these requests are never faulted nor logged.
CONTROL_PREFIX = "/_sandbox"


def is_control_path(path: str) -> bool:
    """True for ``/_sandbox`` and everything below it."""
    return path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/")


def iso_ms(ms: int) -> str:
    """Format epoch milliseconds the way Notion does: ``2025-01-01T08:00:00.000Z``."""
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


@dataclass
class PropertySchema:
    """One column of a data source. ``options``/``groups`` only matter for status/select."""

    id: str
    name: str
    type: str
    options: list[dict[str, Any]] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class NotionDatabase:
    """A database with exactly one data source (the common case since API 2025-09-03)."""

    id: str
    data_source_id: str
    token: str
    title: str
    schema: dict[str, PropertySchema]
    created_ms: int
    last_edited_ms: int
    parent_page_id: str


@dataclass
class NotionPage:
    """A row. ``values`` maps property name to the inner API value (e.g. a rich-text list)."""

    id: str
    database_id: str
    created_ms: int
    last_edited_ms: int
    values: dict[str, Any]
    in_trash: bool = False
    history: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class FaultRule:
    """A fault-injection rule; see ``infra.sandbox.faults`` for how it is applied."""

    id: str
    path: str
    pattern: re.Pattern[str]
    method: str | None = None
    status: int | None = None
    retry_after: int | None = None
    delay_ms: int | None = None
    malformed: bool = False
    times: int | None = None
    code: str | None = None
    hits: int = 0

    def active(self) -> bool:
        """A rule stops applying once it has been used ``times`` times."""
        return self.times is None or self.hits < self.times

    def matches(self, method: str, path: str) -> bool:
        """Method (case-insensitive, ``None`` = any) and ``re.search`` on the path."""
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.pattern.search(path) is not None

    def to_json(self) -> dict[str, Any]:
        """Shape returned by ``GET /_sandbox/faults``."""
        return {
            "id": self.id,
            "path": self.path,
            "method": self.method,
            "status": self.status,
            "retry_after": self.retry_after,
            "delay_ms": self.delay_ms,
            "malformed": self.malformed,
            "times": self.times,
            "code": self.code,
            "hits": self.hits,
            "active": self.active(),
        }


@dataclass
class RequestRecord:
    """One entry of the request log (everything except control-API calls)."""

    seq: int
    method: str
    path: str
    query: str
    status: int | None
    at_ms: int
    duration_ms: float
    fault_id: str | None
    aborted: bool
    range: str | None

    def to_json(self) -> dict[str, Any]:
        """Shape returned by ``GET /_sandbox/requests``."""
        return {
            "seq": self.seq,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "status": self.status,
            "at": iso_ms(self.at_ms),
            "duration_ms": round(self.duration_ms, 1),
            "fault_id": self.fault_id,
            "aborted": self.aborted,
            "range": self.range,
        }


class SandboxState:
    """Everything the sandbox remembers. ``base_url`` is the sandbox's own public URL."""

    def __init__(self, base_url: str | None = None) -> None:
        self.lock = threading.RLock()
        self.base_url = base_url
        self._last_ms = 0
        self.reset()

    def reset(self) -> None:
        """Forget all services' data, fault rules and logs (``base_url`` is kept)."""
        with self.lock:
            self.databases: dict[str, NotionDatabase] = {}
            self.data_sources: dict[str, str] = {}  # data source id -> database id
            self.pages: dict[str, NotionPage] = {}
            self.faults: list[FaultRule] = []
            self.requests: deque[RequestRecord] = deque(maxlen=REQUEST_LOG_LIMIT)
            self.webhooks: dict[str, list[dict[str, Any]]] = {}
            self.camera: CameraPortal | None = None
            self._request_seq = 0
            self._fault_seq = 0

    def now_ms(self) -> int:
        """Wall-clock epoch ms, but strictly increasing across calls.

        Rows seeded in one call must get distinct, ordered ``created_time`` values, and an
        update must always move ``last_edited_time`` forward, even within one millisecond.
        """
        with self.lock:
            self._last_ms = max(int(time.time() * 1000), self._last_ms + 1)
            return self._last_ms

    def add_fault(self, rule: FaultRule) -> FaultRule:
        """Append a rule (rules are evaluated in insertion order); assigns its id."""
        with self.lock:
            self._fault_seq += 1
            rule.id = f"fault-{self._fault_seq}"
            self.faults.append(rule)
            return rule

    def take_fault(self, method: str, path: str) -> FaultRule | None:
        """Return the first active matching rule and count one use of it, atomically."""
        with self.lock:
            for rule in self.faults:
                if rule.active() and rule.matches(method, path):
                    rule.hits += 1
                    return rule
            return None

    def log_request(self, **fields: Any) -> None:
        """Append one request-log entry (see ``RequestRecord`` for the fields)."""
        with self.lock:
            self._request_seq += 1
            self.requests.append(RequestRecord(seq=self._request_seq, **fields))
