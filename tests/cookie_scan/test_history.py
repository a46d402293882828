"""History: the seed's statistics over a window, recent runs and one schedule's runs, the
command that prints them and the statistics artifact's markdown."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import Engine, event, insert

from flows.common.times import utcnow
from flows.cookie_scan import cli_history
from flows.cookie_scan.history import (
    by_schedule,
    per_schedule,
    recent,
    statistics,
    stats_markdown,
)
from flows.cookie_scan.tables import cookie_job_executions
from tests.cookie_scan.test_executions import add_schedule
from tests.fixtures.databases import LocalAppDb


def execution(
    engine: Engine,
    domain_config_id: str,
    status: str,
    hours_ago: float,
    seconds: float | None,
    schedule_id: str | None = None,
) -> str:
    started = utcnow() - timedelta(hours=hours_ago)
    execution_id = str(uuid.uuid4())
    with engine.begin() as conn:
        conn.execute(
            insert(cookie_job_executions).values(
                execution_id=execution_id,
                schedule_id=schedule_id,
                job_id=str(uuid.uuid4()),
                domain=f"{domain_config_id}.test",
                domain_config_id=domain_config_id,
                status=status,
                started_at=started,
                completed_at=None if status == "running" else started + timedelta(seconds=1),
                duration_seconds=seconds,
                error_message="boom" if status == "failed" else None,
                created_at=started,
            )
        )
    return execution_id


def fill(app_db: Engine) -> Engine:
    """Ten runs in the last week of two domains, and older ones outside the window."""
    for seconds in (10.0, 20.0, 30.0, 40.0):
        execution(app_db, "shop", "completed", 24, seconds)
    execution(app_db, "shop", "failed", 12, 50.0)
    execution(app_db, "shop", "skipped", 12, 0.01)  # busy: neither rate nor duration
    execution(app_db, "news", "completed", 2, 60.0)
    execution(app_db, "news", "crashed", 3, None)
    execution(app_db, "news", "failed", 1, 5.0)
    execution(app_db, "news", "running", 0.1, None)
    execution(app_db, "news", "completed", 24 * 8, 999.0)  # outside the week
    execution(app_db, "old", "failed", 24 * 30, 1.0)
    return app_db


@pytest.fixture
def week(app_db: Engine) -> Engine:
    return fill(app_db)


def test_statistics_over_a_window_count_rates_and_durations_in_one_query(week: Engine):
    queries: list[str] = []
    event.listen(week, "before_cursor_execute", lambda *a: queries.append(a[2]))
    stats = statistics(week, utcnow() - timedelta(days=7))
    assert len(queries) == 1 and "avg" in queries[0].lower()
    assert (stats.total, stats.successful, stats.failed) == (10, 5, 3)
    assert (stats.skipped, stats.running) == (1, 1)
    assert stats.success_rate == pytest.approx(100 * 5 / 8)
    # durations of the runs that scanned: completed and failed, not skipped nor crashed
    assert stats.min_duration == pytest.approx(5.0)
    assert stats.max_duration == pytest.approx(60.0)
    assert stats.avg_duration == pytest.approx((10 + 20 + 30 + 40 + 50 + 60 + 5) / 7)
    assert stats.as_dict()["total_executions"] == 10


def test_statistics_of_an_empty_window_have_no_rate_and_no_durations(app_db: Engine):
    stats = statistics(app_db, utcnow() - timedelta(days=1))
    assert (stats.total, stats.success_rate, stats.avg_duration) == (0, None, None)


def test_statistics_of_one_domain_and_per_schedule(week: Engine):
    since = utcnow() - timedelta(days=7)
    news = statistics(week, since, "news")
    assert (news.total, news.successful, news.failed, news.running) == (4, 1, 2, 1)
    rows = {s.domain_config_id: s for s in per_schedule(week, since)}
    assert set(rows) == {"shop", "news"}
    assert (rows["shop"].total, rows["shop"].successful, rows["shop"].skipped) == (6, 4, 1)
    assert [s.domain_config_id for s in per_schedule(week, since)] == ["news", "shop"]


def test_recent_runs_newest_first_filtered_by_status_and_schedule(week: Engine):
    schedule_id = add_schedule(week, "blog", "blog.test")
    mine = execution(week, "blog", "completed", 0.01, 3.0, schedule_id=schedule_id)
    newest = recent(week, utcnow() - timedelta(days=7), limit=3)
    assert [r["domain_config_id"] for r in newest] == ["blog", "news", "news"]
    assert newest[0]["started_at"].tzinfo is not None
    failed = recent(week, None, status="failed")
    assert [r["domain_config_id"] for r in failed] == ["news", "shop", "old"]
    # one schedule, by its domain config id or by its schedule id
    assert [r["execution_id"] for r in by_schedule(week, "blog")] == [mine]
    assert [r["execution_id"] for r in by_schedule(week, schedule_id)] == [mine]
    assert len(by_schedule(week, "news")) == 5


def test_the_markdown_has_the_totals_and_a_row_per_domain(week: Engine):
    now = utcnow()
    since = now - timedelta(days=7)
    text = stats_markdown(statistics(week, since), per_schedule(week, since), now)
    assert "| 10 | 5 | 3 | 1 | 1 | 62.5 % | 30.7 | 5.0 | 60.0 |" in text
    assert "| shop | shop.test | 6 | 4 | 0 | 1 |" not in text  # shop has one failure
    assert "| shop | shop.test | 6 | 4 | 1 | 1 |" in text


def run_cli(db: LocalAppDb, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli_history.main(["--db-url", db.url, *argv], out, err)
    return code, out.getvalue(), err.getvalue()


def test_the_history_command_prints_stats_recent_and_one_schedule(local_app_db: LocalAppDb):
    fill(local_app_db.engine)
    week = local_app_db
    code, out, _ = run_cli(week, "history", "stats", "--days", "7")
    assert code == 0
    assert "total 10" in out and "successful 5" in out and "failed 3" in out
    assert "success rate 62.5 %" in out and "min 5.0 s" in out and "max 60.0 s" in out

    code, out, _ = run_cli(week, "history", "recent", "--status", "failed", "--limit", "1")
    lines = out.strip().splitlines()
    assert code == 0 and len(lines) == 2 and "news" in lines[1] and "boom" in lines[1]

    code, out, _ = run_cli(week, "history", "schedule", "shop")
    assert code == 0 and len(out.strip().splitlines()) == 1 + 6

    code, out, _ = run_cli(week, "history", "stats", "--json", "--schedule", "news")
    assert code == 0 and '"total_executions": 4' in out


def test_the_history_command_refuses_a_bad_window_naming_it(local_app_db: LocalAppDb):
    code, _, err = run_cli(local_app_db, "history", "stats", "--days", "0")
    assert code == 2 and "--days" in err
