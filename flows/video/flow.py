"""The faceless-video pipeline's Prefect layer: one task per stage, and two flows.

`create-video` turns a request (the flow's parameters) into a published video:
script -> assets -> voice -> render -> thumbnail -> metadata -> upload -> thumbnail
upload. The domain work is in the modules beside this one; this file decides what
is cached, retried, limited and rescheduled.

Resuming is Prefect's result cache. Each expensive, deterministic stage (script,
assets, voice, render, thumbnail) is a task whose cache key is its inputs (the job
key and what the request decides, never a block, an engine or a secret), its own
source and (but for the script, which is the LLM's) the source of the domain module
doing the work; its result is persisted under `data_dir()/results`. A re-run of the
same request (a retry from the UI, the run a quota shortfall scheduled, the same
`prefect deployment run` again) finds every finished stage in the cache and does not
write, speak or render again. A cached result that names a file no longer on disk is
not trusted: the stage runs again.

What must never happen twice is not left to a cache: the upload and the thumbnail
upload ask the app database (`video_uploads`), which holds the session URI before the
first byte and the video id before the stage ends, so those two tasks and the
metadata (cheap, and it must be checked against the clock: `publishAt` in the past)
are not cached at all.

One run makes a job at a time: a run of a request another live run is making ends
Cancelled (`skipped: job busy`) before any work (`jobs.open_job`).

The CPU-bound stages (voice, render, thumbnail) hold a slot of the global concurrency
limit `create-video` (2 slots, created on first use; raise it in the UI for a bigger
host), shared by every create-video deployment; a run waits for a slot. A spent
YouTube quota schedules a new run of the same deployment after the quota day's reset
and ends this one: no worker sleeps through it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import ConcurrencyLeaseHolder, TaskRun
from prefect.concurrency.sync import concurrency
from prefect.deployments import run_deployment
from prefect.exceptions import ObjectNotFound
from prefect.filesystems import LocalFileSystem
from prefect.runtime import flow_run
from prefect.states import Cancelled, Completed, State
from pydantic import Field, ValidationError
from sqlalchemy import Engine

from blocks.video import LlmEndpoint, YouTubeChannel
from flows.common.artifacts import markdown_table
from flows.common.db import APP_DB_BLOCK, app_engine
from flows.common.errors import ConfigError, PermanentError
from flows.common.limits import ensure_limit
from flows.common.params import problems
from flows.common.retry import retry_policy
from flows.common.runs import read_runs
from flows.common.settings import zombie_after
from flows.common.times import utcnow
from flows.video import (
    ASSETS_BLOCK,
    CREATE_LIMIT,
    CREATE_LIMIT_SLOTS,
    LLM_BLOCK,
    ON_DEMAND_DEPLOYMENT,
    YOUTUBE_BLOCK,
    jobs,
)
from flows.video.analytics import (
    fetch_statistics,
    stats_markdown,
    store_statistics,
    titles,
    uploaded_video_ids,
)
from flows.video.assets import Assets, pick_assets
from flows.video.cache import job_dir, job_key, missing_files, results_dir, stage_cache
from flows.video.metadata import build_metadata
from flows.video.quota import QuotaExhausted, next_reset
from flows.video.render import Rendered, render_video
from flows.video.request import TOPIC_MAX, VideoRequest
from flows.video.script import Script, write_script
from flows.video.speech import split_sentences
from flows.video.thumbnail import make_thumbnail
from flows.video.upload import set_thumbnail, upload_video
from flows.video.voice import Narration, narrate, voice_for
from flows.video.youtube import youtube_service

CREATE_TIMEOUT_SECONDS = 4 * 3600  # a 15-minute landscape video, a slot to wait for, an upload
ANALYTICS_TIMEOUT_SECONDS = 1800
STAGE_TIMEOUT_SECONDS = 2 * 3600
LEASE_SECONDS = 300  # the render slot's lease, renewed by Prefect while the stage runs
# Start the rescheduled run a little after the reset: our clock and Google's differ.
RESET_MARGIN = timedelta(minutes=5)
RESCHEDULED_STATE = "Rescheduled"
SKIPPED_BUSY = "skipped: job busy"


def not_quota(task: Any, task_run: TaskRun, state: State) -> bool:
    """Retry what may pass on a second try; never a permanent error or a spent quota
    (retrying into a daily quota only burns the next day's)."""
    return not isinstance(state.data, PermanentError | QuotaExhausted)


def _retries(retries: int, first_delay: float, cap: float) -> dict[str, Any]:
    return {
        **retry_policy(retries=retries, first_delay=first_delay, cap=cap),
        "retry_condition_fn": not_quota,
    }


# --- the stages ----------------------------------------------------------------------------


@task(
    name="script",
    # No module source here: a script is the LLM's, not a function of our code, and
    # asking again after an upgrade would make another video of a job half done.
    cache_policy=stage_cache(exclude=("endpoint", "block_name")),
    persist_result=True,
    timeout_seconds=900,
    **_retries(3, 10.0, 120.0),
)
def script_stage(
    job_key: str,
    request: VideoRequest,
    endpoint: LlmEndpoint,
    block_name: str,
    engine: Engine,
    flow_run_id: str | None,
) -> Script:
    """The LLM's script, validated; an outage or a 429 is retried, a bad reply twice
    or a wrong key is not."""
    with jobs.stage_run(engine, job_key, "script", flow_run_id):
        return write_script(endpoint, request, block_name=block_name)


@task(
    name="assets",
    cache_policy=stage_cache("flows.video.assets"),
    persist_result=True,
    timeout_seconds=600,
)
def assets_stage(
    job_key: str,
    library: str | None,
    terms: list[str],
    tags: list[str],
    engine: Engine,
    flow_run_id: str | None,
) -> Assets:
    with jobs.stage_run(engine, job_key, "assets", flow_run_id):
        return pick_assets(Path(library) if library else None, terms, tags, seed=job_key)


@task(
    name="voice",
    cache_policy=stage_cache("flows.video.voice"),
    persist_result=True,
    timeout_seconds=STAGE_TIMEOUT_SECONDS,
    **_retries(1, 5.0, 5.0),
)
def voice_stage(
    job_key: str,
    sentences: list[str],
    voice: str,
    out_dir: Path,
    engine: Engine,
    flow_run_id: str | None,
) -> Narration:
    with render_slot("voice", flow_run_id), jobs.stage_run(engine, job_key, "voice", flow_run_id):
        return narrate(sentences, voice_for(voice), out_dir)


@task(
    name="render",
    cache_policy=stage_cache("flows.video.render", "flows.video.subtitles", "flows.video.probe"),
    persist_result=True,
    timeout_seconds=STAGE_TIMEOUT_SECONDS,
    **_retries(1, 5.0, 5.0),
)
def render_stage(
    job_key: str,
    narration: Narration,
    assets: Assets,
    size: tuple[int, int],
    out: Path,
    preset: str,
    engine: Engine,
    flow_run_id: str | None,
) -> Rendered:
    with render_slot("render", flow_run_id), jobs.stage_run(engine, job_key, "render", flow_run_id):
        return render_video(narration, assets, size, out, preset=preset)


@task(
    name="thumbnail",
    cache_policy=stage_cache("flows.video.thumbnail"),
    persist_result=True,
    timeout_seconds=600,
    **_retries(1, 5.0, 5.0),
)
def thumbnail_stage(
    job_key: str,
    title: str,
    video: Path,
    out: Path,
    engine: Engine,
    flow_run_id: str | None,
) -> Path:
    with (
        render_slot("thumbnail", flow_run_id),
        jobs.stage_run(engine, job_key, "thumbnail", flow_run_id),
    ):
        return make_thumbnail(title, video, out)


@task(name="metadata", cache_policy=NO_CACHE, timeout_seconds=60)
def metadata_stage(
    job_key: str,
    script: Script,
    request: VideoRequest,
    category_id: str,
    engine: Engine,
    flow_run_id: str | None,
) -> dict:
    """Not cached: it costs nothing, and a run the quota pushed to tomorrow must check
    `publishAt` against tomorrow's clock."""
    with jobs.stage_run(engine, job_key, "metadata", flow_run_id):
        return build_metadata(script, request, category_id)


@task(
    name="upload",
    cache_policy=NO_CACHE,
    timeout_seconds=STAGE_TIMEOUT_SECONDS,
    **_retries(5, 10.0, 300.0),
)
def upload_stage(
    job_key: str,
    video: Path,
    body: dict,
    channel: YouTubeChannel,
    channel_name: str,
    engine: Engine,
    flow_run_id: str | None,
) -> str:
    """videos.insert, resumable; a retry (or a re-run) resumes the session the app
    database holds, and an uploaded job returns its video id without a call."""
    with jobs.stage_run(engine, job_key, "upload", flow_run_id):
        service = youtube_service(channel, block_name=channel_name)
        return upload_video(
            engine, service, channel_name, job_key, video, body, chunk_bytes=channel.chunk_bytes
        )


@task(name="thumbnail-upload", cache_policy=NO_CACHE, timeout_seconds=600, **_retries(3, 10, 120))
def thumbnail_upload_stage(
    job_key: str,
    video_id: str,
    thumbnail: Path,
    channel: YouTubeChannel,
    channel_name: str,
    engine: Engine,
    flow_run_id: str | None,
) -> None:
    with jobs.stage_run(engine, job_key, jobs.THUMBNAIL_SET, flow_run_id):
        service = youtube_service(channel, block_name=channel_name)
        set_thumbnail(engine, service, job_key, video_id, thumbnail)


class Stages:
    """Runs the stage tasks of one flow run; remembers which ran and which were cached."""

    def __init__(self) -> None:
        self.storage = results_dir()
        self.done: list[tuple[str, str]] = []  # (stage, "ran" | "cached" | "ran again")

    def __call__(self, stage: str, task_: Any, *args: Any, **kwargs: Any) -> Any:
        options = {"task_run_name": stage}
        if task_.cache_policy is not NO_CACHE:
            options["result_storage"] = self.storage
        state = task_.with_options(**options)(*args, return_state=True, **kwargs)
        result = state.result()  # raises the stage's error
        how = "cached" if state.name == "Cached" else "ran"
        gone = missing_files(result)
        if gone and how == "cached":
            get_run_logger().warning(
                "%s: the cached result names %s, which is gone: running the stage again",
                stage,
                ", ".join(map(str, gone[:3])),
            )
            options["refresh_cache"] = True
            state = task_.with_options(**options)(*args, return_state=True, **kwargs)
            result, how = state.result(), "ran again"
            gone = missing_files(result)
        if gone:
            raise PermanentError(f"{stage}: the stage's result names missing file(s) {gone[:3]}")
        self.done.append((stage, how))
        return result


# --- limits and rescheduling ---------------------------------------------------------------


def ensure_create_limit() -> None:
    """Create the `create-video` limit with its 2 slots when missing. A limit someone
    changed is left alone: the slot count is the host's capacity, theirs to set."""
    with get_client(sync_client=True) as client:
        ensure_limit(client, CREATE_LIMIT, CREATE_LIMIT_SLOTS)


@contextmanager
def render_slot(stage: str, run_id: str | None) -> Iterator[None]:
    """Hold one `create-video` slot (waiting for it) while a CPU-bound stage really runs.

    Taken inside the stage's task, so a stage the cache answers waits for no slot: a
    re-run of a rendered job never queues behind other renders (and taking a slot costs
    the server round trips of a lease). `strict`: a missing limit is an error, never
    silently no limit. The lease is renewed while held; a run whose host dies frees its
    slot when the lease ends.
    """
    ensure_create_limit()
    get_run_logger().info("%s: waiting for a %r slot", stage, CREATE_LIMIT)
    holder = ConcurrencyLeaseHolder(type="flow_run", id=uuid.UUID(run_id)) if run_id else None
    with concurrency(
        CREATE_LIMIT, occupy=1, lease_duration=LEASE_SECONDS, strict=True, holder=holder
    ):
        yield


def run_alive(run_id: str) -> bool:
    """Is this flow run still at work: not ended, and heard from within the zombie
    threshold (a host that died sends no heartbeat; `zombie_after_seconds`)?"""
    now, threshold = utcnow(), zombie_after()
    with get_client(sync_client=True) as client:
        status = read_runs(client, [run_id], now, threshold).get(run_id)
    return status is not None and not status.is_final and not status.is_zombie(now, threshold)


def _deployment_name() -> str:
    """This run's deployment as users type it; the on-demand one for a direct call."""
    from prefect.runtime import deployment

    if not deployment.id:
        return ON_DEMAND_DEPLOYMENT
    with get_client(sync_client=True) as client:
        dep = client.read_deployment(uuid.UUID(str(deployment.id)))
        return f"{client.read_flow(dep.flow_id).name}/{dep.name}"


def reset_time(exc: BaseException) -> datetime:
    """When the quota that stopped us is back (the error carries it), plus a margin."""
    return (getattr(exc, "reset_at", None) or next_reset(utcnow())) + RESET_MARGIN


def reschedule(parameters: dict[str, Any], job_key: str, when: datetime) -> Any:
    """A run of the same deployment with the same parameters at `when`, through
    Prefect's scheduler (no worker waits). The idempotency key makes a second run
    stopped by the same day's quota find the first one's instead of adding another."""
    name = _deployment_name()
    try:
        return run_deployment(
            name,
            parameters=parameters,
            scheduled_time=when,
            timeout=0,
            as_subflow=False,
            tags=["video", "after-quota"],
            idempotency_key=f"create-video:{job_key}:after-quota:{when:%Y-%m-%d}",
        )
    except ObjectNotFound:
        raise ConfigError(
            f"quota spent and no deployment {name!r} to reschedule the job on: "
            f"run it again after {when.isoformat()}"
        ) from None


# --- the flows ------------------------------------------------------------------------------


def _shown(path: Path) -> str:
    """A path as short as it can be said: relative to the working directory (the
    project root on a worker) when below it."""
    try:
        return str(path.resolve().relative_to(Path(os.getcwd()).resolve()))
    except ValueError:
        return str(path)


def _request(**fields: Any) -> VideoRequest:
    try:
        return VideoRequest(**fields)
    except ValidationError as exc:
        raise ConfigError(f"create-video parameters: {problems(exc, 'request')}") from None


def _library(block_name: str) -> str | None:
    """The asset library folder, or None (a generated background) without the block."""
    try:
        block = LocalFileSystem.load(block_name)
    except ValueError:
        get_run_logger().info("no %r block: a generated background", block_name)
        return None
    return str(Path(block.basepath).expanduser()) if block.basepath else None


def _artifact(job_key: str, request: VideoRequest, lines: list[list[object]], done) -> None:
    stages = markdown_table(["stage", "this run"], [list(d) for d in done])
    create_markdown_artifact(
        key=f"video-{job_key[:12]}",
        markdown=f"## {request.topic}\n\n"
        + markdown_table(["", ""], lines)
        + f"\n\n### Stages\n\n{stages}\n",
        description=f"create-video: {request.topic[:200]}",
    )


@flow(
    name="create-video",
    flow_run_name="video-{topic}",
    persist_result=True,
    timeout_seconds=CREATE_TIMEOUT_SECONDS,
)
def create_video(
    topic: Annotated[str, Field(min_length=3, max_length=TOPIC_MAX)],
    publish_at: datetime | None = None,
    style: str = "educational",
    format: Literal["short", "landscape"] = "short",
    duration_seconds: Annotated[int, Field(ge=10, le=900)] = 60,
    tags: list[str] | None = None,
    privacy: Literal["private", "unlisted", "public"] = "private",
    category_id: str | None = None,
    voice: str = "en-us",
    series: str | None = None,
    variant: str = "",
    render_size: tuple[int, int] | None = None,
    render_preset: str = "veryfast",
    llm_block: str = LLM_BLOCK,
    youtube_block: str = YOUTUBE_BLOCK,
    assets_block: str = ASSETS_BLOCK,
    app_db_block: str = APP_DB_BLOCK,
) -> State:
    """One video from a topic: script, assets, voice, render, thumbnail, metadata,
    upload. The same request again is the same job: finished stages come from the
    cache and it is uploaded at most once.

    Args:
        topic: what the video is about (3 to 300 characters); the LLM writes the rest.
        publish_at: when YouTube publishes it (with a timezone); forces privacy private
            until then.
        style: the script's tone ("educational", "storytelling"...).
        format: "short" (1080x1920) or "landscape" (1920x1080).
        duration_seconds: the narration's target length (10 to 900).
        tags: YouTube tags, added to the script's.
        privacy: private, unlisted or public (private while publish_at is ahead).
        category_id: YouTube category; the channel block's by default.
        voice: the espeak-ng voice.
        series: a recurring series' slug (part 2's recurring deployment sets it).
        variant: another video of the same request is another variant.
        render_size: [width, height] instead of the format's (a preview, a test).
        render_preset: the x264 preset (ultrafast ... veryslow).
    """
    logger = get_run_logger()
    request = _request(
        topic=topic,
        publish_at=publish_at,
        style=style,
        format=format,
        duration_seconds=duration_seconds,
        tags=tags or (),
        privacy=privacy,
        category_id=category_id,
        voice=voice,
        series=series,
        variant=variant,
    )
    key = job_key(request, render_size)
    run_id = str(flow_run.id) if flow_run.id else None
    engine = app_engine(app_db_block)
    try:
        jobs.open_job(engine, request, run_id, alive=run_alive, job_key=key)
    except jobs.JobBusy as busy:
        logger.info("%s", busy)
        return Cancelled(message=f"{SKIPPED_BUSY}: {busy}")
    folder = job_dir(key)
    stage = Stages()
    common = {"engine": engine, "flow_run_id": run_id}
    size = tuple(render_size) if render_size else request.size
    try:
        endpoint = LlmEndpoint.load(llm_block)
        script = stage("script", script_stage, key, request, endpoint, llm_block, **common)
        jobs.advance(engine, key, jobs.SCRIPTED, title=script.title)
        assets = stage(
            "assets",
            assets_stage,
            key,
            _library(assets_block),
            script.search_terms,
            [*request.tags, *script.tags],
            **common,
        )
        sentences = split_sentences(script.narration)
        narration = stage(
            "voice", voice_stage, key, sentences, request.voice, folder / "voice", **common
        )
        rendered = stage(
            "render",
            render_stage,
            key,
            narration,
            assets,
            size,
            folder / "video.mp4",
            render_preset,
            **common,
        )
        thumbnail = stage(
            "thumbnail",
            thumbnail_stage,
            key,
            script.title,
            rendered.path,
            folder / "thumbnail.jpg",
            **common,
        )
        jobs.advance(
            engine,
            key,
            jobs.RENDERED,
            video_path=str(rendered.path),
            thumbnail_path=str(thumbnail),
            duration_seconds=rendered.duration,
        )
        for skipped in rendered.skipped:
            logger.warning("render: %s", skipped)
        channel = YouTubeChannel.load(youtube_block)
        body = stage(
            "metadata",
            metadata_stage,
            key,
            script,
            request,
            request.category_id or channel.category_id,
            **common,
        )
        jobs.advance(engine, key, jobs.UPLOADING)
        video_id = stage(
            "upload", upload_stage, key, rendered.path, body, channel, youtube_block, **common
        )
        stage(
            "thumbnail upload",
            thumbnail_upload_stage,
            key,
            video_id,
            thumbnail,
            channel,
            youtube_block,
            **common,
        )
    except QuotaExhausted as exc:
        return _rescheduled(engine, request, key, exc, flow_run.parameters)
    except BaseException as exc:
        jobs.fail(engine, key, exc)
        raise
    jobs.advance(engine, key, jobs.UPLOADED)
    line = f"uploaded {video_id}: {_shown(rendered.path)}, {_shown(thumbnail)}"
    _artifact(
        key,
        request,
        [
            ["title", script.title],
            ["video id", video_id],
            ["video", rendered.path],
            ["thumbnail", thumbnail],
            ["duration", f"{rendered.duration:.1f} s"],
            ["publish at", request.publish_at.isoformat() if request.publish_at else "now"],
            ["job key", key],
        ],
        stage.done,
    )
    logger.info(line)
    return Completed(
        message=line,
        data={
            "job_key": key,
            "video_id": video_id,
            "video": str(rendered.path),
            "thumbnail": str(thumbnail),
            "title": script.title,
            "duration": rendered.duration,
            "stages": dict(stage.done),
        },
    )


def _rescheduled(
    engine: Engine,
    request: VideoRequest,
    key: str,
    exc: BaseException,
    parameters: dict[str, Any],
) -> State:
    """The quota is spent: a run of the same job after the reset, and this one ends."""
    when = reset_time(exc)
    try:
        later = reschedule(dict(parameters), key, when)
    except BaseException as error:
        jobs.fail(engine, key, f"{exc}; not rescheduled: {error}")
        raise
    line = f"quota: {exc}; run {later.name} scheduled for {when.isoformat(timespec='minutes')}"
    jobs.advance(engine, key, jobs.RESCHEDULED, error=line)
    get_run_logger().warning(line)
    return Completed(
        name=RESCHEDULED_STATE,
        message=line,
        data={"job_key": key, "rescheduled_run": str(later.id), "at": when.isoformat()},
    )


@task(name="videos.list", cache_policy=NO_CACHE, timeout_seconds=600, **_retries(3, 10, 120))
def statistics_task(
    channel: YouTubeChannel, channel_name: str, video_ids: list[str], engine: Engine
) -> list[dict]:
    service = youtube_service(channel, block_name=channel_name)
    return fetch_statistics(service, video_ids, engine=engine, channel_name=channel_name)


@flow(name="youtube-analytics", persist_result=True, timeout_seconds=ANALYTICS_TIMEOUT_SECONDS)
def youtube_analytics(
    youtube_block: str = YOUTUBE_BLOCK, app_db_block: str = APP_DB_BLOCK
) -> State:
    """The statistics of every video this app uploaded (videos.list, 50 ids a call, 1
    quota unit each), appended to the app database's time series and shown as a table.

    Args:
        youtube_block: the channel whose videos are read.
    """
    engine = app_engine(app_db_block)
    with engine.connect() as conn:
        ids = uploaded_video_ids(conn)
    if not ids:
        return Completed(message="no uploaded video yet")
    channel = YouTubeChannel.load(youtube_block)
    fetched_at = utcnow()
    try:
        rows = statistics_task(channel, youtube_block, ids, engine)
    except QuotaExhausted as exc:
        # Nothing to reschedule: tomorrow's run reads the same videos.
        return Completed(name="Skipped", message=f"quota: {exc}; the next daily run reads them")
    with engine.begin() as conn:
        store_statistics(conn, rows, fetched_at)
        names = titles(conn, [r["video_id"] for r in rows])
    create_markdown_artifact(
        key="youtube-analytics",
        markdown=stats_markdown(rows, fetched_at, names),
        description=f"statistics of {len(rows)} video(s)",
    )
    views = sum(r.get("views") or 0 for r in rows)
    likes = sum(r.get("likes") or 0 for r in rows)
    gone = len(ids) - len(rows)
    line = f"{len(rows)} video(s): {views} views, {likes} likes"
    if gone:
        line += f"; {gone} no longer returned by YouTube"
    return Completed(message=line, data={"videos": len(rows), "views": views, "likes": likes})
