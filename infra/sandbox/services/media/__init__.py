"""Fake media hosts under ``/media`` for the yt-dlp based link downloader: media files,
pages with a video, and the failures the downloader must handle."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter

from infra.sandbox.core.service import Seeded, Service
from infra.sandbox.services.media import routes
from infra.sandbox.services.media.client import MediaClient


class MediaService(Service):
    """Stateless: what a path serves depends on the path only."""

    name = "media"
    client = MediaClient
    seed_names = frozenset({"demo"})

    def routes(self) -> APIRouter:
        return routes.build_router()

    def seed(self, name: str) -> Seeded:
        """The demo's links point here, on loopback: the product's outbound-URL guard must
        let exactly this host and port through, and nothing else on the machine."""
        return Seeded(env={"OUTBOUND_ALLOW": urlsplit(self.sandbox_url).netloc})


SERVICE = MediaService
