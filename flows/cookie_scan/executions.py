"""The seed's job executions: one `cookie_job_executions` row for every scan run.

A scan opens its row as `running` once it holds the domain's concurrency slot,
and closes it `completed` or `failed` whatever happens; a run that never held the
slot (the domain was busy or disabled, the config unknown) writes its row finished,
`skipped` or `failed`, in one statement. So a failed run is recorded as surely as a
good one, and only a run holding the slot ever has a `running` row. Prefect keeps
run history too, but for a while; these rows outlive its retention and are what the
history command and the statistics artifact read.

A run whose process died (a killed worker, a lost host) cannot close its row: it
stays `running`. Such rows are marked `crashed` in two places, each sure of what
it sees:

* the next scan of the same domain, once it holds the domain's concurrency slot:
  only one scan of a domain runs at a time, so any other `running` row of that
  domain belongs to a run that is gone (`close_dead_runs`);
* the history cleanup, for a row still `running` after the flow's timeout (a domain
  that is never scanned again): no live run is that old (`close_stale_runs`).
"""

from __future__ import annotations

import traceback
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert, select, update

from flows.common.errors import PermanentError, causes
from flows.common.times import as_utc, utcnow
from flows.cookie_scan.tables import cookie_job_executions, cookie_schedules

RUNNING, COMPLETED, FAILED, SKIPPED, CRASHED = (
    "running",
    "completed",
    "failed",
    "skipped",
    "crashed",
)
STATUSES = (RUNNING, COMPLETED, FAILED, SKIPPED, CRASHED)
FINISHED = (COMPLETED, FAILED, CRASHED)  # a scan ran (or tried to): what rates count
# The scan flow's timeout (`flow.cookie_scan`); a row `running` for longer is abandoned.
SCAN_TIMEOUT_SECONDS = 900
ERROR_LIMIT = 2_000  # characters of error_message; the rest is in Prefect's logs
TRACE_LINES = 12  # lines of a traceback kept in error_details


def error_details(error: BaseException) -> dict[str, Any]:
    """What went wrong, as data: the error, its causes' types and where it was raised.

    Messages are the errors' own (ours never hold a secret: blocks keep them as
    SecretStr); the traceback is cut to its last frames.
    """
    chain = [f"{type(c).__module__}.{type(c).__qualname__}" for c in causes(error)]
    frames = traceback.format_exception(type(error), error, error.__traceback__)
    trace = "".join(frames).strip().splitlines()[-TRACE_LINES:]
    return {
        "type": type(error).__name__,
        "message": str(error)[:ERROR_LIMIT],
        "permanent": any(isinstance(c, PermanentError) for c in causes(error)),
        "causes": list(dict.fromkeys(chain)),
        "traceback": trace,
    }


def error_message(error: BaseException | str) -> str:
    if isinstance(error, BaseException):
        text = str(error).strip()
        error = f"{type(error).__name__}: {text}" if text else type(error).__name__
    return error[:ERROR_LIMIT]


@dataclass
class Execution:
    """One scan run's row; `open` writes it, `complete`/`fail`/`skip` close it once."""

    engine: Engine
    execution_id: str
    domain_config_id: str
    schedule_id: str | None
    started_at: datetime
    metadata: dict[str, Any]
    status: str = RUNNING

    @classmethod
    def open(
        cls,
        engine: Engine,
        *,
        job_id: str,
        domain_config_id: str,
        domain: str,
        schedule_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Execution:
        started = utcnow()
        execution = cls(
            engine,
            str(uuid.uuid4()),
            domain_config_id,
            schedule_id,
            started,
            dict(metadata or {}),
        )
        with engine.begin() as conn:
            conn.execute(
                insert(cookie_job_executions).values(
                    execution_id=execution.execution_id,
                    schedule_id=_known_schedule(conn, schedule_id),
                    job_id=job_id,
                    domain=domain,
                    domain_config_id=domain_config_id,
                    status=RUNNING,
                    started_at=started,
                    metadata=execution.metadata,
                    created_at=started,
                )
            )
        return execution

    @classmethod
    def record(
        cls,
        engine: Engine,
        status: str,
        *,
        job_id: str,
        domain_config_id: str,
        domain: str,
        started_at: datetime,
        schedule_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        error: BaseException | str | None = None,
    ) -> str:
        """A run that never held the domain's slot (busy, disabled, or failed before):
        its row written finished, in one statement, so it is never seen `running`."""
        end = utcnow()
        execution_id = str(uuid.uuid4())
        with engine.begin() as conn:
            conn.execute(
                insert(cookie_job_executions).values(
                    execution_id=execution_id,
                    schedule_id=_known_schedule(conn, schedule_id),
                    job_id=job_id,
                    domain=domain,
                    domain_config_id=domain_config_id,
                    status=status,
                    started_at=started_at,
                    completed_at=end,
                    duration_seconds=max((end - started_at).total_seconds(), 0.0),
                    error_message=None if error is None else error_message(error),
                    error_details=error_details(error)
                    if isinstance(error, BaseException)
                    else None,
                    metadata=dict(metadata or {}),
                    created_at=end,
                )
            )
        return execution_id

    @property
    def closed(self) -> bool:
        return self.status != RUNNING

    def complete(self, scan_id: str, **metadata: Any) -> None:
        self._close(COMPLETED, scan_id=scan_id, metadata=metadata)

    def fail(self, error: BaseException | str, scan_id: str | None = None, **metadata) -> None:
        details = error_details(error) if isinstance(error, BaseException) else None
        self._close(
            FAILED,
            scan_id=scan_id,
            error_message=error_message(error),
            error_details=details,
            metadata=metadata,
        )

    def skip(self, reason: str, **metadata: Any) -> None:
        """The run did not scan (domain busy or disabled); the reason is its message."""
        self._close(SKIPPED, error_message=reason, metadata=metadata)

    def _close(
        self,
        status: str,
        *,
        scan_id: str | None = None,
        error_message: str | None = None,
        error_details: dict[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        if self.closed:
            return
        end = utcnow()
        self.metadata.update(metadata or {})
        with self.engine.begin() as conn:
            conn.execute(
                update(cookie_job_executions)
                .where(cookie_job_executions.c.execution_id == self.execution_id)
                .values(
                    status=status,
                    completed_at=end,
                    duration_seconds=(end - self.started_at).total_seconds(),
                    scan_id=scan_id,
                    error_message=error_message,
                    error_details=error_details,
                    metadata=self.metadata,
                )
            )
            if status != SKIPPED and self.schedule_id is not None:
                # the seed's last_run / last_status on the schedule; updated_at and the
                # content hash are the sync's and stay as they are
                conn.execute(
                    update(cookie_schedules)
                    .where(cookie_schedules.c.schedule_id == self.schedule_id)
                    .values(last_run=self.started_at, last_status=status)
                )
        self.status = status


def _known_schedule(conn, schedule_id: str | None) -> str | None:
    """The schedule id if its row still exists: one deleted since the config was read
    must not fail the insert (the column is a foreign key)."""
    if schedule_id is None:
        return None
    found = conn.execute(
        select(cookie_schedules.c.schedule_id).where(cookie_schedules.c.schedule_id == schedule_id)
    ).first()
    return schedule_id if found else None


def _mark_crashed(engine: Engine, where, reason: str) -> int:
    with engine.begin() as conn:
        rows = conn.execute(
            select(cookie_job_executions.c.execution_id, cookie_job_executions.c.started_at)
            .where(cookie_job_executions.c.status == RUNNING)
            .where(*where)
        ).all()
        now, marked = utcnow(), 0
        for execution_id, _started in rows:
            # `status == running` again: a run that closed its row meanwhile keeps its status
            marked += conn.execute(
                update(cookie_job_executions)
                .where(cookie_job_executions.c.execution_id == execution_id)
                .where(cookie_job_executions.c.status == RUNNING)
                .values(
                    status=CRASHED,
                    completed_at=now,
                    duration_seconds=None,  # unknown: the run died somewhere in between
                    error_message=reason,
                    error_details={"type": "Crashed", "message": reason},
                )
            ).rowcount
    return marked


def close_dead_runs(engine: Engine, domain_config_id: str, current_execution_id: str) -> int:
    """Mark crashed every other `running` row of the domain; call it holding the domain's
    slot (then no other run of the domain is alive). Returns how many were marked."""
    return _mark_crashed(
        engine,
        (
            cookie_job_executions.c.domain_config_id == domain_config_id,
            cookie_job_executions.c.execution_id != current_execution_id,
        ),
        "the run died without closing its record (found by the next scan of the domain)",
    )


def close_stale_runs(engine: Engine, older_than: timedelta, now: datetime | None = None) -> int:
    """Mark crashed every row still `running` that started more than `older_than` ago
    (the flow's timeout and a margin: no live run is that old)."""
    cutoff = (now or utcnow()) - older_than
    return _mark_crashed(
        engine,
        (cookie_job_executions.c.started_at < cutoff,),
        f"still running after {older_than}: the run died without closing its record",
    )


def read(engine: Engine, execution_id: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = (
            conn.execute(
                select(cookie_job_executions).where(
                    cookie_job_executions.c.execution_id == execution_id
                )
            )
            .mappings()
            .first()
        )
    if row is None:
        return None
    found = dict(row)
    for key in ("started_at", "completed_at", "created_at"):
        found[key] = as_utc(found[key])
    return found
