"""The scanner's health findings: a sync that stopped, scans that keep failing, and
execution rows left running by runs that died."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine

from flows.common.health import OK, WARNING, HealthContext
from flows.common.times import utcnow
from flows.cookie_scan.health import (
    abandoned_runs,
    failed_scans,
    sync_freshness,
)
from flows.cookie_scan.workflow import WORKFLOW
from tests.cookie_scan.test_executions import add_schedule
from tests.cookie_scan.test_history import execution

FIVE_MINUTES = timedelta(minutes=5)


def test_a_sync_older_than_its_intervals_is_stale():
    now = utcnow()
    fresh = sync_freshness(now - timedelta(minutes=4), now, FIVE_MINUTES, 2, schedules=6)
    assert fresh.status == OK and "6 schedule(s)" in fresh.detail
    stale = sync_freshness(now - timedelta(minutes=11), now, FIVE_MINUTES, 2, schedules=6)
    assert stale.status == WARNING and stale.detail.startswith("stale: ")
    assert "11 min ago" in stale.detail


def test_never_synced_is_a_warning_only_when_schedules_exist():
    now = utcnow()
    assert sync_freshness(None, now, FIVE_MINUTES, 2, schedules=0).status == OK
    unsynced = sync_freshness(None, now, FIVE_MINUTES, 2, schedules=3)
    assert unsynced.status == WARNING and "no completed sync" in unsynced.detail


def test_failed_and_crashed_scans_of_the_last_day_are_named_by_domain(app_db: Engine):
    now = utcnow()
    assert failed_scans(app_db, now, timedelta(hours=24)).status == OK
    execution(app_db, "news", "failed", 2, 5.0)
    execution(app_db, "news", "crashed", 3, None)
    execution(app_db, "shop", "failed", 20, 5.0)
    execution(app_db, "shop", "completed", 1, 5.0)
    execution(app_db, "blog", "failed", 30, 5.0)  # older than the window
    check = failed_scans(app_db, now, timedelta(hours=24))
    assert check.status == WARNING
    assert check.detail.startswith("3 in the last 24 h: news (2), shop (1);")
    assert "blog" not in check.detail


def test_rows_running_past_the_timeout_are_reported(app_db: Engine):
    now = utcnow()
    execution(app_db, "news", "running", 0.1, None)  # a scan under way
    assert abandoned_runs(app_db, now, timedelta(minutes=17)) is None
    execution(app_db, "shop", "running", 1, None)
    check = abandoned_runs(app_db, now, timedelta(minutes=17))
    assert check.status == WARNING and check.detail.startswith("1 execution(s)")
    assert "(shop)" in check.detail and "17 min timeout" in check.detail


def test_the_declared_check_runs_against_the_app_db_block(local_app_db, app_db_block):
    add_schedule(local_app_db.engine, "demo-tcf", "magazine-tcf.test")
    execution(local_app_db.engine, "demo-tcf", "failed", 1, 3.0)
    context = HealthContext(app_db_block, utcnow())
    found = {c.name: c for c in WORKFLOW.checks(context)}
    # the harness has no sync deployment: nothing to judge there
    assert found["cookie schedule sync"].status == OK
    assert "not deployed" in found["cookie schedule sync"].detail
    assert found["cookie scans failed"].status == WARNING
    assert "demo-tcf (1)" in found["cookie scans failed"].detail
