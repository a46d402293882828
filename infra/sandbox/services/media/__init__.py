"""Fake media hosts under ``/media`` for the yt-dlp based link downloader: media files,
pages with a video, and the failures the downloader must handle."""

from __future__ import annotations

from fastapi import APIRouter

from infra.sandbox.core.service import Service
from infra.sandbox.services.media import routes
from infra.sandbox.services.media.client import MediaClient


class MediaService(Service):
    """Stateless: what a path serves depends on the path only."""

    name = "media"
    client = MediaClient

    def routes(self) -> APIRouter:
        return routes.build_router()


SERVICE = MediaService
