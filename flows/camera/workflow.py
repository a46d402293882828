"""Camera images as the shared machinery sees it (`flows.common.workflows`)."""

from __future__ import annotations

from blocks.camera import CameraPortal
from flows.camera import DOWNLOAD_DEPLOYMENT, PORTAL_BLOCK
from flows.camera.health import stream_freshness
from flows.camera.records import camera_images, camera_rejects
from flows.common.workflows import BlockSetting, DemoRun, Workflow

WORKFLOW = Workflow(
    name="camera",
    title="Camera images",
    blocks=(
        BlockSetting(
            PORTAL_BLOCK,
            CameraPortal,
            {
                "base_url": "CAMERA_URL",
                "username": "CAMERA_USERNAME",
                "password": "CAMERA_PASSWORD",
                "streams": "CAMERA_STREAMS",
            },
        ),
    ),
    # The cleanup after the download, so it shows what the archive holds.
    demo=(
        DemoRun(DOWNLOAD_DEPLOYMENT, {"retry_delay_seconds": 1}),
        DemoRun("camera-cleanup/daily", phase=1),
    ),
    health=(stream_freshness,),
    tables=(camera_images, camera_rejects),
)
