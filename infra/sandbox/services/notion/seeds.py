"""The demo's saved-links database (``--seed demo`` / ``POST /_sandbox/seed/demo``).

Fixed ids and token, so ``make demo`` and docs can hard-code them. Its rows cover every
downloader outcome; their URLs are absolute and point at the sandbox's media hosts, hence
the seed needs the sandbox's own URL.
"""

from __future__ import annotations

from typing import Any

from infra.sandbox.core.service import Seeded
from infra.sandbox.services.notion.state import NotionState

DEMO_DATABASE_ID = "5a1e0000-0000-4000-8000-000000000001"
DEMO_DATA_SOURCE_ID = "5a1e0000-0000-4000-8000-000000000002"
DEMO_TOKEN = "sandbox-notion-token"
DEMO_TITLE = "Saved links (sandbox demo)"


def demo_rows(sandbox_url: str) -> list[dict[str, Any]]:
    """One row per downloader outcome; all pending rows have status New. Every link is on
    the sandbox's media hosts but one, which points at a cloud's metadata address."""
    media = sandbox_url.rstrip("/") + "/media"
    return [
        {"name": "Direct MP4", "url": f"{media}/files/demo-clip.mp4", "status": "New"},
        {"name": "Direct JPG", "url": f"{media}/files/demo-photo.jpg", "status": "New"},
        {"name": "Page with a video", "url": f"{media}/pages/demo-page.html", "status": "New"},
        {"name": "Gone (404)", "url": f"{media}/gone/old-clip.mp4", "status": "New"},
        {"name": "Forbidden (403)", "url": f"{media}/forbidden/private-clip.mp4", "status": "New"},
        {"name": "Login wall", "url": f"{media}/login/members-clip.mp4", "status": "New"},
        {"name": "HTML instead of media", "url": f"{media}/fake/promised.mp4", "status": "New"},
        {"name": "Truncated download", "url": f"{media}/truncated/broken.mp4", "status": "New"},
        # outside input pointing inside the network: the product refuses it unsent
        {
            "name": "Cloud metadata (inside the network)",
            "url": "http://169.254.169.254/latest/meta-data/",
            "status": "New",
        },
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


def seed_demo(state: NotionState, sandbox_url: str, base_url: str) -> Seeded:
    """Create (or re-create) the demo database; ``base_url`` is the fake Notion's own."""
    made = state.seed_database(
        token=DEMO_TOKEN,
        title=DEMO_TITLE,
        rows=demo_rows(sandbox_url),
        database_id=DEMO_DATABASE_ID,
        data_source_id=DEMO_DATA_SOURCE_ID,
    )
    env = {
        "NOTION_TOKEN": DEMO_TOKEN,
        "NOTION_DATABASE_ID": DEMO_DATABASE_ID,
        "NOTION_BASE_URL": base_url,
    }
    return Seeded(env=env, data={**made, "token": DEMO_TOKEN})
