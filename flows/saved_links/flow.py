"""The saved-links flow: Notion rows in, files under data/links/, results back.

Deployment `saved-links/three-times-daily` (prefect.yaml) runs it at 08:00,
12:00 and 23:00 with concurrency 1 / CANCEL_NEW, which replaces the seed's lock
file and its "ran less than 4 hours ago" skip.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from datetime import timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.runtime import flow_run
from prefect.states import Completed, State
from pydantic import Field

from blocks.notion import NotionLinksSource
from flows.common.artifacts import Progress
from flows.common.db import APP_DB_BLOCK, app_engine
from flows.common.params import NonNegative, Positive
from flows.common.paths import data_dir
from flows.common.retry import retry_policy
from flows.common.times import utcnow
from flows.saved_links import SOURCE_BLOCK
from flows.saved_links.download import Downloader
from flows.saved_links.notion_source import PROCESSING, LinkRow, NotionSource
from flows.saved_links.processor import LinkProcessor, Outcome, select_rows
from flows.saved_links.records import LinkStore, MediaStore
from flows.saved_links.schedule import time_of_day


def run_name() -> str:
    """e.g. `morning-2026-11-23`: the seed's --scheduled label, now in run history."""
    tz = flow_run.parameters.get("timezone", "UTC")
    when = flow_run.scheduled_start_time
    return f"{time_of_day(when, tz)}-{when.astimezone(ZoneInfo(tz)):%Y-%m-%d}"


# Every task: 3 retries, exponential backoff with jitter; dead links, bad URLs and
# a misconfigured source are permanent errors and fail at once. No result caching:
# work is made idempotent by the app database (claims, recorded results, the
# download archive), which holds across runs and hosts.
RETRIED = {**retry_policy(first_delay=5), "cache_policy": NO_CACHE}


@task(name="open-links-source", **RETRIED)
def open_source(block_name: str) -> NotionSource:
    """Load the block and check it against the database before anything is claimed."""
    return NotionSource(NotionLinksSource.load(block_name), block_name).open()


@task(name="find-unprocessed-links", **RETRIED)
def find_links(
    source: NotionSource, store: LinkStore, claim_timeout: timedelta, run_id: str
) -> tuple[list[LinkRow], set[str]]:
    """Rows to work on, oldest first, and the dead holders whose claims may be taken."""
    rows = source.candidates()
    records = store.claims(r.page_id for r in rows if r.status == PROCESSING)
    states = _run_states({r.claimed_by for r in records.values() if r.claimed_by})
    now = utcnow()
    return select_rows(rows, records, states, now, claim_timeout, run_id)


def _run_states(run_ids: set[str]) -> dict[str, str | None]:
    """Prefect's view of each claim holder: its state type, or None if unknown."""
    ids = []
    for run_id in run_ids:
        with contextlib.suppress(ValueError):  # holders outside Prefect (the bench loop)
            ids.append(uuid.UUID(run_id))
    if not ids:
        return {}
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=ids)))
    return {str(r.id): r.state.type.value if r.state else None for r in runs}


@task(name="process-link", task_run_name="{row.url}", **RETRIED)
def process_link(processor: LinkProcessor, row: LinkRow, reclaimable: set[str]) -> Outcome:
    return processor.process(row, reclaimable)


@task(name="record-failure", **RETRIED)
def record_failure(processor: LinkProcessor, row: LinkRow, error: BaseException) -> Outcome:
    return processor.fail(row, error)


@flow(name="saved-links", flow_run_name=run_name, persist_result=True)
def saved_links(
    limit: Annotated[int, Field(ge=0)] | None = None,
    pause_seconds: NonNegative = 900.0,
    timezone: str = "UTC",
    source_block: str = SOURCE_BLOCK,
    app_db_block: str = APP_DB_BLOCK,
    claim_timeout_minutes: Positive = 60.0,
    retry_backoff_seconds: Positive = 10.0,
) -> State:
    """Download every unprocessed saved link and write Done/Failed back to Notion.

    Args:
        limit: process at most this many rows in this run (all when empty).
        pause_seconds: wait between items, as the seed's politeness pause; the
            wait sleeps in the flow-run process, so the worker stays free.
        timezone: the schedule's zone, which names the run morning/noon/night.
        claim_timeout_minutes: after this, a Processing row whose holder Prefect
            does not know is taken over (holders still running never are).
        retry_backoff_seconds: first delay of the exponential task retries.
    """
    logger = get_run_logger()
    source = open_source(source_block)
    engine = app_engine(app_db_block)
    store = LinkStore(engine)
    run_id = str(flow_run.id or uuid.uuid4())
    rows, dead = find_links(source, store, timedelta(minutes=claim_timeout_minutes), run_id)
    batch = rows if limit is None else rows[:limit]
    logger.info("%d link(s) waiting; processing %d", len(rows), len(batch))

    processor = LinkProcessor(source, store, Downloader(data_dir(), MediaStore(engine)), run_id)
    process = process_link.with_options(**retry_policy(first_delay=retry_backoff_seconds))
    progress = Progress(len(batch), "Saved links processed in this run")
    outcomes: list[Outcome] = []
    for i, row in enumerate(batch):
        state = process(processor, row, dead, return_state=True)
        if state.is_completed():
            outcome = state.result()
        else:
            outcome = _fail(processor, row, state.result(raise_on_failure=False))
        outcomes.append(outcome)
        progress.advance()
        if pause_seconds > 0 and i < len(batch) - 1:
            time.sleep(pause_seconds)

    create_table_artifact(
        key="saved-links-run",
        table=[o.as_row() for o in outcomes],
        description=f"Saved links of run {run_id}",
    )
    counts = {
        "found": len(rows),
        "processed": len(batch),
        "done": sum(o.outcome == "done" for o in outcomes),
        "failed": sum(o.outcome == "failed" for o in outcomes),
        "skipped": sum(o.outcome == "skipped" for o in outcomes),
        "downloaded": sum(o.fetched for o in outcomes),
    }
    logger.info("saved links: %s", counts)
    return Completed(message=summary(counts), data=counts)


def summary(counts: dict[str, int]) -> str:
    """One line for the run's state: `8 links: 3 done, 5 failed`."""
    text = f"{counts['processed']} links: {counts['done']} done, {counts['failed']} failed"
    if counts["skipped"]:
        text += f", {counts['skipped']} skipped"
    if counts["found"] > counts["processed"]:
        text += f"; {counts['found'] - counts['processed']} left for the next run"
    return text


def _fail(processor: LinkProcessor, row: LinkRow, error: BaseException) -> Outcome:
    """Write Failed for the row; if even that fails, leave it for the next run."""
    state = record_failure(processor, row, error, return_state=True)
    if state.is_completed():
        return state.result()
    return Outcome(
        row.page_id,
        row.url,
        "failed",
        error_class=type(error).__name__,
        error=f"{error} (not yet written back: {state.message})",
    )


if __name__ == "__main__":
    saved_links(pause_seconds=0)
