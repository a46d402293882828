"""The daily statistics: a time series in the app database and the run's table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select

from flows.video.analytics import stats_markdown, store_statistics
from flows.video.tables import youtube_video_stats


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
