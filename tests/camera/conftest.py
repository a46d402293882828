"""A camera portal in the sandbox and a portal block pointing at it, for the portal
client and the camera flows (the app database, its block and the data directory come
from tests/fixtures)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine

from blocks.camera import CameraPortal
from flows.camera.records import ImageIndex

# The portal's fixed clock: frames every 10 minutes up to this moment.
NOW = "2026-11-26T12:00:00Z"
USER, PASSWORD = "gate-operator", "s3cret-portal-pass"


@dataclass
class CameraSetup:
    sandbox: object
    data_dir: Path
    engine: Engine
    portal: CameraPortal
    portal_block: str = ""
    app_db_block: str = ""

    @property
    def index(self) -> ImageIndex:
        return ImageIndex(self.engine)

    def params(self, **extra) -> dict:
        return {
            "portal_block": self.portal_block,
            "app_db_block": self.app_db_block,
            "retry_delay_seconds": 0.05,
            "max_retry_delay_seconds": 0.1,
            **extra,
        }

    def images(self, stream: str) -> list[Path]:
        return sorted((self.data_dir / "images" / stream).rglob("*.jpg"))

    def image_gets(self, stream: str = "") -> list[dict]:
        return [
            r for r in self.sandbox.requests(rf"^/camera/images/{stream}") if r["method"] == "GET"
        ]


@pytest.fixture
def camera(sb, data_dir, local_app_db):
    """Call with the portal's streams ({name: {window, kinds, frozen_from, ...}})."""

    def make(streams: dict[str, dict], now: str | None = NOW, **block_fields) -> CameraSetup:
        sb.camera.portal(streams, username=USER, password=PASSWORD, now=now)
        fields = {
            "base_url": sb.camera.base_url,
            "username": USER,
            "password": SecretStr(PASSWORD),
            "streams": list(streams),
            **block_fields,
        }
        return CameraSetup(sb, data_dir, local_app_db.engine, CameraPortal(**fields))

    return make


@pytest.fixture
def camera_flow(camera, save_block, app_db_block):
    """`camera`, with the portal and app-db blocks saved in the test harness."""

    def make(streams: dict[str, dict], now: str | None = NOW, **block_fields) -> CameraSetup:
        setup = camera(streams, now, **block_fields)
        setup.portal_block = save_block(setup.portal, "portal")
        setup.app_db_block = app_db_block
        return setup

    return make
