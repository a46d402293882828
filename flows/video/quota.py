"""YouTube's two daily budgets per channel, counted in the app database.

YouTube counts `videos.insert` in a bucket of its own (100 calls a day by default) and
every other call in units (10,000 a day; `thumbnails.set` 50, `videos.list` 1), and its
day starts at midnight Pacific time. A call is charged BEFORE it is sent, by one
conditional UPDATE (`used + amount <= limit`), so two runs at once never spend more than
the budget between them and an upload that would exceed the day is never started (the
flow reschedules it after `next_reset`). When YouTube itself says a budget is spent
(`quotaExceeded`, `uploadLimitExceeded`), `exhaust()` fills the bucket so nothing more is
asked that day: retrying into a daily quota only burns tomorrow's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from flows.common.errors import PermanentError
from flows.common.times import utcnow
from flows.video.tables import youtube_quota_usage

if TYPE_CHECKING:
    from blocks.video import YouTubeChannel

QUOTA_ZONE = ZoneInfo("America/Los_Angeles")
UPLOADS = "uploads"  # videos.insert calls
UNITS = "units"  # every other call, by its cost
BUCKETS = (UPLOADS, UNITS)
# YouTube's published defaults, for a service not built from a block.
DEFAULT_UPLOAD_LIMIT = 100
DEFAULT_UNIT_LIMIT = 10_000
DEFAULT_UNIT_COSTS = {"thumbnails.set": 50, "videos.list": 1}


class QuotaExhausted(PermanentError):
    """A day's budget is spent (ours, or YouTube said so). Not retried by Prefect: the run
    is rescheduled at `reset_at`, the next midnight Pacific time."""

    def __init__(self, message: str, *, channel: str, bucket: str, reset_at: datetime) -> None:
        super().__init__(message)
        self.channel = channel
        self.bucket = bucket
        self.reset_at = reset_at


@dataclass(frozen=True)
class Budget:
    """A channel's limits and costs (from its block), what `reserve()` is called with."""

    upload_limit: int = DEFAULT_UPLOAD_LIMIT
    unit_limit: int = DEFAULT_UNIT_LIMIT
    unit_costs: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_UNIT_COSTS))

    @classmethod
    def of(cls, channel: YouTubeChannel) -> Budget:
        return cls(channel.daily_upload_limit, channel.daily_unit_limit, dict(channel.unit_costs))

    def cost(self, method: str) -> int:
        """Units a call costs; a method the block does not price costs YouTube's usual 1."""
        return int(self.unit_costs.get(method, 1))


def quota_day(now: datetime | None = None) -> date:
    """YouTube's quota day of an instant (midnight to midnight, Pacific time)."""
    return (now or utcnow()).astimezone(QUOTA_ZONE).date()


def next_reset(now: datetime | None = None) -> datetime:
    """The next midnight Pacific time after `now`, in UTC: when a spent budget is whole
    again (8:00 or 7:00 UTC depending on daylight saving time)."""
    following = quota_day(now) + timedelta(days=1)
    return datetime.combine(following, time(0), tzinfo=QUOTA_ZONE).astimezone(UTC)


def _row(channel: str, bucket: str, day: date):
    c = youtube_quota_usage.c
    return (c.channel == channel) & (c.quota_day == day) & (c.bucket == bucket)


def used(conn: Connection, channel: str, bucket: str, *, now: datetime | None = None) -> int:
    """What `bucket` of `channel` has spent on the quota day of `now`."""
    found = conn.execute(
        select(youtube_quota_usage.c.used).where(_row(channel, bucket, quota_day(now)))
    ).scalar()
    return int(found or 0)


def reserve(
    conn: Connection,
    channel: str,
    bucket: str,
    amount: int,
    limit: int,
    *,
    now: datetime | None = None,
) -> int:
    """Charge `amount` to today's `bucket` before the call it pays for, or raise
    `QuotaExhausted` (charging nothing) when that would exceed `limit`. Returns what the
    bucket has spent today, this call included.

    Runs in the caller's transaction: commit it before making the call, so the charge
    holds even when the process dies during the call (a call YouTube may have counted).
    """
    if bucket not in BUCKETS:
        raise ValueError(f"unknown quota bucket {bucket!r} (one of {BUCKETS})")
    moment = now or utcnow()
    day = quota_day(moment)
    c = youtube_quota_usage.c
    for _ in range(2):
        charged = conn.execute(
            update(youtube_quota_usage)
            .where(_row(channel, bucket, day) & (c.used + amount <= limit))
            .values(used=c.used + amount, updated_at=moment)
        ).rowcount
        if charged:
            return used(conn, channel, bucket, now=moment)
        if conn.execute(select(c.used).where(_row(channel, bucket, day))).first() is not None:
            break  # today's row exists and has no room
        if amount > limit:
            break
        try:
            with conn.begin_nested():
                conn.execute(
                    insert(youtube_quota_usage).values(
                        channel=channel,
                        quota_day=day,
                        bucket=bucket,
                        used=amount,
                        updated_at=moment,
                    )
                )
            return amount
        except IntegrityError:  # another run made today's row a moment ago
            continue
    reset = next_reset(moment)
    spent = used(conn, channel, bucket, now=moment)
    raise QuotaExhausted(
        f"YouTube channel {channel!r}: the {bucket} budget of {day} (Pacific time) has "
        f"{max(limit - spent, 0)} of {limit} left, {amount} needed; it resets at "
        f"{reset.isoformat()}",
        channel=channel,
        bucket=bucket,
        reset_at=reset,
    )


def exhaust(
    conn: Connection, channel: str, bucket: str, limit: int, *, now: datetime | None = None
) -> datetime:
    """YouTube said `bucket` is spent for today: fill it so nothing more is asked before
    the reset, whatever our count said (another client of the channel may have spent it).
    Returns the reset time."""
    moment = now or utcnow()
    day = quota_day(moment)
    c = youtube_quota_usage.c
    done = conn.execute(
        update(youtube_quota_usage)
        .where(_row(channel, bucket, day) & (c.used < limit))
        .values(used=limit, updated_at=moment)
    ).rowcount
    if not done and conn.execute(select(c.used).where(_row(channel, bucket, day))).first() is None:
        try:
            with conn.begin_nested():
                conn.execute(
                    insert(youtube_quota_usage).values(
                        channel=channel, quota_day=day, bucket=bucket, used=limit, updated_at=moment
                    )
                )
        except IntegrityError:  # made meanwhile: fill it
            conn.execute(
                update(youtube_quota_usage)
                .where(_row(channel, bucket, day) & (c.used < limit))
                .values(used=limit, updated_at=moment)
            )
    return next_reset(moment)
