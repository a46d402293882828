"""The health check: app database, disk, camera freshness, every deployment.

Deployment `health-check/every-5-minutes` (prefect.yaml). The run fails when
anything is critical, so the failure notification is the alert; the seed's
`.health` file becomes `data/health.json` for container health checks.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterDeploymentId,
    FlowRunFilterStartTime,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.client.schemas.schedules import IntervalSchedule
from prefect.client.schemas.sorting import FlowRunSort
from prefect.exceptions import ObjectNotFound
from sqlalchemy import text

from blocks.camera import CameraPortal
from flows.camera.flow import PORTAL_BLOCK
from flows.camera.records import ImageIndex
from flows.common.db import APP_DB_BLOCK, app_engine
from flows.common.paths import atomic_write_bytes, data_dir
from flows.health import checks
from flows.health.checks import CRITICAL, OK, WARNING, Check, DeploymentRuns

CAMERA_DEPLOYMENT = "camera-download/every-10-minutes"
DEFAULT_INTERVAL = timedelta(minutes=10)


class HealthCritical(Exception):
    """At least one check is critical; the message lists them."""


@task(name="check-database", cache_policy=NO_CACHE)
def check_database(app_db_block: str) -> Check:
    try:
        with app_engine(app_db_block).connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to reach it is the finding, not a crash
        first_line = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
        return Check("app database", CRITICAL, f"unreachable: {type(exc).__name__}: {first_line}")
    return Check("app database", OK, f"reachable through block {app_db_block!r}")


@task(name="check-disk", cache_policy=NO_CACHE)
def check_disk(warning_percent: float, critical_percent: float) -> Check:
    folder = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    usage = shutil.disk_usage(folder)
    used = 100.0 * usage.used / usage.total
    return checks.disk(used, warning_percent, critical_percent)


@task(name="check-camera-streams", cache_policy=NO_CACHE)
def check_streams(
    camera_deployment: str, portal_block: str, app_db_block: str, stale_after: int
) -> list[Check]:
    """Freshness of every stream the camera deployment downloads, at its own interval."""
    with get_client(sync_client=True) as client:
        try:
            dep = client.read_deployment_by_name(camera_deployment)
        except ObjectNotFound:
            return [Check("camera", OK, f"{camera_deployment} is not deployed; nothing to check")]
    active = [s.schedule for s in dep.schedules if s.active]
    if not active or dep.paused:
        return [Check("camera", OK, f"{camera_deployment} is paused; freshness not checked")]
    intervals = [s.interval for s in active if isinstance(s, IntervalSchedule)]
    interval = min(intervals, default=DEFAULT_INTERVAL)
    streams = dep.parameters.get("streams") or CameraPortal.load(portal_block).streams
    index = ImageIndex(app_engine(app_db_block))
    now = datetime.now(UTC)
    latest = index.latest(streams)
    return [
        checks.freshness(s, latest[s], index.frozen_since(s, latest[s]), now, interval, stale_after)
        for s in streams
    ]


@task(name="check-deployments", cache_policy=NO_CACHE)
def check_deployments() -> list[Check]:
    """Last state and next run of every deployment, as the Prefect API reports them."""
    with get_client(sync_client=True) as client:
        flows = {f.id: f.name for f in client.read_flows()}
        found = [
            checks.deployment(_runs(client, f"{flows[d.flow_id]}/{d.name}", d))
            for d in client.read_deployments()
        ]
    return sorted(found, key=lambda c: c.name)


def _runs(client: SyncPrefectClient, name: str, dep) -> DeploymentRuns:
    by_deployment = FlowRunFilterDeploymentId(any_=[dep.id])
    started = client.read_flow_runs(
        flow_run_filter=FlowRunFilter(
            deployment_id=by_deployment, start_time=FlowRunFilterStartTime(is_null_=False)
        ),
        sort=FlowRunSort.START_TIME_DESC,
        limit=1,
    )
    upcoming = client.read_flow_runs(
        flow_run_filter=FlowRunFilter(
            deployment_id=by_deployment,
            state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED])),
        ),
        sort=FlowRunSort.EXPECTED_START_TIME_ASC,
        limit=1,
    )
    last = started[0] if started else None
    following = upcoming[0] if upcoming else None
    return DeploymentRuns(
        name=name,
        last_state=last.state.name if last and last.state else None,
        last_state_type=last.state.type.value if last and last.state else None,
        last_run_at=last.start_time if last else None,
        next_run_at=following.expected_start_time if following else None,
        next_state=following.state.name if following and following.state else None,
        paused=bool(dep.paused) or not any(s.active for s in dep.schedules),
    )


@flow(name="health-check", persist_result=True)
def health_check(
    disk_warning_percent: float = 80,
    disk_critical_percent: float = 90,
    stale_after_intervals: int = 2,
    camera_deployment: str = CAMERA_DEPLOYMENT,
    portal_block: str = PORTAL_BLOCK,
    app_db_block: str = APP_DB_BLOCK,
) -> dict[str, object]:
    """Check everything, write data/health.json, fail when anything is critical.

    Args:
        disk_warning_percent: disk use of the data folder that is a warning.
        disk_critical_percent: disk use that is critical.
        stale_after_intervals: a stream is stale after this many download
            intervals without a new image.
        camera_deployment: the deployment whose streams and interval define
            freshness.
    """
    if not 0 < disk_warning_percent <= disk_critical_percent <= 100:
        raise ValueError(
            "parameters disk_warning_percent and disk_critical_percent must satisfy "
            f"0 < warning <= critical <= 100, got {disk_warning_percent} and "
            f"{disk_critical_percent}"
        )
    database = check_database(app_db_block)
    found = [database, check_disk(disk_warning_percent, disk_critical_percent)]
    if database.status == OK:
        found += check_streams(camera_deployment, portal_block, app_db_block, stale_after_intervals)
    found += check_deployments()

    now = datetime.now(UTC)
    health = checks.document(found, now)
    atomic_write_bytes(data_dir() / "health.json", json.dumps(health, indent=2).encode())
    create_markdown_artifact(key="health", markdown=checks.markdown(found, now))
    bad = [c for c in found if c.status == CRITICAL]
    warnings = [c for c in found if c.status == WARNING]
    get_run_logger().info("health %s: %d warning(s)", health["status"], len(warnings))
    if bad:
        raise HealthCritical("; ".join(f"{c.name}: {c.detail}" for c in bad))
    return health
