"""Volumes, API keys with their daily quota, and the search over them, under the
sandbox lock.

A search runs ``q`` as Google does for the operators the product uses: ``isbn:``,
``intitle:`` and ``inauthor:`` (quoted or not, joined by spaces or ``+``), plus free
words. Two of Google's habits can be switched on per volume or globally, because the
product must survive them: an ``isbn:`` search answering with another edition
(``answers_isbns``), and ``totalItems`` promising more than paging reaches
(``total_items_padding``).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from infra.sandbox.services.googlebooks import errors
from infra.sandbox.services.googlebooks.errors import PER_DAY, PER_MINUTE, GoogleError

MAX_RESULTS = 40
DEFAULT_RESULTS = 10
_TOKEN = re.compile(r'(?:(isbn|intitle|inauthor|inpublisher|subject):)?("[^"]*"|[^\s+"]+)', re.I)


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", plain.replace("'", "")).split())


def digits(text: str) -> str:
    return re.sub(r"[^0-9Xx]", "", text or "").upper()


def isbn13(text: str) -> str:
    """ISBN-10 to ISBN-13 (no check of the check digit: the fake compares, not validates)."""
    raw = digits(text)
    if len(raw) == 10:
        core = "978" + raw[:9]
        check = (10 - sum((3 if i % 2 else 1) * int(c) for i, c in enumerate(core)) % 10) % 10
        return core + str(check)
    return raw


@dataclass
class Key:
    daily_quota: int
    enabled: bool = True  # False: the Books API is not enabled for the key's project
    used: int = 0


@dataclass
class StoredVolume:
    """A volume and what searches compare, folded once (benchmarks hold thousands)."""

    resource: dict[str, Any]
    answers_isbns: set[str] = field(default_factory=set)  # other editions' ISBNs it answers

    def __post_init__(self) -> None:
        info = self.info
        self.isbn_set = {
            isbn13(i.get("identifier", ""))
            for i in info.get("industryIdentifiers", [])
            if i.get("type") in ("ISBN_10", "ISBN_13")
        }
        self.title_words = set(fold(f"{info.get('title', '')} {info.get('subtitle', '')}").split())
        self.author_words = [set(fold(a).split()) for a in info.get("authors", [])]
        self.all_words = self.title_words.union(*self.author_words) | set(
            fold(info.get("description", "")).split()
        )

    @property
    def info(self) -> dict[str, Any]:
        return self.resource.get("volumeInfo", {})

    def isbns(self) -> set[str]:
        return self.isbn_set


@dataclass(frozen=True)
class Query:
    isbn: list[str]
    intitle: list[str]
    inauthor: list[str]
    words: list[str]


def parse_q(q: str) -> Query:
    found: dict[str, list[str]] = {"isbn": [], "intitle": [], "inauthor": [], "words": []}
    for op, value in _TOKEN.findall(q or ""):
        value = value.strip('"')
        if not value:
            continue
        op = op.lower()
        if op in ("isbn", "intitle", "inauthor"):
            found[op].append(value)
        elif not op:
            found["words"].append(value)
    return Query(**found)


class GoogleBooksState:
    """Everything the fake Google Books holds."""

    def __init__(self, lock: threading.RLock) -> None:
        self.lock = lock
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.volumes: dict[str, StoredVolume] = {}
            self.keys: dict[str, Key] = {}
            self.latency_ms = 0
            self.total_items_padding = 0
            self.http_requests = 0
            self.api_requests = 0
            self.queries: list[str] = []
            self.pending_429: list[str] = []  # PER_DAY / PER_MINUTE, answered in order

    # --- control ------------------------------------------------------------------------------

    def add_key(self, key: str, daily_quota: int, enabled: bool = True) -> None:
        with self.lock:
            self.keys[key] = Key(daily_quota=daily_quota, enabled=enabled)

    def add_volume(self, resource: dict[str, Any], answers_isbns: list[str]) -> str:
        with self.lock:
            volume_id = resource.get("id") or f"sbx{len(self.volumes) + 1:09d}"
            resource = {
                "kind": "books#volume",
                **resource,
                "id": volume_id,
                "etag": f"etag{len(self.volumes)}",
                "selfLink": f"/books/v1/volumes/{volume_id}",
            }
            self.volumes[volume_id] = StoredVolume(resource, {isbn13(i) for i in answers_isbns})
            return volume_id

    def inject_429(self, per: str, times: int) -> None:
        if per not in (PER_DAY, PER_MINUTE):
            raise ValueError(f"per must be {PER_DAY!r} or {PER_MINUTE!r}")
        with self.lock:
            self.pending_429 += [per] * times

    def stats(self) -> dict[str, Any]:
        with self.lock:
            return {
                "http_requests": self.http_requests,
                "api_requests": self.api_requests,
                "queries": list(self.queries),
                "keys": {
                    k: {"used": v.used, "daily_quota": v.daily_quota} for k, v in self.keys.items()
                },
            }

    def count_http(self) -> None:
        with self.lock:
            self.http_requests += 1

    # --- the API ------------------------------------------------------------------------------

    def admit(self, key: str | None) -> None:
        """Check the key and count one request against its quota, or raise Google's error."""
        with self.lock:
            self.api_requests += 1
            if not key:
                raise errors.key_missing()
            found = self.keys.get(key)
            if found is None:
                raise errors.key_invalid()
            if not found.enabled:
                raise errors.service_disabled()
            if self.pending_429:
                per = self.pending_429.pop(0)
                raise errors.quota_exceeded(per, found.daily_quota if per == PER_DAY else None)
            if found.used >= found.daily_quota:
                raise errors.quota_exceeded(PER_DAY, found.daily_quota)
            found.used += 1

    def list_volumes(self, params: dict[str, str]) -> dict[str, Any]:
        """``volumes.list``: the key checked and counted, then the search."""
        q = params.get("q")
        self.admit(params.get("key"))
        if not q:
            raise errors.invalid_value("Missing query.")
        try:
            start = int(params.get("startIndex", 0))
            size = int(params.get("maxResults", DEFAULT_RESULTS))
        except ValueError as exc:
            raise errors.invalid_value(f"Invalid value: {exc}") from None
        if size > MAX_RESULTS or size < 0:
            raise errors.invalid_value(
                f"Invalid value at 'max_results' ({size}), must be between 0 and {MAX_RESULTS}"
            )
        if start < 0:
            raise errors.invalid_value("Invalid value at 'start_index'")
        with self.lock:
            self.queries.append(q)
            found = self.search(parse_q(q), params.get("langRestrict"))
            padding = self.total_items_padding if found else 0
        page = found[start : start + size]
        answer: dict[str, Any] = {"kind": "books#volumes", "totalItems": len(found) + padding}
        if page:
            answer["items"] = [v.resource for v in page]
        return answer

    def search(self, query: Query, lang: str | None) -> list[StoredVolume]:
        wanted = {isbn13(i) for i in query.isbn}
        candidates = self.volumes.values()
        if wanted:
            candidates = [v for v in candidates if wanted & (v.isbn_set | v.answers_isbns)]
        titles = [set(fold(t).split()) for t in query.intitle]
        names = [set(fold(a).split()) for a in query.inauthor]
        words = [set(fold(w).split()) for w in query.words]
        return [
            v
            for v in candidates
            if not (lang and v.info.get("language") != lang)
            and all(t <= v.title_words for t in titles)
            and all(any(a <= mine for mine in v.author_words) for a in names)
            and all(w <= v.all_words for w in words)
        ]


__all__ = ["GoogleBooksState", "GoogleError", "parse_q"]
