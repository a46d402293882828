"""The demo's download client: the account the product's block logs in with."""

from __future__ import annotations

from infra.sandbox.core.service import Seeded
from infra.sandbox.services.qbittorrent.state import (
    DEFAULT_PASSWORD,
    DEFAULT_USERNAME,
    QbittorrentState,
)


def seed_demo(state: QbittorrentState, base_url: str) -> Seeded:
    state.reset()
    return Seeded(
        env={
            "DOWNLOAD_CLIENT_URL": base_url,
            "DOWNLOAD_CLIENT_USERNAME": DEFAULT_USERNAME,
            "DOWNLOAD_CLIENT_PASSWORD": DEFAULT_PASSWORD,
        },
        data={"username": DEFAULT_USERNAME},
    )
