"""The daily statistics of the uploaded videos: `videos.list(part=statistics)` in batches
of 50 ids (YouTube's limit per call, 1 unit each), appended to `youtube_video_stats` as
a time series, and a markdown table for the run's artifact.

A video YouTube no longer returns (deleted, made private by someone else) is left out
of the readings rather than recorded as zeros: a zero would read as a collapse.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from googleapiclient.discovery import Resource
from sqlalchemy import Connection, Engine, insert, select

from flows.video import quota
from flows.video.quota import UNITS
from flows.video.tables import video_jobs, video_uploads, youtube_video_stats
from flows.video.youtube import context_of, execute

BATCH = 50  # ids per videos.list call, YouTube's maximum
COUNTERS = ("views", "likes", "comments", "favorites")
_FIELDS = {
    "views": "viewCount",
    "likes": "likeCount",
    "comments": "commentCount",
    "favorites": "favoriteCount",
}


def uploaded_video_ids(conn: Connection) -> list[str]:
    """Every video id the pipeline uploaded, oldest first."""
    query = (
        select(video_uploads.c.video_id)
        .where(video_uploads.c.video_id.is_not(None))
        .order_by(video_uploads.c.completed_at, video_uploads.c.video_id)
    )
    return list(conn.execute(query).scalars())


def _count(value: Any) -> int | None:
    """YouTube sends counts as decimal strings, and leaves out hidden ones (likes)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def fetch_statistics(
    service: Resource,
    video_ids: Sequence[str],
    *,
    engine: Engine | None = None,
    channel_name: str | None = None,
) -> list[dict]:
    """One reading per video YouTube returns: `video_id`, `views`, `likes`, `comments`,
    `favorites` (ints, None when hidden) and `raw` (the statistics object).

    With `engine`, each call's units are charged to `channel_name`'s budget (the block's
    name by default) before it is made, so a large channel stops at `QuotaExhausted`
    instead of spending the day's units. Raises what `youtube.execute` raises."""
    context = context_of(service)
    channel = channel_name or context.block_name
    ids = list(dict.fromkeys(v for v in video_ids if v))  # unique, in order
    rows: list[dict] = []
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        if engine is not None:
            with engine.begin() as conn:
                quota.reserve(
                    conn,
                    channel,
                    UNITS,
                    context.budget.cost("videos.list"),
                    context.budget.unit_limit,
                )
        request = service.videos().list(part="statistics", id=",".join(batch), maxResults=BATCH)
        answer = execute(
            request, block_name=context.block_name, what=f"videos.list of {len(batch)} videos"
        )
        wanted = set(batch)
        for item in answer.get("items") or []:
            video_id = item.get("id")
            if video_id not in wanted:
                continue
            stats = item.get("statistics") or {}
            row = {"video_id": video_id, "raw": stats}
            row.update({name: _count(stats.get(field)) for name, field in _FIELDS.items()})
            rows.append(row)
    return rows


def store_statistics(conn: Connection, rows: Iterable[dict], fetched_at: datetime) -> int:
    """Append one reading per row at `fetched_at`; returns how many were stored."""
    values = [
        {
            "video_id": row["video_id"],
            "fetched_at": fetched_at,
            **{name: row.get(name) for name in COUNTERS},
            "raw": row.get("raw"),
        }
        for row in rows
    ]
    if values:
        conn.execute(insert(youtube_video_stats), values)
    return len(values)


def titles(conn: Connection, video_ids: Iterable[str]) -> dict[str, str]:
    """The job titles of uploaded videos, for the table."""
    query = (
        select(video_uploads.c.video_id, video_jobs.c.title, video_jobs.c.topic)
        .join(video_jobs, video_jobs.c.job_key == video_uploads.c.job_key)
        .where(video_uploads.c.video_id.in_(list(video_ids)))
    )
    return {vid: (title or topic or "") for vid, title, topic in conn.execute(query)}


def _cell(text: str) -> str:
    """Table cell text: a title is outside input; keep it from breaking the table."""
    return " ".join(str(text).split()).replace("|", "\\|")[:80]


def stats_markdown(
    rows: Sequence[dict], fetched_at: datetime, names: dict[str, str] | None = None
) -> str:
    """The readings as a markdown table (the analytics run's artifact), most viewed first."""
    names = names or {}
    head = f"YouTube statistics at {fetched_at.isoformat(timespec='minutes')}: {len(rows)} videos"
    if not rows:
        return head + "\n\nNo uploaded videos yet."
    lines = [
        head,
        "",
        "| Video | Title | Views | Likes | Comments | Favorites |",
        "|---|---|---:|---:|---:|---:|",
    ]
    ordered = sorted(rows, key=lambda r: (-(r.get("views") or 0), r["video_id"]))
    for row in ordered:
        counts = " | ".join("" if row.get(n) is None else str(row[n]) for n in COUNTERS)
        title = _cell(names.get(row["video_id"], ""))
        lines.append(f"| {_cell(row['video_id'])} | {title} | {counts} |")
    return "\n".join(lines)
