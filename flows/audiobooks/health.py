"""The audiobook library's part of the health check: each job's last task record.

Prefect's own runs already show a failed run; what only the task records know is a
job whose last run failed *items* (counted, not raised), and a review list that
nobody works through.
"""

from __future__ import annotations

from sqlalchemy import func, select

from flows.audiobooks.tables import audiobook_reviews, audiobook_tasks
from flows.common.db import app_engine
from flows.common.health import OK, WARNING, Check, HealthContext


def last_runs(context: HealthContext) -> list[Check]:
    """One finding per job that has run, and one for the review list."""
    engine = app_engine(context.app_db_block)
    latest = (
        select(audiobook_tasks.c.task_name, func.max(audiobook_tasks.c.id).label("id"))
        .where(audiobook_tasks.c.status != "skipped")
        .group_by(audiobook_tasks.c.task_name)
        .subquery()
    )
    with engine.connect() as conn:
        rows = conn.execute(
            select(audiobook_tasks).join(latest, audiobook_tasks.c.id == latest.c.id)
        ).mappings()
        checks = [_judge(row) for row in sorted(rows, key=lambda r: r["task_name"])]
        waiting = conn.execute(
            select(func.count())
            .select_from(audiobook_reviews)
            .where(audiobook_reviews.c.resolution.is_(None))
        ).scalar_one()
    if waiting:
        checks.append(
            Check(
                "audiobook reviews",
                OK,
                f"{waiting} match(es) wait for review: python -m flows.audiobooks.cli review list",
            )
        )
    return checks


def _judge(row) -> Check:
    name = f"audiobook {row['task_name']}"
    counts = f"{row['items_succeeded']} ok, {row['items_failed']} failed"
    if row["status"] == "failed":
        return Check(name, WARNING, f"last run failed: {(row['error_message'] or '')[:200]}")
    if row["status"] == "running":
        return Check(name, OK, f"running since {row['actual_start']:%Y-%m-%d %H:%M}")
    if row["items_failed"]:
        return Check(name, WARNING, f"last run {counts}: see failed attempts")
    return Check(name, OK, f"last run {counts}")
