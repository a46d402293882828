"""Named seed data sets (``--seed demo`` / ``POST /_sandbox/seed/demo``).

The demo database has fixed ids and token so ``make demo`` and docs can hard-code them.
Its rows cover every downloader outcome; URLs are absolute and point at the sandbox itself,
hence the seed needs the sandbox's own base URL. The demo camera portal (fixed credentials,
streams ``in_gate`` and ``out_gate``) runs on the wall clock, so a demo sees new frames
appear every ten minutes just as with the real cameras.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from infra.sandbox.camera import PortalSpec, StreamSpec, install_portal
from infra.sandbox.notion import seed_database
from infra.sandbox.state import SandboxState

DEMO_DATABASE_ID = "5a1e0000-0000-4000-8000-000000000001"
DEMO_DATA_SOURCE_ID = "5a1e0000-0000-4000-8000-000000000002"
DEMO_TOKEN = "sandbox-notion-token"
DEMO_TITLE = "Saved links (sandbox demo)"
DEMO_CAMERA_USERNAME = "camera-demo"
DEMO_CAMERA_PASSWORD = "camera-demo-password"
DEMO_CAMERA_STREAMS = ("in_gate", "out_gate")


def demo_rows(base_url: str) -> list[dict[str, Any]]:
    """One row per downloader outcome; all pending rows have status New."""
    media = base_url.rstrip("/") + "/media"
    return [
        {"name": "Direct MP4", "url": f"{media}/files/demo-clip.mp4", "status": "New"},
        {"name": "Direct JPG", "url": f"{media}/files/demo-photo.jpg", "status": "New"},
        {"name": "Page with a video", "url": f"{media}/pages/demo-page.html", "status": "New"},
        {"name": "Gone (404)", "url": f"{media}/gone/old-clip.mp4", "status": "New"},
        {"name": "Forbidden (403)", "url": f"{media}/forbidden/private-clip.mp4", "status": "New"},
        {"name": "Login wall", "url": f"{media}/login/members-clip.mp4", "status": "New"},
        {"name": "HTML instead of media", "url": f"{media}/fake/promised.mp4", "status": "New"},
        {"name": "Truncated download", "url": f"{media}/truncated/broken.mp4", "status": "New"},
        {
            "name": "Already downloaded",
            "url": f"{media}/files/done-before.mp4",
            "status": "Done",
            "File": "done-before.mp4",
            "Media title": "Done Before",
            "Platform": "generic",
        },
        {"name": "No URL yet", "url": None, "status": "New"},
    ]


def seed_demo_camera(state: SandboxState, base_url: str) -> dict[str, Any]:
    """Create (or re-create) the demo camera portal: every frame good, live clock."""
    spec = PortalSpec(
        username=DEMO_CAMERA_USERNAME,
        password=DEMO_CAMERA_PASSWORD,
        streams={name: StreamSpec(interval_seconds=600, window=12) for name in DEMO_CAMERA_STREAMS},
        now=None,
    )
    install_portal(state, spec)
    return {
        "base_url": base_url.rstrip("/") + "/camera",
        "username": DEMO_CAMERA_USERNAME,
        "password": DEMO_CAMERA_PASSWORD,
        "streams": list(DEMO_CAMERA_STREAMS),
    }


def seed_demo(state: SandboxState, base_url: str) -> dict[str, Any]:
    """Create (or re-create) the demo saved-links database and the demo camera portal."""
    result = seed_database(
        state,
        token=DEMO_TOKEN,
        title=DEMO_TITLE,
        rows=demo_rows(base_url),
        database_id=DEMO_DATABASE_ID,
        data_source_id=DEMO_DATA_SOURCE_ID,
    )
    return {**result, "token": DEMO_TOKEN, "camera": seed_demo_camera(state, base_url)}


SEEDS: dict[str, Callable[[SandboxState, str], dict[str, Any]]] = {"demo": seed_demo}


def apply_seed(state: SandboxState, name: str, base_url: str) -> dict[str, Any]:
    """Run a named seed; ``KeyError`` for unknown names."""
    return SEEDS[name](state, base_url)
