"""The seed's task records and failed attempts: what every job run writes.

A job run opens its record as `running` before it does anything, counts items as
they finish, writes a failed attempt the moment an item fails (so a crash later
in the run loses none), and closes the record `completed`, `failed` or
`skipped`. Prefect keeps run history too, but for a while; these rows are the
library's own account, and `python -m flows.audiobooks.cli tasks` reads them.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, func, insert, select, update

from flows.audiobooks.tables import audiobook_failed_attempts, audiobook_tasks
from flows.common.db import delete_before
from flows.common.times import as_utc, utcnow

LOG_LIMIT = 20_000  # characters of log_output kept per record; the rest is in Prefect's logs
ERROR_LIMIT = 2_000


class JobRun:
    """One run of a job, as its task record sees it."""

    def __init__(
        self,
        engine: Engine,
        task_name: str,
        *,
        flow_run_id: str | None = None,
        scheduled_start: datetime | None = None,
    ) -> None:
        self.engine = engine
        self.task_name = task_name
        self.flow_run_id = flow_run_id
        self.started = utcnow()
        self.processed = self.succeeded = self.failed = 0
        self._log: list[str] = []
        with engine.begin() as conn:
            self.id: int = conn.execute(
                insert(audiobook_tasks)
                .values(
                    task_name=task_name,
                    status="running",
                    flow_run_id=flow_run_id,
                    scheduled_start=scheduled_start,
                    actual_start=self.started,
                )
                .returning(audiobook_tasks.c.id)
            ).scalar_one()

    def log(self, line: str) -> None:
        """A line of the record's log_output (the job's own account, not Prefect's)."""
        self._log.append(line)

    def ok(self, count: int = 1) -> None:
        self.processed += count
        self.succeeded += count

    def failure(self, item: str, error: BaseException | str) -> None:
        """An item failed: counted, and written to failed attempts at once."""
        self.processed += 1
        self.failed += 1
        text = _error_text(error)
        self.log(f"failed: {item}: {text}")
        with self.engine.begin() as conn:
            conn.execute(
                insert(audiobook_failed_attempts).values(
                    task_id=self.id,
                    task_name=self.task_name,
                    flow_run_id=self.flow_run_id,
                    item=item[:1000],
                    error=text,
                    attempted_at=utcnow(),
                )
            )

    def complete(self) -> None:
        self._close("completed")

    def fail(self, error: BaseException | str) -> None:
        self._close("failed", _error_text(error))

    def skip(self, reason: str) -> None:
        self.log(f"skipped: {reason}")
        self._close("skipped", None)

    def _close(self, status: str, error: str | None = None) -> None:
        end = utcnow()
        text = "\n".join(self._log)
        if len(text) > LOG_LIMIT:
            text = text[: LOG_LIMIT - 40] + f"\n... ({len(self._log)} lines in all)"
        with self.engine.begin() as conn:
            conn.execute(
                update(audiobook_tasks)
                .where(audiobook_tasks.c.id == self.id)
                .values(
                    status=status,
                    actual_end=end,
                    duration_seconds=(end - self.started).total_seconds(),
                    items_processed=self.processed,
                    items_succeeded=self.succeeded,
                    items_failed=self.failed,
                    error_message=error,
                    log_output=text,
                )
            )


def _error_text(error: BaseException | str) -> str:
    if isinstance(error, BaseException):
        error = f"{type(error).__name__}: {error}"
    return error[:ERROR_LIMIT]


@dataclass(frozen=True)
class JobStats:
    """Per job, over the records read: what `cli tasks` prints."""

    task_name: str
    runs: int
    completed: int
    failed: int
    skipped: int
    running: int
    items: int
    items_failed: int
    mean_seconds: float | None
    max_seconds: float | None

    @property
    def success_rate(self) -> float | None:
        """Completed over finished runs; skipped and running ones are neither."""
        finished = self.completed + self.failed
        return self.completed / finished if finished else None


def recent(engine: Engine, since: datetime, limit: int = 50) -> list[dict]:
    """Task records started at or after `since`, newest first."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(audiobook_tasks)
            .where(audiobook_tasks.c.actual_start >= since)
            .order_by(audiobook_tasks.c.actual_start.desc(), audiobook_tasks.c.id.desc())
            .limit(limit)
        ).mappings()
        return [
            {
                **row,
                "actual_start": as_utc(row["actual_start"]),
                "actual_end": as_utc(row["actual_end"]),
            }
            for row in rows
        ]


def stats(engine: Engine, since: datetime) -> list[JobStats]:
    """Per job, over every record started at or after `since`."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                audiobook_tasks.c.task_name,
                audiobook_tasks.c.status,
                audiobook_tasks.c.items_processed,
                audiobook_tasks.c.items_failed,
                audiobook_tasks.c.duration_seconds,
            ).where(audiobook_tasks.c.actual_start >= since)
        ).all()
    by_job: dict[str, list] = {}
    for row in rows:
        by_job.setdefault(row.task_name, []).append(row)
    found = []
    for name, runs in sorted(by_job.items()):
        durations = [r.duration_seconds for r in runs if r.status in ("completed", "failed")]
        count = {s: sum(r.status == s for r in runs) for s in ("completed", "failed", "skipped")}
        found.append(
            JobStats(
                task_name=name,
                runs=len(runs),
                completed=count["completed"],
                failed=count["failed"],
                skipped=count["skipped"],
                running=sum(r.status == "running" for r in runs),
                items=sum(r.items_processed for r in runs),
                items_failed=sum(r.items_failed for r in runs),
                mean_seconds=statistics.fmean(durations) if durations else None,
                max_seconds=max(durations) if durations else None,
            )
        )
    return found


def cleanup(engine: Engine, keep_days: float, batch_size: int = 500) -> Iterator[int]:
    """Delete task records that started more than `keep_days` ago, one batch per
    transaction (a long delete must not hold the database); yields each batch's count.

    A record still `running` that old is a run that died without closing it
    (every flow's timeout is hours, not days), so it goes too. Failed attempts
    have no link a delete could cascade through: they stay.
    """
    cutoff = utcnow() - timedelta(days=keep_days)
    t = audiobook_tasks.c
    return delete_before(engine, t.id, t.actual_start, cutoff, batch_size)


def failed_attempt_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(
            select(func.count()).select_from(audiobook_failed_attempts)
        ).scalar_one()
