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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from flows.common.errors import AutomationError, TransientError
from flows.common.times import utcnow
from flows.video import STAGES
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

# The thumbnail upload (thumbnails.set) is its own task and its own stage row.
THUMBNAIL_SET = STAGES[-1]

ERROR_MAX = 2000  # a traceback's head is enough; the run's logs have the rest


class JobBusy(AutomationError):
    """Another run that is still alive is making this video: this one must not make it
    a second time beside it (two renders of one job, two scripts racing for one file)."""

    def __init__(self, job_key: str, holder: str) -> None:
        super().__init__(f"job {job_key[:12]} is being made by flow run {holder}")
        self.holder = holder


def open_job(
    engine: Engine,
    request: VideoRequest,
    flow_run_id: str | None,
    alive: Callable[[str], bool] = lambda _run_id: False,
    *,
    job_key: str | None = None,
) -> dict[str, Any]:
    """Claim the job for `flow_run_id` and return its row: created on its first run; a
    later run takes it over (its id, the error cleared) and keeps the milestone reached.

    Raises `JobBusy` when `alive` says the run that holds it still runs. A holder that
    died (crashed, killed, a zombie) is taken over. The take-over is a compare-and-set
    on the holder read, so of two runs starting at once one wins and the other sees the
    winner as the (live) holder. `job_key`: the request's own by default.
    """
    key = job_key or request.job_key()
    for _ in range(5):
        with engine.connect() as conn:
            row = conn.execute(
                select(video_jobs.c.flow_run_id).where(video_jobs.c.job_key == key)
            ).first()
        holder = row.flow_run_id if row is not None else None
        # Whatever the status says (a run that just took the job over has not moved it
        # yet), only the holder's liveness decides; asked outside any transaction, since
        # it asks Prefect.
        if holder and holder != flow_run_id and alive(holder):
            raise JobBusy(key, holder)
        now = utcnow()
        values = {
            "topic": request.topic,
            "series": request.series,
            "request": request.model_dump(mode="json"),
            "publish_at": request.publish_at,
            "flow_run_id": flow_run_id,
            "error": None,
            "updated_at": now,
        }
        with engine.begin() as conn:
            if row is None:
                try:
                    with conn.begin_nested():
                        conn.execute(
                            insert(video_jobs).values(
                                job_key=key, status=CREATED, created_at=now, **values
                            )
                        )
                except IntegrityError:  # another run of the job inserted it first
                    continue
            else:
                same_holder = (
                    video_jobs.c.flow_run_id.is_(None)
                    if holder is None
                    else video_jobs.c.flow_run_id == holder
                )
                taken = conn.execute(
                    update(video_jobs)
                    .where(video_jobs.c.job_key == key, same_holder)
                    .values(**values)
                ).rowcount
                if not taken:  # another run took it over between the read and now
                    continue
            found = conn.execute(select(video_jobs).where(video_jobs.c.job_key == key)).one()
            return dict(found._mapping)
    raise TransientError(f"job {key[:12]}: could not claim it (runs racing for it)")


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
