"""Job executions: every run leaves a row with its outcome, failed and skipped runs too,
and a run that died is marked crashed by the next scan of its domain or by age."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import Engine, delete, insert, select, update

from flows.common.errors import TransientError
from flows.common.outbound import OutboundRefused
from flows.common.times import utcnow
from flows.cookie_scan.executions import (
    Execution,
    close_dead_runs,
    close_stale_runs,
    read,
)
from flows.cookie_scan.tables import cookie_job_executions, cookie_schedules


def add_schedule(engine: Engine, domain_config_id: str, domain: str) -> str:
    schedule_id = str(uuid.uuid4())
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(
            insert(cookie_schedules).values(
                schedule_id=schedule_id,
                domain_config_id=domain_config_id,
                domain=domain,
                frequency="daily",
                time_config={"hour": 2, "minute": 0},
                timezone="UTC",
                enabled=True,
                source="manual",
                content_hash="x" * 64,
                created_at=now,
                updated_at=now,
            )
        )
    return schedule_id


def schedule_row(engine: Engine, schedule_id: str) -> dict:
    with engine.connect() as conn:
        return dict(
            conn.execute(
                select(cookie_schedules).where(cookie_schedules.c.schedule_id == schedule_id)
            )
            .mappings()
            .one()
        )


def statuses(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(cookie_job_executions.c.job_id, cookie_job_executions.c.status)
        ).all()
    return dict(rows)


def test_a_completed_run_has_its_times_scan_and_metadata_and_updates_its_schedule(
    app_db: Engine,
):
    schedule_id = add_schedule(app_db, "demo-onetrust", "news-onetrust.test")
    run = Execution.open(
        app_db,
        job_id="run-1",
        domain_config_id="demo-onetrust",
        domain="news-onetrust.test",
        schedule_id=schedule_id,
        metadata={"flow_run_id": "run-1", "schedule": "domain-demo-onetrust"},
    )
    assert read(app_db, run.execution_id)["status"] == "running"
    run.complete("scan-1", summary="OneTrust, 2 cookies before consent")
    row = read(app_db, run.execution_id)
    assert row["status"] == "completed" and row["scan_id"] == "scan-1"
    assert row["schedule_id"] == schedule_id and row["job_id"] == "run-1"
    assert row["completed_at"] >= row["started_at"]
    assert row["duration_seconds"] == (row["completed_at"] - row["started_at"]).total_seconds()
    assert row["metadata"] == {
        "flow_run_id": "run-1",
        "schedule": "domain-demo-onetrust",
        "summary": "OneTrust, 2 cookies before consent",
    }
    assert row["error_message"] is None
    schedule = schedule_row(app_db, schedule_id)
    assert schedule["last_status"] == "completed" and schedule["last_run"] is not None

    run.fail(RuntimeError("late"))  # closed once: a second close changes nothing
    assert read(app_db, run.execution_id)["status"] == "completed"


def test_a_failed_run_keeps_the_error_its_causes_and_whether_it_was_permanent(app_db: Engine):
    run = Execution.open(
        app_db, job_id="run-2", domain_config_id="demo-x", domain="x.test", schedule_id=None
    )
    try:
        try:
            raise OutboundRefused("x.test resolves to 127.0.0.1, a loopback address")
        except OutboundRefused as exc:
            raise TransientError("scan could not start") from exc
    except TransientError as exc:
        run.fail(exc)
    row = read(app_db, run.execution_id)
    assert row["status"] == "failed"
    assert row["error_message"] == "TransientError: scan could not start"
    details = row["error_details"]
    assert details["type"] == "TransientError" and details["permanent"] is True
    assert "flows.common.outbound.OutboundRefused" in details["causes"]
    assert any("OutboundRefused" in line for line in details["traceback"])


def test_a_run_that_never_held_the_slot_is_written_finished_in_one_go(app_db: Engine):
    started = utcnow() - timedelta(seconds=3)
    execution_id = Execution.record(
        app_db,
        "skipped",
        job_id="run-3",
        domain_config_id="demo-tcf",
        domain="magazine-tcf.test",
        started_at=started,
        schedule_id=str(uuid.uuid4()),  # a schedule deleted meanwhile: no FK error
        error="skipped: domain busy: another scan holds the limit",
    )
    row = read(app_db, execution_id)
    assert row["status"] == "skipped" and row["schedule_id"] is None
    assert row["error_message"].startswith("skipped: domain busy")
    assert 3 <= row["duration_seconds"] < 60


def test_the_next_scan_of_a_domain_marks_its_dead_runs_crashed_and_no_other(app_db: Engine):
    def opened(job: str, domain_config_id: str) -> Execution:
        return Execution.open(
            app_db, job_id=job, domain_config_id=domain_config_id, domain=f"{domain_config_id}.test"
        )

    dead = opened("dead", "a")
    other_domain = opened("other", "b")
    current = opened("current", "a")
    assert close_dead_runs(app_db, "a", current.execution_id) == 1
    assert statuses(app_db) == {"dead": "crashed", "other": "running", "current": "running"}
    row = read(app_db, dead.execution_id)
    assert "died" in row["error_message"] and row["completed_at"] is not None
    assert other_domain.status == "running"


def test_rows_running_longer_than_the_timeout_are_marked_crashed_by_age(app_db: Engine):
    old = Execution.open(app_db, job_id="old", domain_config_id="a", domain="a.test")
    Execution.open(app_db, job_id="young", domain_config_id="b", domain="b.test")
    done = Execution.open(app_db, job_id="done", domain_config_id="c", domain="c.test")
    done.complete("scan")
    with app_db.begin() as conn:
        conn.execute(
            update(cookie_job_executions)
            .where(cookie_job_executions.c.job_id.in_(["old", "done"]))
            .values(started_at=utcnow() - timedelta(hours=1))
        )
    assert close_stale_runs(app_db, timedelta(minutes=17)) == 1
    assert statuses(app_db) == {"old": "crashed", "young": "running", "done": "completed"}
    # a run that closes its own row after being given up on still has the last word
    old.complete("scan-late")
    assert read(app_db, old.execution_id)["status"] == "completed"


def test_a_schedule_deleted_while_its_scan_runs_does_not_break_the_row(app_db: Engine):
    schedule_id = add_schedule(app_db, "gone", "gone.test")
    run = Execution.open(
        app_db, job_id="r", domain_config_id="gone", domain="gone.test", schedule_id=schedule_id
    )
    with app_db.begin() as conn:
        conn.execute(delete(cookie_schedules))
    run.complete("scan")
    assert read(app_db, run.execution_id)["status"] == "completed"
