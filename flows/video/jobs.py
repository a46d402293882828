"""The video jobs' bookkeeping in the app database: `video_jobs` and `video_stage_runs`.

Prefect's run history says what each run did; these rows say what happened to each
*job* (one request, across every run that worked on it) and outlive Prefect's
retention. A stage run row is written only by a stage that really ran and finished
(a cache hit runs no code, so it writes nothing): counting the rows per stage is how
a user, the health check and the tests see that a re-run after a failed upload did
not write, speak or render again.

A job's status is the furthest milestone it reached (`created` -> `scripted` ->
`rendered` -> `uploading` -> `uploaded`), or `failed` / `rescheduled` with the reason
in `error`; a re-run moves it forward again from wherever its cached stages take it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from flows.common.times import utcnow
from flows.video.request import VideoRequest
from flows.video.tables import video_jobs, video_stage_runs

CREATED = "created"
SCRIPTED = "scripted"
RENDERED = "rendered"
UPLOADING = "uploading"
UPLOADED = "uploaded"
FAILED = "failed"
RESCHEDULED = "rescheduled"
STATUSES = (CREATED, SCRIPTED, RENDERED, UPLOADING, UPLOADED, FAILED, RESCHEDULED)
# Statuses a job is left in by a run that ended normally; any other is a run in flight
# (or one that died: the health check names those older than the flow's timeout).
SETTLED = frozenset({UPLOADED, FAILED, RESCHEDULED})

# The thumbnail upload (thumbnails.set) is its own task and its own stage row, beside
# flows.video.STAGES (whose "upload" is videos.insert).
THUMBNAIL_SET = "thumbnail_set"

ERROR_MAX = 2000  # a traceback's head is enough; the run's logs have the rest


def open_job(engine: Engine, request: VideoRequest, flow_run_id: str | None) -> dict[str, Any]:
    """The job's row, created on its first run; a later run takes it over (its id,
    the error cleared) and keeps the milestone already reached. Returns the row."""
    key = request.job_key()
    now = utcnow()
    values = {
        "topic": request.topic,
        "series": request.series,
        "request": request.model_dump(mode="json"),
        "publish_at": request.publish_at,
        "flow_run_id": flow_run_id,
        "updated_at": now,
    }
    with engine.begin() as conn:
        taken = conn.execute(
            update(video_jobs).where(video_jobs.c.job_key == key).values(error=None, **values)
        ).rowcount
        if not taken:
            try:
                with conn.begin_nested():
                    conn.execute(
                        insert(video_jobs).values(
                            job_key=key, status=CREATED, created_at=now, **values
                        )
                    )
            except IntegrityError:  # another run of the same job inserted it first
                conn.execute(update(video_jobs).where(video_jobs.c.job_key == key).values(**values))
        row = conn.execute(select(video_jobs).where(video_jobs.c.job_key == key)).one()
        return dict(row._mapping)


def advance(engine: Engine, job_key: str, status: str, **fields: Any) -> None:
    """Set the job's status (a milestone, `failed` or `rescheduled`) and any columns
    that came with it (title, video_path, thumbnail_path, duration_seconds, error)."""
    if status not in STATUSES:
        raise ValueError(f"unknown video job status {status!r}")
    unknown = set(fields) - set(video_jobs.c.keys())
    if unknown:
        raise ValueError(f"video_jobs has no column(s) {sorted(unknown)}")
    if isinstance(fields.get("error"), str):
        fields["error"] = fields["error"][:ERROR_MAX]
    with engine.begin() as conn:
        conn.execute(
            update(video_jobs)
            .where(video_jobs.c.job_key == job_key)
            .values(status=status, updated_at=utcnow(), **fields)
        )


def fail(engine: Engine, job_key: str, error: BaseException | str) -> None:
    """The run ended on an error: the job is `failed`, the error's first lines kept."""
    text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    advance(engine, job_key, FAILED, error=text)


def record_stage(
    engine: Engine,
    job_key: str,
    stage: str,
    flow_run_id: str | None,
    started_at: datetime,
    seconds: float,
) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(video_stage_runs).values(
                job_key=job_key,
                stage=stage,
                flow_run_id=flow_run_id,
                started_at=started_at,
                seconds=round(seconds, 3),
            )
        )


@contextmanager
def stage_run(engine: Engine, job_key: str, stage: str, flow_run_id: str | None) -> Iterator[None]:
    """Time the block and record it as a stage run when it finishes without error.

    Used inside each stage's task body, so a cache hit (which skips the body) leaves no
    row and a stage that failed leaves none either: the rows count the work done.
    """
    started_at = utcnow()
    clock = time.perf_counter()
    yield
    record_stage(engine, job_key, stage, flow_run_id, started_at, time.perf_counter() - clock)


def stage_counts(engine: Engine, job_key: str) -> dict[str, int]:
    """How many times each stage of the job really ran, over all its runs."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(video_stage_runs.c.stage, func.count())
            .where(video_stage_runs.c.job_key == job_key)
            .group_by(video_stage_runs.c.stage)
        ).all()
    return {stage: count for stage, count in rows}


def job(engine: Engine, job_key: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(select(video_jobs).where(video_jobs.c.job_key == job_key)).first()
    return dict(row._mapping) if row else None
