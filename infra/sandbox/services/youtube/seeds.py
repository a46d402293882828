"""The demo's YouTube channel (``--seed demo``): one OAuth client and refresh token.

Fixed values, so ``make demo`` and the docs can name them.
"""

from __future__ import annotations

from infra.sandbox.core.service import Seeded
from infra.sandbox.services.youtube.state import YouTubeState

DEMO_CLIENT_ID = "sandbox-youtube-client.apps.googleusercontent.com"
DEMO_CLIENT_SECRET = "sandbox-youtube-client-secret"
DEMO_REFRESH_TOKEN = "sandbox-youtube-refresh-token"


def seed_demo(state: YouTubeState, base_url: str, ca_bundle: str | None) -> Seeded:
    state.add_client(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN)
    env = {
        "YOUTUBE_CLIENT_ID": DEMO_CLIENT_ID,
        "YOUTUBE_CLIENT_SECRET": DEMO_CLIENT_SECRET,
        "YOUTUBE_REFRESH_TOKEN": DEMO_REFRESH_TOKEN,
        "YOUTUBE_API_ENDPOINT": base_url,
        "YOUTUBE_TOKEN_URI": f"{base_url}/token",
        "YOUTUBE_CA_BUNDLE": ca_bundle or "",
    }
    return Seeded(env=env, data={"client_id": DEMO_CLIENT_ID, "channel_id": "sandbox"})
