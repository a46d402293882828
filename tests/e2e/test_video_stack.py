"""The faceless-video deployments through a real server, `prefect deploy --all`, a process
worker and `prefect deployment run`, against the sandbox's LLM, stock library and HTTPS
YouTube; the app database is PostgreSQL.

One job, as a user lives it: YouTube refuses the upload (the day's uploads are spent), the
run ends Rescheduled with a run of the same deployment waiting for the reset on the
server (no worker sleeps); the next day the same request runs on another flow-run process
and takes script, voice and render from the cache the first one persisted, uploads, and
the analytics run reads the video's statistics."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from sqlalchemy import create_engine, delete, func, select

from flows.video import CREATE_LIMIT, CREATE_LIMIT_SLOTS
from flows.video.cache import job_key
from flows.video.request import VideoRequest
from flows.video.tables import (
    video_jobs,
    video_stage_runs,
    youtube_quota_usage,
    youtube_video_stats,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.xdist_group("stack-b")]

PARAMS = ("render_size=[180, 320]", "render_preset=ultrafast", "duration_seconds=10")


def youtube(live, method: str, path: str, **kwargs) -> dict:
    response = httpx.request(
        method, f"{live.stack.sandbox_url}/_sandbox/youtube{path}", timeout=10, **kwargs
    )
    response.raise_for_status()
    return response.json()


def test_a_video_waits_for_the_quota_then_uploads_from_the_cache_and_is_read_daily(live):
    topic = f"Why cats purr {uuid.uuid4().hex[:6]}"
    key = job_key(VideoRequest(topic=topic, duration_seconds=10), (180, 320))
    engine = create_engine(live.pg_url)
    youtube(live, "POST", "/quota", json={"uploads_remaining": 0})
    try:
        first = live.wait_final(
            live.run_deployment(f"topic={topic}", *PARAMS, name="create-video/on-demand"),
            timeout=240,
        )
    finally:
        youtube(live, "POST", "/quota", json={"uploads_remaining": 100})
    assert first.state.name == "Rescheduled", first.state.message
    scheduled = FlowRunFilter(
        state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED]))
    )
    runs = live.api(lambda c: c.read_flow_runs(flow_run_filter=scheduled))
    [waiting] = [r for r in runs if r.parameters.get("topic") == topic]
    assert waiting.name in first.state.message
    assert waiting.deployment_id == first.deployment_id
    assert waiting.next_scheduled_start_time > first.end_time
    assert "after-quota" in waiting.tags
    limit = live.api(lambda c: c.read_global_concurrency_limit_by_name(CREATE_LIMIT))
    assert limit.limit == CREATE_LIMIT_SLOTS

    # The next quota day: our own count of it starts again; the waiting run is not ours
    # to wait for, so the user runs the request now.
    live.api(lambda c: c.delete_flow_run(waiting.id))
    with engine.begin() as conn:
        conn.execute(delete(youtube_quota_usage))
    done = live.wait_final(
        live.run_deployment(f"topic={topic}", *PARAMS, name="create-video/on-demand"),
        timeout=240,
    )
    assert done.state.name == "Completed", done.state.message
    video_id = done.state.message.split()[1].rstrip(":")
    with engine.connect() as conn:
        job = conn.execute(select(video_jobs).where(video_jobs.c.job_key == key)).one()
        stages = dict(
            conn.execute(
                select(video_stage_runs.c.stage, func.count())
                .where(video_stage_runs.c.job_key == key)
                .group_by(video_stage_runs.c.stage)
            ).all()
        )
    assert job.status == "uploaded" and Path(job.video_path).is_file()
    assert (stages["script"], stages["voice"], stages["render"], stages["upload"]) == (1, 1, 1, 1)
    [video] = [v for v in youtube(live, "GET", "/state")["videos"] if v["id"] == video_id]
    assert video["size"] == Path(job.video_path).stat().st_size

    youtube(live, "POST", f"/videos/{video_id}/statistics", json={"views": 42, "likes": 7})
    daily = live.wait_final(live.run_deployment(name="youtube-analytics/daily"), timeout=180)
    assert daily.state.name == "Completed", daily.state.message
    with engine.connect() as conn:
        views = (
            conn.execute(
                select(youtube_video_stats.c.views).where(
                    youtube_video_stats.c.video_id == video_id
                )
            )
            .scalars()
            .all()
        )
    engine.dispose()
    assert views == [42]
