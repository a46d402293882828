"""The cookie scanner's Prefect layer: one domain's scan, and the history cleanup.

`cookie-scan/per-domain` has one schedule per domain (slug `domain-<id>`, reconciled
from the database by the sync); each run scans the domain its parameters name.

Never two scans of one domain at once, whoever started them (a schedule, a user, an
automation) and on however many workers: a run holds the Prefect global concurrency
limit `cookie-scan:domain-<id>` (limit 1, created on first use) for its whole scan. A
run that finds the domain busy does not queue behind it: it ends Cancelled, like a
run that collides with a CANCEL_NEW deployment, with the reason as its state message
and a `skipped` execution row. The slot is held under a lease the run renews (every
45 s of a 60 s lease): a run whose worker dies stops renewing, and the server frees
the slot a minute later, so a crashed host never blocks its domains.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import (
    GlobalConcurrencyLimitUpdate,
)
from prefect.client.schemas.objects import ConcurrencyLeaseHolder
from prefect.concurrency.sync import concurrency
from prefect.runtime import flow_run
from prefect.states import Cancelled, Completed, Failed, State
from pydantic import Field

from blocks.cookie_scan import CookieScanner
from flows.common import limits as common_limits
from flows.common.db import APP_DB_BLOCK, app_engine
from flows.common.errors import AutomationError, TransientError
from flows.common.outbound import OutboundPolicy
from flows.common.params import NonNegative
from flows.common.paths import data_dir
from flows.common.retry import retry_policy
from flows.common.settings import outbound_policy
from flows.common.times import utcnow
from flows.cookie_scan import SCANNER_BLOCK, schedule_slug
from flows.cookie_scan.cleanup import KEEP_DAYS, SHOTS, cleanup_history
from flows.cookie_scan.config import DomainConfig, load_config
from flows.cookie_scan.executions import (
    FAILED,
    SCAN_TIMEOUT_SECONDS,
    SKIPPED,
    Execution,
    close_dead_runs,
)
from flows.cookie_scan.health import GRACE
from flows.cookie_scan.history import per_schedule, statistics, stats_markdown

LIMIT_PREFIX = "cookie-scan:"
# The shortest lease the server grants; renewed at 75 % of it while the scan runs.
LEASE_SECONDS = 60
SKIPPED_BUSY = "skipped: domain busy"
SKIPPED_DISABLED = "skipped: domain disabled"


class DomainBusy(AutomationError):
    """Another run holds the domain's slot; this one must not queue behind it."""


def limit_name(domain_config_id: str) -> str:
    """The global concurrency limit of one domain: `cookie-scan:domain-<id>`."""
    return f"{LIMIT_PREFIX}{schedule_slug(domain_config_id)}"


def _safe_name(text: str) -> str:
    """A name for a folder or an artifact key: letters, digits and dashes."""
    return re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-") or "domain"


def ensure_limit(name: str) -> None:
    """Create the limit with 1 slot if missing; set it back to 1 if someone raised it
    (one scan of a domain at a time is a rule, not a capacity)."""
    with get_client(sync_client=True) as client:
        existing = common_limits.ensure_limit(client, name, 1)
        if existing is not None and existing.limit != 1:
            client.update_global_concurrency_limit(name, GlobalConcurrencyLimitUpdate(limit=1))


def _locked(exc: BaseException) -> bool:
    """Did the server answer 423 Locked (no slot free), however Prefect wrapped it?"""
    while exc is not None:
        response = getattr(exc, "response", None)
        if getattr(response, "status_code", None) == 423:
            return True
        exc = exc.__cause__ or exc.__context__
    return False


@contextmanager
def domain_slot(domain_config_id: str, holder_id: str | None) -> Iterator[None]:
    """Hold the domain's slot for the block, or raise `DomainBusy` at once.

    `strict`: a limit that does not exist is an error, never silently no limit (Prefect
    skips a missing limit otherwise); `max_retries=0`: one try, no waiting in line. A
    lost lease (the server unreachable for longer than the lease) cancels the run: the
    slot is no longer ours, so scanning on could overlap another run.
    """
    from prefect.concurrency.asyncio import ConcurrencySlotAcquisitionError

    name = limit_name(domain_config_id)
    ensure_limit(name)
    holder = None
    if holder_id:
        holder = ConcurrencyLeaseHolder(type="flow_run", id=uuid.UUID(holder_id))
    stack = ExitStack()
    try:
        stack.enter_context(
            concurrency(
                name,
                occupy=1,
                max_retries=0,
                lease_duration=LEASE_SECONDS,
                strict=True,
                holder=holder,
            )
        )
    except ConcurrencySlotAcquisitionError as exc:
        if _locked(exc):
            raise DomainBusy(
                f"{SKIPPED_BUSY}: another scan of {domain_config_id} holds the limit {name!r}"
            ) from None
        raise TransientError(f"concurrency limit {name!r}: {exc}") from exc
    with stack:
        yield


@task(name="scan-domain", cache_policy=NO_CACHE)
def scan_domain_task(
    config: DomainConfig, scanner: CookieScanner, policy: OutboundPolicy, shots: Path
) -> Any:
    """The three passes in the worker's browser; retried (Prefect) only when transient."""
    from flows.cookie_scan import scanner as engine_module

    return engine_module.scan_domain(config, scanner, policy, shots)


def _run_metadata(run_id: str | None) -> dict[str, Any]:
    """Where the run came from: its id and name, deployment, and the schedule's slug."""
    found: dict[str, Any] = {
        "flow_run_id": run_id,
        "flow_run_name": flow_run.name,
        "deployment": None,
        "schedule": None,
        "triggered_by": "manual",
    }
    if not run_id:
        return found
    try:
        with get_client(sync_client=True) as client:
            run = client.read_flow_run(uuid.UUID(run_id))
            if run.deployment_id:
                dep = client.read_deployment(run.deployment_id)
                flows_name = client.read_flow(dep.flow_id).name
                found["deployment"] = f"{flows_name}/{dep.name}"
            if run.created_by is not None:
                found["triggered_by"] = str(run.created_by.type or "").lower() or "manual"
                if run.created_by.type == "SCHEDULE":
                    found["schedule"] = run.created_by.display_value
    except Exception as exc:  # metadata is a courtesy; the scan does not depend on it
        found["metadata_error"] = f"{type(exc).__name__}: {exc}"[:200]
    return found


def _count(value: Any) -> int:
    if isinstance(value, (list, tuple, set, dict)):
        return len(value)
    if isinstance(value, bool):
        return int(value)
    return int(value or 0)


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def summary(report: Any) -> str:
    """One line for the state message (and `make demo`'s table): the platform and the
    verdicts. The domain is in the run's name; the details are in the artifact."""
    findings = getattr(report, "findings", None) or {}
    platform = getattr(report, "consent_platform", None) or "no consent platform found"
    parts = [
        f"{_plural(_count(findings.get('cookies_before_consent')), 'cookie')} before consent",
        f"{_count(findings.get('cookies_after_reject'))} after reject",
    ]
    if findings.get("tcf_consent_after_reject"):
        parts.append("TCF consent after reject")
    hosts = findings.get("third_party_hosts")
    if isinstance(hosts, dict):  # per pass: the hosts of all passes
        hosts = set().union(*(set(h or ()) for h in hosts.values()))
    if hosts:  # none is the usual case: said only when there are some
        parts.append(_plural(_count(hosts), "third-party host"))
    parts.append(_plural(_count(getattr(report, "pages_visited", 0)), "page"))
    return f"{platform}: " + ", ".join(parts)


def _scan(
    config: DomainConfig,
    scanner_block: str,
    retries: int,
    retry_delay_seconds: float,
) -> Any:
    try:
        scanner = CookieScanner.load(scanner_block)
    except ValueError:
        get_run_logger().info("no %r block: the scanner's defaults", scanner_block)
        scanner = CookieScanner()
    shots = data_dir() / SHOTS  # the scanner writes <domain_config_id>/<scan_id>/ below it
    scan = scan_domain_task.with_options(
        task_run_name=f"scan {config.domain}",
        **retry_policy(retries=retries, first_delay=retry_delay_seconds, cap=300.0),
    )
    return scan(config, scanner, outbound_policy(), shots)


@flow(
    name="cookie-scan",
    flow_run_name="scan-{domain_config_id}",
    persist_result=True,
    timeout_seconds=SCAN_TIMEOUT_SECONDS,
)
def cookie_scan(
    domain_config_id: str,
    scanner_block: str = SCANNER_BLOCK,
    retry_delay_seconds: NonNegative = 10.0,
    app_db_block: str = APP_DB_BLOCK,
) -> State:
    """One domain's three-pass consent scan, stored, diffed against the previous one.

    Args:
        domain_config_id: the domain's config in the schedules table (its schedule's
            slug is `domain-<domain_config_id>`).
        scanner_block: the `cookie-scanner` block (browser settings); its defaults
            when no such block is saved.
        retry_delay_seconds: first delay (doubling) of the scan's retries after a
            transient failure; how many retries is the domain's `max_retries`.
    """
    logger = get_run_logger()
    started = utcnow()
    run_id = str(flow_run.id) if flow_run.id else None
    job_id = run_id or f"local-{uuid.uuid4()}"
    metadata = _run_metadata(run_id)
    engine = app_engine(app_db_block)
    ids: dict[str, Any] = {"domain_config_id": domain_config_id, "domain": ""}
    execution: Execution | None = None

    def unheld(status: str, error: BaseException | str) -> None:
        Execution.record(
            engine, status, job_id=job_id, started_at=started, metadata=metadata, error=error, **ids
        )

    try:
        with engine.connect() as conn:
            config = load_config(conn, domain_config_id)
        ids.update(domain=config.domain, schedule_id=config.schedule_id)
        if not config.enabled:
            reason = f"{SKIPPED_DISABLED}: {domain_config_id} ({config.domain}) is disabled"
            unheld(SKIPPED, reason)
            logger.info(reason)
            return Cancelled(message=reason)
        with domain_slot(domain_config_id, run_id):
            execution = Execution.open(engine, job_id=job_id, metadata=metadata, **ids)
            dead = close_dead_runs(engine, domain_config_id, execution.execution_id)
            if dead:
                logger.warning(
                    "%d earlier run(s) of %s had died: marked crashed", dead, domain_config_id
                )
            report = _scan(config, scanner_block, config.max_retries, retry_delay_seconds)
            return _finish(engine, execution, report)
    except DomainBusy as busy:
        unheld(SKIPPED, str(busy))
        logger.info("%s", busy)
        return Cancelled(message=str(busy))
    except BaseException as exc:
        if execution is not None:
            execution.fail(exc)
        else:
            unheld(FAILED, exc)
        raise


def _finish(engine, execution: Execution, report: Any) -> State:
    """Store the scan, publish its findings and diff, close the execution row."""
    from flows.cookie_scan import results

    with engine.begin() as conn:
        scan_id = results.store_scan(conn, report)
    with engine.connect() as conn:
        markdown = results.scan_markdown(conn, scan_id)
    line = summary(report)
    create_markdown_artifact(
        key=f"cookie-scan-{_safe_name(execution.domain_config_id)}",
        markdown=markdown,
        description=line[:500],
    )
    status = getattr(report, "status", "completed")
    if status != "completed":
        error = getattr(report, "error", None) or f"scan {status}"
        execution.fail(f"{line}: {error}", scan_id=scan_id)
        return Failed(message=f"{line}: {error}")
    execution.complete(scan_id, summary=line)
    return Completed(message=line, data={"scan_id": scan_id})


@flow(name="cookie-history-cleanup", persist_result=True, timeout_seconds=1800)
def cookie_history_cleanup(
    keep_days: Annotated[int, Field(ge=1)] = KEEP_DAYS,
    batch_size: Annotated[int, Field(ge=1, le=10_000)] = 500,
    stats_days: Annotated[float, Field(gt=0)] = 7,
    app_db_block: str = APP_DB_BLOCK,
) -> State:
    """Delete job executions and scan results (with their screenshots) older than
    `keep_days`, in batches; then publish the scan statistics as an artifact.

    Args:
        keep_days: executions and scans younger than this are kept (at least 1).
        batch_size: rows deleted per transaction.
        stats_days: the window of the statistics artifact.
    """
    engine = app_engine(app_db_block)
    report = cleanup_history(
        engine,
        keep_days=keep_days,
        batch_size=batch_size,
        stale_after=timedelta(seconds=SCAN_TIMEOUT_SECONDS) + GRACE,
    )
    for path, why in report.failed[:20]:
        get_run_logger().warning("not deleted: %s: %s", path, why)
    now = utcnow()
    since = now - timedelta(days=stats_days)
    stats = statistics(engine, since)
    create_markdown_artifact(
        key="cookie-scan-history",
        markdown=stats_markdown(stats, per_schedule(engine, since), now),
        description=f"cookie scans over {stats_days:g} day(s)",
    )
    rate = "" if stats.success_rate is None else f", {stats.success_rate:.0f} % ok"
    line = f"{report.summary}; {stats_days:g} days: {stats.total} scan run(s){rate}"
    return Completed(message=line, data={**report.__dict__, "stats": stats.as_dict()})
