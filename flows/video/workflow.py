"""Faceless video as the shared machinery sees it (`flows.common.workflows`)."""

from __future__ import annotations

from prefect.filesystems import LocalFileSystem

from blocks.video import LlmEndpoint, YouTubeChannel
from flows.common.workflows import BlockSetting, DemoRun, Workflow
from flows.video import (
    ANALYTICS_DEPLOYMENT,
    ASSETS_BLOCK,
    LLM_BLOCK,
    ON_DEMAND_DEPLOYMENT,
    YOUTUBE_BLOCK,
)
from flows.video.health import video_health
from flows.video.tables import TABLES

# A short portrait video: quick to render, and the same path a long one takes.
DEMO_REQUEST = {
    "topic": "Three Python tips for clean code",
    "format": "short",
    "duration_seconds": 20,
    "tags": ["python", "tips"],
    "publish_at": "2030-01-01T10:00:00+00:00",
}

WORKFLOW = Workflow(
    name="video",
    title="Faceless video",
    blocks=(
        BlockSetting(
            LLM_BLOCK,
            LlmEndpoint,
            {"base_url": "LLM_URL", "model": "LLM_MODEL", "api_key": "LLM_API_KEY"},
        ),
        BlockSetting(
            YOUTUBE_BLOCK,
            YouTubeChannel,
            {
                "client_id": "YOUTUBE_CLIENT_ID",
                "client_secret": "YOUTUBE_CLIENT_SECRET",
                "refresh_token": "YOUTUBE_REFRESH_TOKEN",
                "api_endpoint": "YOUTUBE_API_ENDPOINT",
                "token_uri": "YOUTUBE_TOKEN_URI",
                "ca_bundle": "YOUTUBE_CA_BUNDLE",
            },
        ),
        # The asset library is a folder of this host: Prefect's own LocalFileSystem.
        BlockSetting(ASSETS_BLOCK, LocalFileSystem, {"basepath": "VIDEO_ASSETS_DIR"}),
    ),
    # The video first; the analytics run then reads the statistics of what it uploaded.
    demo=(
        DemoRun(ON_DEMAND_DEPLOYMENT, DEMO_REQUEST),
        DemoRun(ANALYTICS_DEPLOYMENT, phase=1),
    ),
    health=(video_health,),
    tables=TABLES,
)
