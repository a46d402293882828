"""The daily statistics: a time series in the app database and the run's table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from flows.video import quota
from flows.video.analytics import (
    fetch_statistics,
    stats_markdown,
    store_statistics,
    uploaded_video_ids,
)
from flows.video.quota import UNITS, QuotaExhausted
from flows.video.tables import youtube_video_stats
from flows.video.upload import upload_video
from flows.video.youtube import youtube_service
from infra.sandbox.core.client import Sandbox
from tests.video.yt_helpers import BODY, CHUNK, channel_block, new_job, video_file

CHANNEL = "youtube-channel"


@pytest.fixture
def db(local_app_db) -> Engine:
    """SQLite only: these tests are about the protocol; the SQL runs on both databases in
    the tests that take `app_db`."""
    return local_app_db.engine


def reading(video_id: str, views: int | None, likes: int | None = 1) -> dict:
    raw = {"viewCount": str(views)} if views is not None else {}
    return {
        "video_id": video_id,
        "views": views,
        "likes": likes,
        "comments": 0,
        "favorites": 0,
        "raw": raw,
    }


def test_readings_are_appended_as_a_time_series(app_db: Engine) -> None:
    first = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
    with app_db.begin() as conn:
        assert store_statistics(conn, [reading("a", 10), reading("b", 3)], first) == 2
        assert store_statistics(conn, [reading("a", 25)], first + timedelta(days=1)) == 1
        assert store_statistics(conn, [], first + timedelta(days=2)) == 0
    with app_db.connect() as conn:
        views = conn.execute(
            select(youtube_video_stats.c.views)
            .where(youtube_video_stats.c.video_id == "a")
            .order_by(youtube_video_stats.c.fetched_at)
        ).scalars()
        assert list(views) == [10, 25]


def test_the_table_lists_the_most_viewed_first_and_keeps_titles_from_breaking_it() -> None:
    at = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
    text = stats_markdown(
        [reading("low", 2), reading("top", 900, likes=None)],
        at,
        {"top": "Why | pipes\nbreak tables", "low": "Quiet"},
    )
    lines = text.splitlines()
    assert "2 videos" in lines[0]
    assert lines[4].startswith("| top | Why \\| pipes break tables | 900 |  | 0 | 0 |")
    assert lines[5].startswith("| low | Quiet | 2 | 1 |")
    assert "No uploaded videos yet." in stats_markdown([], at)


def test_statistics_are_fetched_in_batches_of_50_and_charged_before_each_call(
    sb: Sandbox, db: Engine, tmp_path: Path
) -> None:
    service = youtube_service(channel_block(sb))
    uploaded = []
    for n in range(2):
        job = new_job(db, f"{n}" * 64)
        video = video_file(tmp_path, size=1000, name=f"v{n}.mp4")
        uploaded.append(upload_video(db, service, CHANNEL, job, video, BODY, chunk_bytes=CHUNK))
    sb.youtube.set_statistics(uploaded[0], views=1234, likes=56, comments=7, favorites=0)
    with db.connect() as conn:
        assert uploaded_video_ids(conn) == uploaded
    # 49 ids YouTube does not know (deleted videos) push the list past one batch.
    ids = [*uploaded, *(f"gone{n:07d}" for n in range(49))]

    rows = fetch_statistics(service, ids, engine=db, channel_name=CHANNEL)

    assert sb.youtube.calls()["videos.list"] == 2
    by_id = {row["video_id"]: row for row in rows}
    assert set(by_id) == set(uploaded)
    assert by_id[uploaded[0]] | {"raw": None} == {
        "video_id": uploaded[0],
        "views": 1234,
        "likes": 56,
        "comments": 7,
        "favorites": 0,
        "raw": None,
    }
    assert by_id[uploaded[0]]["raw"]["viewCount"] == "1234"
    with db.connect() as conn:
        assert quota.used(conn, CHANNEL, UNITS) == 2


def test_statistics_stop_at_the_days_unit_budget(sb: Sandbox, db: Engine) -> None:
    service = youtube_service(channel_block(sb, daily_unit_limit=1))
    ids = [f"v{n:010d}" for n in range(60)]

    with pytest.raises(QuotaExhausted):
        fetch_statistics(service, ids, engine=db, channel_name=CHANNEL)

    assert sb.youtube.calls()["videos.list"] == 1
