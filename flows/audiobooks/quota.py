"""The daily request budget of a Google Books API key, counted in the app database.

Google's free quota is 1,000 requests a day per project, and its day starts at midnight
Pacific time, so the budget's day does too. A request is counted BEFORE it is sent, by
one conditional UPDATE (`requests < budget`), so two runs at once can never spend more
than the budget between them. When Google itself says the day is spent (a per-day 429),
`exhausted_at` is set and nothing more is asked that day, whatever the count says.
The key is never stored: its row is named by a short hash.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from flows.audiobooks.tables import audiobook_api_usage
from flows.common.errors import PermanentError
from flows.common.times import utcnow

GOOGLE_QUOTA_ZONE = ZoneInfo("America/Los_Angeles")


class QuotaExhausted(PermanentError):
    """The key's requests for today are spent (our budget, or Google said so): stop for
    the day. Never retried: retrying into a daily quota only burns tomorrow's."""


def quota_day(now: datetime | None = None) -> date:
    """Google's quota day of an instant (midnight to midnight, Pacific time)."""
    return (now or utcnow()).astimezone(GOOGLE_QUOTA_ZONE).date()


def key_id(api_key: str) -> str:
    """What the usage table stores instead of the key."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:16]


class Budget:
    """One key's budget; `reserve()` before every request."""

    def __init__(self, engine: Engine, api_key: str, daily_quota: int, block_name: str) -> None:
        self.engine = engine
        self.key_id = key_id(api_key)
        self.daily_quota = daily_quota
        self.block_name = block_name

    def reserve(self, now: datetime | None = None) -> None:
        """Count one request of today, or raise QuotaExhausted when the day is spent."""
        day = quota_day(now)
        row = audiobook_api_usage.c
        condition = (
            (row.key_id == self.key_id)
            & (row.day == day)
            & (row.requests < self.daily_quota)
            & row.exhausted_at.is_(None)
        )
        for _ in range(2):
            with self.engine.begin() as conn:
                counted = conn.execute(
                    update(audiobook_api_usage)
                    .where(condition)
                    .values(requests=audiobook_api_usage.c.requests + 1)
                ).rowcount
                if counted:
                    return
                exists = conn.execute(
                    select(row.requests).where((row.key_id == self.key_id) & (row.day == day))
                ).first()
                if exists is not None:
                    break
                try:
                    with conn.begin_nested():
                        conn.execute(
                            insert(audiobook_api_usage).values(
                                key_id=self.key_id, day=day, requests=1
                            )
                        )
                    return
                except IntegrityError:  # another run made today's row a moment ago
                    continue
        raise QuotaExhausted(
            f"{self.block_name} block: the daily budget of {self.daily_quota} requests "
            f"for {day} (Pacific time) is spent"
        )

    def mark_exhausted(self, now: datetime | None = None) -> None:
        """Google said today's quota is spent: ask nothing more until its next day."""
        moment = now or utcnow()
        day = quota_day(moment)
        with self.engine.begin() as conn:
            done = conn.execute(
                update(audiobook_api_usage)
                .where(
                    (audiobook_api_usage.c.key_id == self.key_id)
                    & (audiobook_api_usage.c.day == day)
                )
                .values(exhausted_at=moment)
            ).rowcount
            if not done:
                try:
                    with conn.begin_nested():
                        conn.execute(
                            insert(audiobook_api_usage).values(
                                key_id=self.key_id, day=day, requests=0, exhausted_at=moment
                            )
                        )
                except IntegrityError:
                    pass

    def used(self, now: datetime | None = None) -> int:
        """Requests counted today."""
        with self.engine.connect() as conn:
            found = conn.execute(
                select(audiobook_api_usage.c.requests).where(
                    (audiobook_api_usage.c.key_id == self.key_id)
                    & (audiobook_api_usage.c.day == quota_day(now))
                )
            ).scalar()
        return int(found or 0)
