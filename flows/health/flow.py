"""The health check: app database, disk, every deployment, and each workflow's own checks.

Deployment `health-check/every-5-minutes` (prefect.yaml). The run fails when
anything is critical, so the failure notification is the alert; the seed's
`.health` file becomes `data/health.json` for container health checks. What a
workflow checks of itself (camera freshness, ...) it declares in its
`workflow.py`; this flow runs whatever is declared.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta
from typing import Any

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
from prefect.client.schemas.sorting import FlowRunSort
from prefect.flows import load_flow_arguments_from_entrypoint
from prefect.states import Completed, State
from sqlalchemy import text

from flows.common import settings
from flows.common.db import APP_DB_BLOCK, app_engine
from flows.common.errors import AutomationError, ConfigError
from flows.common.health import CRITICAL, OK, WARNING, Check, HealthContext
from flows.common.params import Percent, PositiveInt, require
from flows.common.paths import atomic_write_bytes, data_dir
from flows.common.runs import run_statuses
from flows.common.times import utcnow
from flows.common.workflows import workflows
from flows.health import checks
from flows.health.checks import DeploymentRuns


class HealthCritical(AutomationError):
    """At least one check is critical; the message lists them."""


def _first_line(exc: BaseException) -> str:
    text_ = str(exc).strip()
    return f"{type(exc).__name__}: {text_.splitlines()[0][:200] if text_ else ''}"


@task(name="check-database", cache_policy=NO_CACHE)
def check_database(app_db_block: str) -> Check:
    try:
        with app_engine(app_db_block).connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to reach it is the finding, not a crash
        return Check("app database", CRITICAL, f"unreachable: {_first_line(exc)}")
    return Check("app database", OK, f"reachable through block {app_db_block!r}")


@task(name="check-disk", cache_policy=NO_CACHE)
def check_disk(warning_percent: float, critical_percent: float) -> Check:
    folder = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    usage = shutil.disk_usage(folder)
    used = 100.0 * usage.used / usage.total
    return checks.disk(used, warning_percent, critical_percent)


@task(name="check-workflow", task_run_name="{name}", cache_policy=NO_CACHE)
def check_workflow(name: str, context: HealthContext) -> list[Check]:
    """One workflow's declared checks; a check that breaks is itself a critical finding."""
    (workflow,) = [w for w in workflows() if w.name == name]
    try:
        return workflow.checks(context)
    except ConfigError:
        raise
    except Exception as exc:
        return [Check(workflow.title, CRITICAL, f"could not be checked: {_first_line(exc)}")]


# A run may overrun its flow's timeout by this much before it counts as stuck: the
# engine needs a moment to end it, and the clocks of worker and server differ.
TIMEOUT_GRACE = timedelta(minutes=2)


@task(name="check-running-runs", cache_policy=NO_CACHE)
def check_running_runs(now: datetime, zombie_after: timedelta) -> list[Check]:
    """Running runs whose host died, or that outlived their flow's timeout."""
    with get_client(sync_client=True) as client:
        running = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.RUNNING]))
            )
        )
        by_id = run_statuses(client, running, now, zombie_after)
        timeouts = _timeouts(client, {r.deployment_id for r in running if r.deployment_id})
    found = []
    for run in running:
        status = by_id.get(str(run.id))
        timeout = timeouts.get(run.deployment_id)
        check = checks.running_run(
            run.name,
            status.silent_for(now) if status else None,
            now - run.start_time if run.start_time else None,
            zombie_after,
            timeout + TIMEOUT_GRACE if timeout else None,
        )
        if check:
            found.append(check)
    return found


def _timeouts(client: SyncPrefectClient, deployment_ids: set) -> dict:
    """Each deployment's flow timeout, read from its entrypoint's decorator (not imported)."""
    found = {}
    for deployment_id in deployment_ids:
        try:
            entrypoint = client.read_deployment(deployment_id).entrypoint
            seconds = load_flow_arguments_from_entrypoint(entrypoint).get("timeout_seconds")
            found[deployment_id] = timedelta(seconds=float(seconds))
        except Exception:  # no entrypoint here, or no literal timeout: nothing to compare
            continue
    return found


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


@flow(name="health-check", persist_result=True, timeout_seconds=240)
def health_check(
    disk_warning_percent: Percent = 80,
    disk_critical_percent: Percent = 90,
    stale_after_intervals: PositiveInt = 2,
    workflow_options: dict[str, dict[str, Any]] | None = None,
    app_db_block: str = APP_DB_BLOCK,
) -> State:
    """Check everything, write data/health.json, fail when anything is critical.

    Args:
        disk_warning_percent: disk use of the data folder that is a warning.
        disk_critical_percent: disk use that is critical.
        stale_after_intervals: data a deployment produces is stale after this
            many of its intervals without anything new (camera streams).
        workflow_options: settings of one workflow's checks, by workflow name,
            e.g. {"camera": {"deployment": "camera-download/every-10-minutes"}}.
    """
    require(
        disk_warning_percent <= disk_critical_percent,
        "parameters disk_warning_percent and disk_critical_percent must satisfy "
        f"warning <= critical, got {disk_warning_percent} and {disk_critical_percent}",
    )
    options = workflow_options or {}
    declared = {w.name for w in workflows()}
    require(
        set(options) <= declared,
        f"parameter workflow_options: unknown workflow(s) {sorted(set(options) - declared)}; "
        f"known: {sorted(declared)}",
    )
    context = HealthContext(app_db_block, utcnow(), stale_after_intervals, options)
    database = check_database(app_db_block)
    found = [database, check_disk(disk_warning_percent, disk_critical_percent)]
    if database.status == OK:
        for workflow in workflows():
            if workflow.health:
                found += check_workflow(workflow.name, context)
    found += check_deployments()
    found += check_running_runs(context.now, settings.zombie_after())

    now = utcnow()
    health = checks.document(found, now)
    atomic_write_bytes(data_dir() / "health.json", json.dumps(health, indent=2).encode())
    create_markdown_artifact(key="health", markdown=checks.markdown(found, now))
    bad = [c for c in found if c.status == CRITICAL]
    warnings = [c for c in found if c.status == WARNING]
    get_run_logger().info("health %s: %d warning(s)", health["status"], len(warnings))
    if bad:
        raise HealthCritical("; ".join(f"{c.name}: {c.detail}" for c in bad))
    summary = f"{health['status']}: {len(found)} checks"
    if warnings:
        summary += f", {len(warnings)} warning(s): " + "; ".join(c.name for c in warnings)
    return Completed(message=summary, data=health)
