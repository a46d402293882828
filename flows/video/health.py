"""The video pipeline's part of the health check.

Prefect's own runs already show (and notify) a failed run; what only the app database
knows is

* jobs that keep failing over the last day (one job can fail many runs; this names the
  jobs, not the runs);
* jobs whose run died in the middle (still `uploading`, `rendered`... long after the
  flow's timeout): running the same request again resumes them;
* jobs waiting for the YouTube quota's reset (a run is scheduled for each);
* today's YouTube quota: both budgets near their limit mean tomorrow's uploads wait.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select

from blocks.video import YouTubeChannel
from flows.common.db import app_engine
from flows.common.health import OK, WARNING, Check, HealthContext
from flows.common.times import as_utc
from flows.video import YOUTUBE_BLOCK
from flows.video.jobs import FAILED, RESCHEDULED, SETTLED
from flows.video.tables import video_jobs, youtube_quota_usage

J = video_jobs.c
# The create-video flow's timeout (flows.video.flow, not imported: it pulls in ffmpeg's
# and Google's modules) plus a margin; a job untouched for longer has no live run.
STALE_AFTER = timedelta(hours=4, minutes=10)
SHOWN = 5
QUOTA_ZONE = "America/Los_Angeles"
NEAR_LIMIT = 0.9


def _named(rows) -> str:
    names = ", ".join(f"{r.job_key[:12]} ({r.topic[:40]})" for r in rows[:SHOWN])
    return names + (f" and {len(rows) - SHOWN} more" if len(rows) > SHOWN else "")


def failed_jobs(engine: Engine, now: datetime, window: timedelta) -> Check:
    with engine.connect() as conn:
        rows = conn.execute(
            select(J.job_key, J.topic, J.error)
            .where(J.status == FAILED, J.updated_at >= now - window)
            .order_by(J.updated_at.desc())
        ).all()
    hours = f"{window.total_seconds() / 3600:g} h"
    if not rows:
        return Check("video jobs failed", OK, f"none in the last {hours}")
    first = (rows[0].error or "").splitlines()[0][:160] if rows[0].error else ""
    return Check(
        "video jobs failed",
        WARNING,
        f"{len(rows)} in the last {hours}: {_named(rows)}; latest: {first}",
    )


def stuck_jobs(engine: Engine, now: datetime, older_than: timedelta = STALE_AFTER) -> Check | None:
    """Jobs left mid-way by a run that is gone: a re-run of the request resumes them."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(J.job_key, J.topic, J.status)
            .where(J.status.not_in(SETTLED), J.updated_at < now - older_than)
            .order_by(J.updated_at)
        ).all()
    if not rows:
        return None
    return Check(
        "video jobs stuck",
        WARNING,
        f"{len(rows)} job(s) unfinished for more than {older_than.total_seconds() / 3600:.0f} h "
        f"(their runs died): {_named(rows)}; run the same request again to resume",
    )


def waiting_jobs(engine: Engine) -> Check | None:
    with engine.connect() as conn:
        count = conn.execute(
            select(func.count()).select_from(video_jobs).where(J.status == RESCHEDULED)
        ).scalar_one()
    if not count:
        return None
    return Check("video jobs waiting", OK, f"{count} job(s) wait for the YouTube quota's reset")


def quota_use(engine: Engine, now: datetime, channel_name: str, limits: dict[str, int]) -> Check:
    """Today's use of both budgets (`{"uploads": ..., "units": ...}` limits)."""
    day = as_utc(now).astimezone(ZoneInfo(QUOTA_ZONE)).date()
    with engine.connect() as conn:
        used = dict(
            conn.execute(
                select(youtube_quota_usage.c.bucket, youtube_quota_usage.c.used).where(
                    youtube_quota_usage.c.channel == channel_name,
                    youtube_quota_usage.c.quota_day == day,
                )
            ).all()
        )
    parts = [f"{bucket} {used.get(bucket, 0)}/{limit}" for bucket, limit in limits.items()]
    near = [b for b, limit in limits.items() if used.get(b, 0) >= NEAR_LIMIT * limit]
    detail = f"{channel_name} on {day}: " + ", ".join(parts)
    if near:
        detail += "; further uploads wait for midnight Pacific time"
    return Check("youtube quota", WARNING if near else OK, detail)


def quota_today(engine: Engine, now: datetime, channel_name: str) -> Check | None:
    """Today's quota use against the channel block's limits; None without the block."""
    try:
        channel = YouTubeChannel.load(channel_name)
    except ValueError:
        return None  # no channel configured: the workflow is not in use
    limits = {"uploads": channel.daily_upload_limit, "units": channel.daily_unit_limit}
    return quota_use(engine, now, channel_name, limits)


def video_health(
    context: HealthContext,
    youtube_block: str = YOUTUBE_BLOCK,
    failed_window_hours: float = 24,
) -> list[Check]:
    """Options (the health deployment's `workflow_options["video"]`): the channel whose
    quota is shown, and the window failed jobs are counted over."""
    engine = app_engine(context.app_db_block)
    found = [failed_jobs(engine, context.now, timedelta(hours=failed_window_hours))]
    for check in (
        stuck_jobs(engine, context.now),
        waiting_jobs(engine),
        quota_today(engine, context.now, youtube_block),
    ):
        if check is not None:
            found.append(check)
    return found
