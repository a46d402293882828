"""Is every camera stream still delivering? The camera's part of the health check.

A stream is judged at the interval its own deployment downloads at, read from
the Prefect API, so a schedule edited in prefect.yaml moves the threshold with it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from prefect.client.orchestration import get_client
from prefect.client.schemas.schedules import IntervalSchedule
from prefect.exceptions import ObjectNotFound

from blocks.camera import CameraPortal
from flows.camera import DOWNLOAD_DEPLOYMENT, PORTAL_BLOCK
from flows.camera.records import ImageIndex
from flows.common.db import app_engine
from flows.common.health import CRITICAL, OK, WARNING, Check, HealthContext

DEFAULT_INTERVAL = timedelta(minutes=10)


def freshness(
    stream: str,
    latest: datetime | None,
    frozen_since: datetime | None,
    now: datetime,
    interval: timedelta,
    stale_after: int = 2,
) -> Check:
    """A stream is stale when no image came for more than `stale_after` intervals."""
    name = f"camera {stream}"
    if frozen_since is not None:
        return Check(name, CRITICAL, f"frozen: the same image since {frozen_since.isoformat()}")
    if latest is None:
        return Check(name, WARNING, "no image yet")
    age = now - latest
    detail = f"last image {latest.isoformat()} ({_minutes(age)} ago)"
    if age > stale_after * interval:
        return Check(name, CRITICAL, f"stale: {detail}, more than {stale_after} intervals")
    return Check(name, OK, detail)


def stream_freshness(
    context: HealthContext,
    deployment: str = DOWNLOAD_DEPLOYMENT,
    portal_block: str = PORTAL_BLOCK,
) -> list[Check]:
    """Freshness of every stream `deployment` downloads, at its own interval.

    Options (the health deployment's `workflow_options["camera"]`): which
    deployment defines the streams and interval, and the portal block that lists
    the streams when the deployment does not name them.
    """
    with get_client(sync_client=True) as client:
        try:
            dep = client.read_deployment_by_name(deployment)
        except ObjectNotFound:
            return [Check("camera", OK, f"{deployment} is not deployed; nothing to check")]
    active = [s.schedule for s in dep.schedules if s.active]
    if not active or dep.paused:
        return [Check("camera", OK, f"{deployment} is paused; freshness not checked")]
    intervals = [s.interval for s in active if isinstance(s, IntervalSchedule)]
    interval = min(intervals, default=DEFAULT_INTERVAL)
    streams = dep.parameters.get("streams") or CameraPortal.load(portal_block).streams
    index = ImageIndex(app_engine(context.app_db_block))
    latest = index.latest(streams)
    return [
        freshness(
            s,
            latest[s],
            index.frozen_since(s, latest[s]),
            context.now,
            interval,
            context.stale_after_intervals,
        )
        for s in streams
    ]


def _minutes(age: timedelta) -> str:
    minutes = age.total_seconds() / 60
    return f"{minutes:.0f} min" if minutes < 120 else f"{minutes / 60:.1f} h"
