"""Google Books answers kept for `cache_days`, keyed by a hash of the request.

A run inside the window asks Google nothing: the answer a book's search got last time
is read back (in bulk, for a whole run at once) and matched again. The API key is not
part of the request's hash, so a new key does not empty the cache.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select
from sqlalchemy.exc import IntegrityError

from flows.audiobooks.tables import audiobook_google_cache
from flows.common.times import utcnow

_IN_CLAUSE = 500  # keys per SELECT ... IN


def request_key(params: Mapping[str, Any]) -> str:
    """The hash of a request's parameters (the key left out)."""
    clean = {k: v for k, v in sorted(params.items()) if k != "key" and v is not None}
    return hashlib.sha256(json.dumps(clean, sort_keys=True).encode()).hexdigest()


class AnswerCache:
    def __init__(self, engine: Engine, days: float) -> None:
        self.engine = engine
        self.days = days

    def get_many(self, keys: Iterable[str], now: datetime | None = None) -> dict[str, dict]:
        """The answers still valid at `now`, by request key."""
        moment = now or utcnow()
        wanted = list(dict.fromkeys(keys))
        found: dict[str, dict] = {}
        table = audiobook_google_cache.c
        with self.engine.connect() as conn:
            for start in range(0, len(wanted), _IN_CLAUSE):
                rows = conn.execute(
                    select(table.query_key, table.answer).where(
                        table.query_key.in_(wanted[start : start + _IN_CLAUSE])
                        & (table.expires_at > moment)
                    )
                )
                found.update({r.query_key: r.answer for r in rows})
        return found

    def get(self, key: str, now: datetime | None = None) -> dict | None:
        return self.get_many([key], now).get(key)

    def put(self, key: str, query: str, answer: dict, now: datetime | None = None) -> None:
        with self.engine.begin() as conn:
            self.store(conn, key, query, answer, now)

    def store(
        self, conn: Connection, key: str, query: str, answer: dict, now: datetime | None = None
    ) -> None:
        """`put` inside the caller's transaction (one commit for the answer and its use)."""
        moment = now or utcnow()
        row = {
            "query_key": key,
            "query": query,
            "answer": answer,
            "fetched_at": moment,
            "expires_at": moment + timedelta(days=self.days),
        }
        try:
            with conn.begin_nested():
                conn.execute(
                    delete(audiobook_google_cache).where(audiobook_google_cache.c.query_key == key)
                )
                conn.execute(insert(audiobook_google_cache).values(**row))
        except IntegrityError:  # another lookup stored the same answer a moment ago
            pass

    def purge(self, now: datetime | None = None) -> int:
        """Drop expired answers; returns how many."""
        with self.engine.begin() as conn:
            return conn.execute(
                delete(audiobook_google_cache).where(
                    audiobook_google_cache.c.expires_at <= (now or utcnow())
                )
            ).rowcount
