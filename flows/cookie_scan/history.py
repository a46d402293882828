"""What the job executions say about the scans: the seed's statistics, recent runs and
the runs of one schedule.

Counts and durations are computed by the database (one aggregate query), so a year
of executions costs one row over the wire, not a year of rows. Durations are those of
runs that scanned (completed, failed): a skipped run took no time worth averaging and
a crashed one has no known end. The success rate is completed over completed + failed
+ crashed; skipped and running runs are neither a success nor a failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, case, func, or_, select

from flows.common.artifacts import markdown_table
from flows.common.times import as_utc
from flows.cookie_scan.executions import (
    COMPLETED,
    CRASHED,
    FAILED,
    RUNNING,
    SKIPPED,
)
from flows.cookie_scan.tables import cookie_job_executions

E = cookie_job_executions


@dataclass(frozen=True)
class Stats:
    """The seed's `get_execution_statistics`, plus the runs that were neither."""

    since: datetime
    total: int
    successful: int
    failed: int  # failed and crashed
    skipped: int
    running: int
    avg_duration: float | None
    min_duration: float | None
    max_duration: float | None

    @property
    def success_rate(self) -> float | None:
        """Percent of finished runs that completed; None when none finished."""
        finished = self.successful + self.failed
        return 100.0 * self.successful / finished if finished else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "total_executions": self.total,
            "successful": self.successful,
            "failed": self.failed,
            "skipped": self.skipped,
            "running": self.running,
            "success_rate": self.success_rate,
            "avg_duration": self.avg_duration,
            "min_duration": self.min_duration,
            "max_duration": self.max_duration,
        }


def _count(*statuses: str):
    return func.coalesce(func.sum(case((E.c.status.in_(statuses), 1), else_=0)), 0)


def _scanned_duration():
    return case((E.c.status.in_((COMPLETED, FAILED)), E.c.duration_seconds), else_=None)


def _of(schedule: str):
    """Rows of one domain config id or schedule id (users know the first, the seed the second)."""
    return or_(E.c.domain_config_id == schedule, E.c.schedule_id == schedule)


def _where(since: datetime, domain_config_id: str | None) -> list:
    where = [E.c.started_at >= since]
    if domain_config_id is not None:
        where.append(_of(domain_config_id))
    return where


def statistics(engine: Engine, since: datetime, domain_config_id: str | None = None) -> Stats:
    """Runs that started at or after `since` (of one domain config or schedule id)."""
    with engine.connect() as conn:
        row = conn.execute(
            select(
                func.count(),
                _count(COMPLETED),
                _count(FAILED, CRASHED),
                _count(SKIPPED),
                _count(RUNNING),
                func.avg(_scanned_duration()),
                func.min(_scanned_duration()),
                func.max(_scanned_duration()),
            ).where(*_where(since, domain_config_id))
        ).one()
    total, ok, failed, skipped, running, avg, low, high = row
    return Stats(
        since=since,
        total=int(total),
        successful=int(ok),
        failed=int(failed),
        skipped=int(skipped),
        running=int(running),
        avg_duration=None if avg is None else float(avg),
        min_duration=None if low is None else float(low),
        max_duration=None if high is None else float(high),
    )


@dataclass(frozen=True)
class ScheduleStats:
    """One domain's runs over a window: what `per_schedule` lists."""

    domain_config_id: str
    domain: str
    total: int
    successful: int
    failed: int
    skipped: int
    last_started: datetime | None
    avg_duration: float | None


def per_schedule(engine: Engine, since: datetime) -> list[ScheduleStats]:
    """Per domain config, its runs since `since`, the ones that failed most first."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                E.c.domain_config_id,
                func.max(E.c.domain),
                func.count(),
                _count(COMPLETED),
                _count(FAILED, CRASHED),
                _count(SKIPPED),
                func.max(E.c.started_at),
                func.avg(_scanned_duration()),
            )
            .where(E.c.started_at >= since)
            .group_by(E.c.domain_config_id)
        ).all()
    found = [
        ScheduleStats(
            domain_config_id=r[0],
            domain=r[1],
            total=int(r[2]),
            successful=int(r[3]),
            failed=int(r[4]),
            skipped=int(r[5]),
            last_started=as_utc(r[6]),
            avg_duration=None if r[7] is None else float(r[7]),
        )
        for r in rows
    ]
    return sorted(found, key=lambda s: (-s.failed, s.domain_config_id))


COLUMNS = (
    "execution_id",
    "job_id",
    "schedule_id",
    "domain_config_id",
    "domain",
    "status",
    "started_at",
    "completed_at",
    "duration_seconds",
    "scan_id",
    "error_message",
)


def recent(
    engine: Engine,
    since: datetime | None = None,
    limit: int = 50,
    *,
    status: str | None = None,
    domain_config_id: str | None = None,
) -> list[dict[str, Any]]:
    """Executions newest first: since a time, of one status, of one domain config or
    schedule id (either is accepted: users know the first, the seed used the second)."""
    query = select(*(E.c[c] for c in COLUMNS))
    if since is not None:
        query = query.where(E.c.started_at >= since)
    if status is not None:
        query = query.where(E.c.status == status)
    if domain_config_id is not None:
        query = query.where(_of(domain_config_id))
    query = query.order_by(E.c.started_at.desc(), E.c.execution_id).limit(limit)
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [
        {**r, "started_at": as_utc(r["started_at"]), "completed_at": as_utc(r["completed_at"])}
        for r in rows
    ]


def by_schedule(engine: Engine, schedule: str, limit: int = 50) -> list[dict[str, Any]]:
    """The seed's `get_executions_by_schedule`: one schedule's runs, newest first."""
    return recent(engine, None, limit, domain_config_id=schedule)


HEAD_S = ("avg s", "min s", "max s")


def seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def stats_markdown(stats: Stats, schedules: list[ScheduleStats], now: datetime) -> str:
    """The statistics artifact: the window's totals, then one row per domain."""
    rate = "" if stats.success_rate is None else f"{stats.success_rate:.1f} %"
    head = markdown_table(
        [*("total", "successful", "failed", "skipped", "running", "success rate"), *HEAD_S],
        [
            [
                stats.total,
                stats.successful,
                stats.failed,
                stats.skipped,
                stats.running,
                rate,
                seconds(stats.avg_duration),
                seconds(stats.min_duration),
                seconds(stats.max_duration),
            ]
        ],
    )
    parts = [
        f"## Cookie scans since {stats.since:%Y-%m-%d %H:%M} UTC (as of {now:%Y-%m-%d %H:%M} UTC)",
        head,
    ]
    if schedules:
        parts.append("### Per domain")
        parts.append(
            markdown_table(
                ["domain config", "domain", "runs", "ok", "failed", "skipped", "last run", "avg s"],
                [
                    [
                        s.domain_config_id,
                        s.domain,
                        s.total,
                        s.successful,
                        s.failed,
                        s.skipped,
                        f"{s.last_started:%Y-%m-%d %H:%M}" if s.last_started else "",
                        seconds(s.avg_duration),
                    ]
                    for s in schedules
                ],
            )
        )
    return "\n\n".join(parts) + "\n"
