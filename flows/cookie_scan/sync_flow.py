"""`cookie-schedule-sync`: the schedule API copied into the database, then the database
reconciled into the `cookie-scan/per-domain` deployment's schedules.

Deployment `cookie-schedule-sync/every-5-minutes` (prefect.yaml) runs it with concurrency
1 / CANCEL_NEW: a sync still running when the next is due makes the next one cancel
itself, never two reconciles racing. The fetch is retried by Prefect (a 5xx, a timeout,
a dropped connection); a refused token or an answer that is no schedule list fails the
run at once, naming the URL. An invalid entry never fails it: it is skipped and listed,
with its reason, in the run's summary artifact.
"""

from __future__ import annotations

from typing import Annotated, Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.states import Completed, State
from pydantic import Field
from sqlalchemy import Engine

from blocks.cookie_scan import CookieScheduleApi
from flows.common.artifacts import markdown_table
from flows.common.db import APP_DB_BLOCK, app_engine
from flows.common.params import Positive
from flows.common.retry import retry_policy
from flows.cookie_scan import SCAN_DEPLOYMENT, SCHEDULE_API_BLOCK
from flows.cookie_scan.reconcile import ReconcileResult, reconcile
from flows.cookie_scan.schedule_api import fetch_entries, shown_url
from flows.cookie_scan.schedules import UpsertResult, upsert_entries
from flows.cookie_scan.validation import check_entries

# The fetch's retries (10, 20, 40 s) plus a reconcile of ten thousand schedules fit
# well inside; a sync still going after that holds the slot the next one needs.
SYNC_TIMEOUT_SECONDS = 15 * 60
RETRIES = {"retries": 3, "first_delay": 10.0, "cap": 120.0}
SHOWN_CHANGES = 200  # ids listed per change kind in the artifact (all skipped are listed)


@task(name="fetch-schedules", cache_policy=NO_CACHE, **retry_policy(**RETRIES))
def fetch_schedules(schedule_api_block: str) -> tuple[str, list[Any]]:
    """(the URL as shown, the API's entries unchecked); TransientError (retried) or a
    permanent error naming the URL."""
    block = CookieScheduleApi.load(schedule_api_block)
    return shown_url(block.url), fetch_entries(block)


@task(name="store-schedules", cache_policy=NO_CACHE)
def store_schedules(engine: Engine, raw: list[Any]) -> UpsertResult:
    checked = check_entries(raw)
    with engine.begin() as conn:
        return upsert_entries(conn, checked)


@task(name="reconcile-schedules", cache_policy=NO_CACHE)
def reconcile_schedules(engine: Engine, deployment: str) -> ReconcileResult:
    with get_client(sync_client=True) as client:
        return reconcile(engine, client, deployment)


def summary_markdown(stored: UpsertResult, reconciled: ReconcileResult, url: str) -> str:
    """The run's page: what the database and the deployment got, every skip with why."""
    counts = stored.counts()
    parts = [
        f"## Schedule sync from {url}",
        markdown_table(list(counts), [list(counts.values())]),
        "### Deployment schedules (`cookie-scan/per-domain`)",
    ]
    rec = reconciled.counts()
    parts.append(markdown_table(list(rec), [list(rec.values())]))
    if stored.skipped:
        parts.append(f"### Skipped entries ({len(stored.skipped)})")
        parts.append(
            markdown_table(("entry", "reason"), [(s.label, s.reason) for s in stored.skipped])
        )
    for title, ids in (
        ("Created", stored.created),
        ("Updated", stored.updated),
        ("Disabled (no longer in the API)", stored.disabled),
    ):
        if ids:
            shown = ", ".join(f"`{i}`" for i in ids[:SHOWN_CHANGES])
            more = f" ... and {len(ids) - SHOWN_CHANGES} more" if len(ids) > SHOWN_CHANGES else ""
            parts.append(f"### {title} ({len(ids)})\n\n{shown}{more}")
    if reconciled.invalid:
        parts.append("### Rows whose stored schedule is broken (left as they are in Prefect)")
        parts.append(markdown_table(("domain_config_id", "reason"), reconciled.invalid))
    return "\n\n".join(parts)


def summary_line(stored: UpsertResult, reconciled: ReconcileResult) -> str:
    c, r = stored.counts(), reconciled
    return (
        f"{c['created']} created, {c['updated']} updated, {c['unchanged']} unchanged, "
        f"{c['skipped']} skipped, {c['disabled']} disabled; Prefect: {r.created} created, "
        f"{r.updated} updated, {r.deleted} deleted"
    )


@flow(name="cookie-schedule-sync", persist_result=True, timeout_seconds=SYNC_TIMEOUT_SECONDS)
def cookie_schedule_sync(
    schedule_api_block: str = SCHEDULE_API_BLOCK,
    app_db_block: str = APP_DB_BLOCK,
    deployment: str = SCAN_DEPLOYMENT,
    retries: Annotated[int, Field(ge=0, le=10)] = RETRIES["retries"],
    retry_delay_seconds: Positive = RETRIES["first_delay"],
) -> State:
    """Fetch the schedule API, store its valid entries, reconcile the scan deployment.

    Args:
        schedule_api_block: the Cookie schedule API block (URL, token, timeout, size cap).
        deployment: the deployment whose `domain-<id>` schedules are reconciled.
        retries: retries of the fetch after a timeout, a dropped connection or a 5xx.
        retry_delay_seconds: first delay of those retries (doubling, capped at 120 s).
    """
    logger = get_run_logger()
    fetch = fetch_schedules.with_options(
        **retry_policy(**{**RETRIES, "retries": retries, "first_delay": retry_delay_seconds})
    )
    url, raw = fetch(schedule_api_block)
    engine = app_engine(app_db_block)
    try:
        stored = store_schedules(engine, raw)
        for skipped in stored.skipped:
            logger.warning("skipped %s: %s", skipped.label, skipped.reason)
        reconciled = reconcile_schedules(engine, deployment)
    finally:
        engine.dispose()
    create_markdown_artifact(
        key="cookie-schedule-sync",
        markdown=summary_markdown(stored, reconciled, url),
        description="Schedules synced from the API and reconciled into Prefect",
    )
    summary = summary_line(stored, reconciled)
    logger.info(summary)
    data = {
        "database": stored.counts(),
        "prefect": reconciled.counts(),
        "skipped": [{"entry": s.label, "reason": s.reason} for s in stored.skipped],
    }
    return Completed(message=summary, data=data)
