"""The cookie scanner's part of the health check.

Prefect's own runs already show a failed run of each deployment; what only this
workflow knows is

* whether the schedules are still being synced (the sync's last completed run,
  judged at its own deployment's interval: the database, and so every domain's
  schedule, goes stale without it);
* how many scans failed over the last day, and of which domains (each failed run
  notified once; this says whether it keeps happening);
* executions still `running` after the scan flow's timeout: their runs died without
  closing the record (the next scan of the domain or the cleanup marks them crashed).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterDeploymentId,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.client.schemas.schedules import IntervalSchedule
from prefect.client.schemas.sorting import FlowRunSort
from prefect.exceptions import ObjectNotFound
from sqlalchemy import Engine, func, select

from flows.common.db import app_engine
from flows.common.health import OK, WARNING, Check, HealthContext
from flows.cookie_scan import SYNC_DEPLOYMENT
from flows.cookie_scan.executions import CRASHED, FAILED, RUNNING, SCAN_TIMEOUT_SECONDS
from flows.cookie_scan.tables import cookie_job_executions, cookie_schedules

E = cookie_job_executions
DEFAULT_SYNC_INTERVAL = timedelta(minutes=5)
# A run may overrun its timeout by this much before its row counts as abandoned.
GRACE = timedelta(minutes=2)
SHOWN = 5  # domains named in a finding; the history command lists them all


def sync_freshness(
    last_sync: datetime | None,
    now: datetime,
    interval: timedelta,
    stale_after: int,
    schedules: int,
) -> Check:
    """The schedules are stale when no sync completed for `stale_after` intervals."""
    name = "cookie schedule sync"
    if last_sync is None:
        if schedules:
            return Check(name, WARNING, f"no completed sync yet; {schedules} schedule(s) stored")
        return Check(name, OK, "never synced and no schedules stored: not in use")
    age = now - last_sync
    detail = f"last completed sync {last_sync.isoformat()} ({_minutes(age)} ago)"
    if age > stale_after * interval:
        return Check(name, WARNING, f"stale: {detail}, more than {stale_after} intervals")
    return Check(name, OK, f"{detail}; {schedules} schedule(s)")


def failed_scans(engine: Engine, now: datetime, window: timedelta) -> Check:
    """Failed or crashed scans over `window`, by domain."""
    since = now - window
    with engine.connect() as conn:
        rows = conn.execute(
            select(E.c.domain_config_id, func.count())
            .where(E.c.started_at >= since, E.c.status.in_((FAILED, CRASHED)))
            .group_by(E.c.domain_config_id)
            .order_by(func.count().desc(), E.c.domain_config_id)
        ).all()
    name = "cookie scans failed"
    hours = f"{window.total_seconds() / 3600:g} h"
    if not rows:
        return Check(name, OK, f"none in the last {hours}")
    total = sum(count for _, count in rows)
    named = ", ".join(f"{d} ({c})" for d, c in rows[:SHOWN])
    more = f" and {len(rows) - SHOWN} more" if len(rows) > SHOWN else ""
    return Check(
        name,
        WARNING,
        f"{total} in the last {hours}: {named}{more}; "
        "python -m flows.cookie_scan.cli history recent --status failed",
    )


def abandoned_runs(engine: Engine, now: datetime, older_than: timedelta) -> Check | None:
    """Executions still `running` after the flow's timeout: their runs are gone."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(E.c.domain_config_id, E.c.started_at)
            .where(E.c.status == RUNNING, E.c.started_at < now - older_than)
            .order_by(E.c.started_at)
        ).all()
    if not rows:
        return None
    named = ", ".join(sorted({d for d, _ in rows})[:SHOWN])
    return Check(
        "cookie scan records",
        WARNING,
        f"{len(rows)} execution(s) still running after the {_minutes(older_than)} timeout "
        f"({named}): their runs died; the next scan of the domain or the history cleanup "
        "marks them crashed",
    )


def _last_sync(deployment: str) -> tuple[datetime | None, timedelta, bool] | None:
    """The sync deployment's last completed run, its interval, whether it is paused;
    None when it is not deployed."""
    with get_client(sync_client=True) as client:
        try:
            dep = client.read_deployment_by_name(deployment)
        except ObjectNotFound:
            return None
        active = [s.schedule for s in dep.schedules if s.active]
        intervals = [s.interval for s in active if isinstance(s, IntervalSchedule)]
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                deployment_id=FlowRunFilterDeploymentId(any_=[dep.id]),
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.COMPLETED])),
            ),
            sort=FlowRunSort.END_TIME_DESC,
            limit=1,
        )
    last = runs[0].end_time if runs else None
    return last, min(intervals, default=DEFAULT_SYNC_INTERVAL), bool(dep.paused) or not active


def cookie_health(
    context: HealthContext,
    sync_deployment: str = SYNC_DEPLOYMENT,
    failed_window_hours: float = 24,
) -> list[Check]:
    """Options (the health deployment's `workflow_options["cookie_scan"]`): which
    deployment syncs the schedules, and the window failed scans are counted over."""
    engine = app_engine(context.app_db_block)
    with engine.connect() as conn:
        schedules = conn.execute(select(func.count()).select_from(cookie_schedules)).scalar_one()
    found: list[Check] = []
    sync = _last_sync(sync_deployment)
    if sync is None:
        found.append(Check("cookie schedule sync", OK, f"{sync_deployment} is not deployed"))
    elif sync[2]:
        found.append(Check("cookie schedule sync", OK, f"{sync_deployment} is paused"))
    else:
        last, interval, _ = sync
        found.append(
            sync_freshness(last, context.now, interval, context.stale_after_intervals, schedules)
        )
    found.append(failed_scans(engine, context.now, timedelta(hours=failed_window_hours)))
    stuck = abandoned_runs(engine, context.now, timedelta(seconds=SCAN_TIMEOUT_SECONDS) + GRACE)
    if stuck:
        found.append(stuck)
    return found


def _minutes(age: timedelta) -> str:
    minutes = age.total_seconds() / 60
    return f"{minutes:.0f} min" if minutes < 120 else f"{minutes / 60:.1f} h"
