"""Task-record retention: old records go in batches, recent ones and failed attempts stay."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, event, func, insert, select

from flows.audiobooks.cleanup import cleanup_tasks
from flows.audiobooks.tables import audiobook_failed_attempts, audiobook_tasks
from flows.audiobooks.taskrecords import JobRun
from flows.common.params import ParameterError
from flows.common.times import utcnow


def record(engine: Engine, days_ago: float, status: str = "completed") -> int:
    started = utcnow() - timedelta(days=days_ago)
    with engine.begin() as conn:
        return conn.execute(
            insert(audiobook_tasks)
            .values(
                task_name="source-sync",
                status=status,
                actual_start=started,
                actual_end=started + timedelta(seconds=5),
                duration_seconds=5.0,
            )
            .returning(audiobook_tasks.c.id)
        ).scalar_one()


def failed_attempt(engine: Engine, task_id: int, days_ago: float) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(audiobook_failed_attempts).values(
                task_id=task_id,
                task_name="source-sync",
                item="Andy Weir/Artemis/metadata.opf",
                error="not well-formed XML",
                attempted_at=utcnow() - timedelta(days=days_ago),
            )
        )


def task_ids(engine: Engine) -> set[int]:
    with engine.connect() as conn:
        return set(conn.execute(select(audiobook_tasks.c.id)).scalars())


def failed_attempts(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(
            select(func.count()).select_from(audiobook_failed_attempts)
        ).scalar_one()


def test_old_records_go_in_batches_and_recent_ones_and_every_failed_attempt_stay(
    app_db: Engine,
):
    old = [record(app_db, 31 + i) for i in range(7)]
    old.append(record(app_db, 45, status="running"))  # a run that died without closing it
    recent = [record(app_db, 29.5), record(app_db, 1), record(app_db, 0.1, status="failed")]
    for task_id in (old[0], old[3], recent[2]):
        failed_attempt(app_db, task_id, days_ago=40)
    deletes: list[str] = []

    def count_deletes(conn, cursor, statement, *_):
        if statement.lstrip().upper().startswith("DELETE"):
            deletes.append(statement)

    event.listen(app_db, "before_cursor_execute", count_deletes)
    run = JobRun(app_db, "task-cleanup")
    outcome = cleanup_tasks(app_db, run, keep_days=30, batch_size=3)
    run.complete()
    event.remove(app_db, "before_cursor_execute", count_deletes)

    assert task_ids(app_db) == {*recent, run.id}
    assert len(deletes) == 3  # 8 records, 3 per batch
    assert failed_attempts(app_db) == 3
    assert outcome.data == {"deleted": 8, "batches": 3, "failed_attempts_kept": 3}
    assert outcome.summary == (
        "deleted 8 task record(s) older than 30 days in 3 batch(es); 3 failed attempt(s) kept"
    )
    assert (run.processed, run.succeeded) == (8, 8)


def test_nothing_to_delete(app_db: Engine):
    recent = record(app_db, 2)
    run = JobRun(app_db, "task-cleanup")
    outcome = cleanup_tasks(app_db, run)
    assert outcome.data["deleted"] == 0
    assert task_ids(app_db) == {recent, run.id}


@pytest.mark.parametrize(("keep_days", "batch_size"), [(0.5, 500), (30, 0)])
def test_bad_parameters_are_refused_before_anything_is_deleted(local_app_db, keep_days, batch_size):
    run = JobRun(local_app_db.engine, "task-cleanup")
    with pytest.raises(ParameterError):
        cleanup_tasks(local_app_db.engine, run, keep_days=keep_days, batch_size=batch_size)
    assert task_ids(local_app_db.engine) == {run.id}
