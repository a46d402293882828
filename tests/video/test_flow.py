"""The create-video flow under the test harness, against the sandbox's LLM and YouTube
over HTTP(S), with real espeak-ng, ffmpeg and google-api-python-client: a real short
video (small, to stay quick) checked with ffprobe and uploaded; a run that failed at the
upload run again without a new LLM call, voice or render; a spent quota scheduling the
run after the reset through Prefect."""

from __future__ import annotations

import asyncio
import json
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterName,
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.states import Running
from pydantic import SecretStr

from blocks.video import LlmEndpoint
from flows.common.times import utcnow
from flows.video import jobs
from flows.video.cache import job_key
from flows.video.flow import RESET_MARGIN, create_video, youtube_analytics
from flows.video.quota import next_reset
from flows.video.request import VideoRequest
from infra.sandbox.core.client import Sandbox
from infra.sandbox.services.stock.library import build
from tests.video.yt_helpers import channel_block

TOPIC = "Why cats purr"
TINY = {"render_size": (180, 320), "render_preset": "ultrafast", "duration_seconds": 10}


@pytest.fixture
def video(sb: Sandbox, save_block, app_db_block, local_app_db, data_dir, tmp_path):
    """The blocks a run needs, each under a name of this test; `run(**params)` runs the
    flow with them and a tiny render, returning its final state."""
    sb.llm.settings(sentences=2)  # a narration of a few seconds
    from prefect.filesystems import LocalFileSystem

    names = {
        "llm_block": save_block(
            LlmEndpoint(
                base_url=sb.llm.api_url,
                model=sb.llm.model,
                api_key=SecretStr(sb.llm.key),
                timeout_seconds=10,
            ),
            "llm",
        ),
        "assets_block": save_block(
            LocalFileSystem(basepath=str(build(tmp_path / "stock"))), "assets"
        ),
        "app_db_block": app_db_block,
    }

    class Video:
        engine = local_app_db.engine

        def channel(self, refresh_token: str = "test-refresh-token", **fields) -> str:
            """A `youtube-channel` block the sandbox's YouTube accepts, used from now on."""
            block = channel_block(sb, refresh_token=refresh_token, **fields)
            names["youtube_block"] = save_block(block, "youtube")
            return names["youtube_block"]

        def run(self, **params):
            return create_video(topic=TOPIC, **TINY, **names, **params, return_state=True)

        app_db_block = names["app_db_block"]

        def channel_name(self) -> str:
            return names["youtube_block"]

        @property
        def key(self) -> str:
            request = VideoRequest(topic=TOPIC, duration_seconds=TINY["duration_seconds"])
            return job_key(request, TINY["render_size"])

        def counts(self) -> dict[str, int]:
            return jobs.stage_counts(self.engine, self.key)

        def on_demand(self) -> None:
            """The deployment a spent quota reschedules the run on (the harness's server
            is shared by the session's tests: no test may count on another's)."""
            create_video.to_deployment(name="on-demand").apply()

    return Video()


def _probe(path: Path) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return json.loads(out.stdout)


def _scheduled_runs(deployment_name: str) -> list:
    async def go():
        async with get_client() as client:
            return await client.read_flow_runs(
                deployment_filter=DeploymentFilter(
                    name=DeploymentFilterName(any_=[deployment_name])
                ),
                flow_run_filter=FlowRunFilter(
                    state=FlowRunFilterState(
                        type=FlowRunFilterStateType(any_=[StateType.SCHEDULED])
                    )
                ),
            )

    return asyncio.run(go())


def test_a_video_is_made_and_a_run_that_failed_at_the_upload_resumes_without_redoing_it(
    video, sb: Sandbox, run_artifacts
):
    """The whole pipeline: a real short video, checked with ffprobe, uploaded once. The
    first run fails at the upload (a revoked refresh token: no retry storm); the run after
    the block is fixed writes, speaks and renders nothing again."""
    video.channel()
    sb.youtube.revoke()
    failed = video.run()
    assert failed.is_failed()
    assert video.channel_name() in failed.message  # the error names the block
    row = jobs.job(video.engine, video.key)
    assert row["status"] == jobs.FAILED and video.channel_name() in row["error"]
    assert sb.llm.calls() == 1 and not sb.youtube.videos()

    sb.youtube.add_channel(refresh_token="a-new-refresh-token")
    video.channel(refresh_token="a-new-refresh-token")  # the user fixes the block
    done = video.run()
    assert done.is_completed(), done.message
    [uploaded] = sb.youtube.videos()
    row = jobs.job(video.engine, video.key)
    path, thumb = Path(row["video_path"]), Path(row["thumbnail_path"])
    assert done.message == f"uploaded {uploaded['id']}: {path}, {thumb}"
    assert row["status"] == jobs.UPLOADED

    # Nothing written, spoken or rendered twice: one LLM call, one row per heavy stage.
    assert sb.llm.calls() == 1
    counts = video.counts()
    for stage in ("script", "assets", "voice", "render", "thumbnail", "upload"):
        assert counts[stage] == 1, (stage, counts)
    assert counts[jobs.THUMBNAIL_SET] == 1 and counts["metadata"] == 2
    [artifact] = [a for a in run_artifacts(done) if a.key == f"video-{video.key[:12]}"]
    assert "| render | cached |" in artifact.data and "| upload | ran |" in artifact.data

    # A real video: H.264 + AAC at the asked size, as long as its narration.
    info = _probe(path)
    codecs = {s["codec_type"]: s for s in info["streams"]}
    assert codecs["video"]["codec_name"] == "h264" and codecs["audio"]["codec_name"] == "aac"
    assert (codecs["video"]["width"], codecs["video"]["height"]) == (180, 320)
    assert float(info["format"]["duration"]) == pytest.approx(row["duration_seconds"], rel=0.05)
    assert 2 < row["duration_seconds"] < 30
    # ... uploaded byte for byte, with its metadata and thumbnail.
    assert sb.youtube.content(uploaded["id"]) == path.read_bytes()
    assert uploaded["snippet"]["title"] == row["title"]
    assert uploaded["status"]["containsSyntheticMedia"] is True
    assert uploaded["thumbnail_size"] == thumb.stat().st_size

    # The same request once more: the stored id, no second video.
    assert video.run().message == done.message
    assert sb.youtube.calls()["videos.insert"] == 1 and len(sb.youtube.videos()) == 1

    # The daily analytics run reads its statistics into the time series.
    sb.youtube.set_statistics(uploaded["id"], views=42, likes=7)
    daily = youtube_analytics(
        youtube_block=video.channel_name(), app_db_block=video.app_db_block, return_state=True
    )
    assert daily.message == "1 video(s): 42 views, 7 likes"
    [table] = [a for a in run_artifacts(daily) if a.key == "youtube-analytics"]
    assert uploaded["id"] in table.data and row["title"][:40] in table.data


def test_a_spent_upload_quota_schedules_the_run_after_the_reset_and_renders_once(
    video, sb: Sandbox
):
    """No upload is started on a spent day: the run ends Rescheduled with a run of the
    same deployment and parameters waiting for the reset; a second run stopped by the
    same quota renders nothing again and schedules nothing more."""
    video.on_demand()
    before = {r.id for r in _scheduled_runs("on-demand")}
    video.channel(daily_upload_limit=0)

    state = video.run()
    assert state.name == "Rescheduled", state.message
    assert state.is_completed()
    reset = next_reset(utcnow()) + RESET_MARGIN
    assert reset.isoformat(timespec="minutes") in state.message
    [later] = [r for r in _scheduled_runs("on-demand") if r.id not in before]
    assert abs(later.next_scheduled_start_time - reset) < timedelta(seconds=1)
    assert later.parameters["topic"] == TOPIC
    assert later.parameters["render_size"] == [180, 320]
    row = jobs.job(video.engine, video.key)
    assert row["status"] == jobs.RESCHEDULED and Path(row["video_path"]).is_file()

    again = video.run()
    assert again.name == "Rescheduled"
    assert [r for r in _scheduled_runs("on-demand") if r.id not in before] == [later]
    assert sb.llm.calls() == 1
    counts = video.counts()
    assert (counts["script"], counts["voice"], counts["render"], counts["thumbnail"]) == (
        1,
        1,
        1,
        1,
    )
    assert "upload" not in counts  # never started


def test_a_cached_stage_whose_file_is_gone_runs_again(video, sb: Sandbox):
    video.on_demand()
    video.channel(daily_upload_limit=0)
    first = video.run()
    assert first.name == "Rescheduled", first.message
    row = jobs.job(video.engine, video.key)
    Path(row["thumbnail_path"]).unlink()

    assert video.run().name == "Rescheduled"
    assert Path(row["thumbnail_path"]).is_file()
    counts = video.counts()
    assert counts["thumbnail"] == 2 and counts["render"] == 1 and counts["voice"] == 1
    assert sb.llm.calls() == 1


@pytest.mark.parametrize("topic", ["", "x" * 5000])
def test_a_topic_of_0_or_5000_characters_is_refused_when_the_run_is_created(
    prefect_harness, topic: str
):
    deployment_id = create_video.to_deployment(name="on-demand").apply()

    async def create():
        async with get_client() as client:
            return await client.create_flow_run_from_deployment(
                deployment_id, parameters={"topic": topic}
            )

    with pytest.raises(Exception, match="topic"):
        asyncio.run(create())


def test_a_publish_time_without_timezone_fails_the_run_naming_it(video, sb: Sandbox):
    video.channel()
    state = video.run(publish_at=datetime(2030, 1, 1, 10, 0))
    assert state.is_failed() and "publish_at" in state.message
    assert sb.llm.calls() == 0


def test_a_job_another_live_run_is_making_is_not_made_twice(video, sb: Sandbox):
    """Two runs of one request at once (a double click, a retry while it runs): the
    second ends Cancelled without a script, a render or an upload."""
    video.channel()

    async def running_run():
        async with get_client() as client:
            return await client.create_flow_run(create_video, state=Running())

    holder = asyncio.run(running_run())
    request = VideoRequest(topic=TOPIC, duration_seconds=10)
    jobs.open_job(video.engine, request, str(holder.id), job_key=video.key)

    state = video.run()
    assert state.is_cancelled() and str(holder.id) in state.message
    assert state.message.startswith("skipped: job busy")
    assert sb.llm.calls() == 0 and not video.counts()
