"""The camera flows: download every 10 minutes, clean up daily.

Deployments `camera-download/every-10-minutes` and `camera-cleanup/daily`
(prefect.yaml) run them with concurrency 1 / CANCEL_NEW, which replaces the
seed's APScheduler `max_instances=1` and `coalesce=True`; Prefect task retries
replace its hand-written backoff loop.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Annotated

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import wait
from prefect.states import Completed, State
from pydantic import Field

from blocks.camera import CameraPortal
from flows.camera import PORTAL_BLOCK
from flows.camera.cleanup import CleanupPolicy, CleanupRefused, clean_images
from flows.camera.download import FAILURES, StreamDownloader, StreamReport
from flows.camera.errors import CameraError
from flows.camera.records import ImageIndex
from flows.common.db import APP_DB_BLOCK, app_engine
from flows.common.params import ParameterError, Positive, PositiveInt
from flows.common.paths import data_dir
from flows.common.retry import retry_policy
from flows.common.times import utcnow

# A wrong password, an unknown stream or a changed page layout fail at once (they
# are permanent errors); everything else is retried at 60, 120, 240 s, capped.
RETRIES = {"retries": 3, "first_delay": 60.0, "cap": 600.0}


@task(
    name="download-stream",
    task_run_name="{stream}",
    cache_policy=NO_CACHE,
    **retry_policy(**RETRIES),
)
def download_stream(downloader: StreamDownloader, stream: str) -> StreamReport:
    """One stream: list through the browser, fetch the new images, keep the good ones."""
    report = downloader.run(stream)
    logger = get_run_logger()
    logger.info("%s: %s", stream, report.describe())
    for entry in report.unreadable[:10]:
        logger.warning("%s: a listed image could not be read: %s", stream, entry)
    if report.frozen_since:
        logger.warning("%s: camera frozen since %s", stream, report.frozen_since.isoformat())
    return report


# Room for the stream task's retries (60 + 120 + 240 s) and the work between them;
# a run still going after that holds the slot the next runs need.
DOWNLOAD_TIMEOUT_SECONDS = 15 * 60


@flow(name="camera-download", persist_result=True, timeout_seconds=DOWNLOAD_TIMEOUT_SECONDS)
def camera_download(
    streams: list[str] | None = None,
    concurrent_downloads: PositiveInt = 3,
    batch_size: Annotated[int, Field(ge=1, le=1000)] = 50,
    retry_delay_seconds: Positive = 60.0,
    max_retry_delay_seconds: Positive = 600.0,
    portal_block: str = PORTAL_BLOCK,
    app_db_block: str = APP_DB_BLOCK,
) -> State:
    """Download the new images of every stream, streams concurrently.

    Args:
        streams: which of the portal block's streams to download (all when empty).
        concurrent_downloads: image requests in flight per stream.
        batch_size: at most this many new images per stream and run (1..1000);
            the rest are left for the next run, oldest first.
        retry_delay_seconds: first delay of the stream task's 3 retries (doubling).
        max_retry_delay_seconds: cap of the retry delay.
    """
    portal = CameraPortal.load(portal_block)
    chosen = list(streams or portal.streams)
    unknown = sorted(set(chosen) - set(portal.streams))
    if unknown:
        raise ParameterError(
            f"parameter streams: {unknown} not in camera portal block {portal_block!r} "
            f"(its streams: {portal.streams})"
        )
    engine = app_engine(app_db_block)
    index = ImageIndex(engine)
    started = utcnow()
    downloader = StreamDownloader(
        portal, portal_block, index, data_dir(), concurrent_downloads, batch_size
    )
    task_ = download_stream.with_options(
        **retry_policy(
            **{**RETRIES, "first_delay": retry_delay_seconds, "cap": max_retry_delay_seconds}
        )
    )
    futures = {stream: task_.submit(downloader, stream) for stream in chosen}
    wait(list(futures.values()))

    rows, rejects = [], []
    for stream, future in futures.items():
        kept, nbytes, refused = index.activity(stream, started)
        rejects += refused
        rows.append(_stream_row(stream, future.state, kept, nbytes, refused))
    create_table_artifact(
        key="camera-download", table=rows, description="Camera images kept in this run"
    )
    if rejects:
        create_table_artifact(
            key="camera-rejects", table=rejects, description="Frames refused in this run"
        )
    _evidence_artifact(started)
    failures = [f"{r['stream']}: {r['error']}" for r in rows if r["error"]]
    if failures:
        raise CameraError("; ".join(failures))
    kept = sum(r["kept"] for r in rows)
    summary = f"{kept} images kept (" + ", ".join(f"{r['stream']} {r['kept']}" for r in rows) + ")"
    if rejects:
        summary += f", {len(rejects)} refused"
    result = {"streams": {r["stream"]: r for r in rows}, "kept": kept}
    return Completed(message=summary, data=result)


def _stream_row(
    stream: str, state: State, kept: int, nbytes: int, refused: list[dict[str, str]]
) -> dict[str, object]:
    """The run's line for one stream: what was stored from the index (all attempts), the
    rest from the task's last attempt."""
    report = state.result() if state.is_completed() else StreamReport(stream)
    return {
        "stream": stream,
        "listed": report.listed,
        "kept": kept,
        "bytes": nbytes,
        "rejected": dict(Counter(r["reason"] for r in refused)),
        "frozen_since": report.frozen_since.isoformat() if report.frozen_since else "",
        "backlog": report.backlog,
        "unreadable": len(report.unreadable),
        "logins": report.logins,
        "error": "" if state.is_completed() else str(state.result(raise_on_failure=False)),
    }


def _evidence_artifact(since: datetime) -> None:
    """Links to the screenshots and HTML of pages that failed in this run."""
    folder = data_dir() / FAILURES
    if not folder.is_dir():
        return
    files = sorted(
        p for p in folder.iterdir() if p.is_file() and p.stat().st_mtime >= since.timestamp()
    )
    if files:
        lines = [f"- [{p.name}]({p.as_uri()}) (`{p.relative_to(data_dir())}`)" for p in files]
        create_markdown_artifact(
            key="camera-failures",
            markdown="## Pages that failed\n\n" + "\n".join(lines),
            description="Screenshots and HTML of failed portal pages",
        )


@flow(name="camera-cleanup", persist_result=True, timeout_seconds=3600)
def camera_cleanup(
    retention_days: float = 30,
    dry_run: bool = False,
    max_delete_share: float = 0.25,
    force: bool = False,
    min_free_percent: float | None = None,
    pressure_min_age_days: float = 1.0,
    app_db_block: str = APP_DB_BLOCK,
) -> State:
    """Delete images older than the retention, orphan files and empty day folders.

    Args:
        retention_days: keep this many days of images (at least 1).
        dry_run: report what would be deleted, delete nothing.
        max_delete_share: refuse to delete more than this share of all images in
            one run (a wrong clock or mount must not wipe the archive) ...
        force: ... unless this is set.
        min_free_percent: disk-pressure mode: below this much free space, also
            delete the oldest images until it is reached ...
        pressure_min_age_days: ... but never images younger than this.
    """
    policy = CleanupPolicy(
        retention_days=retention_days,
        dry_run=dry_run,
        max_delete_share=max_delete_share,
        force=force,
        min_free_percent=min_free_percent,
        pressure_min_age_days=pressure_min_age_days,
    )
    policy.validate()
    engine = app_engine(app_db_block)
    try:
        report = clean_images(engine, data_dir(), utcnow(), policy)
    except CleanupRefused as refused:  # show the plan that was refused, then fail
        create_markdown_artifact(key="camera-cleanup", markdown=refused.report.as_markdown())
        raise
    create_markdown_artifact(key="camera-cleanup", markdown=report.as_markdown())
    get_run_logger().info("camera cleanup: %s", report.summary())
    return Completed(message=report.headline(), data=report.summary())
