"""A camera portal in the sandbox, blocks that point at it, and a fresh app DB and
data directory, for the portal client and the camera flows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from prefect_sqlalchemy import ConnectionComponents, SqlAlchemyConnector, SyncDriver
from pydantic import SecretStr
from sqlalchemy import Engine

from blocks.camera import CameraPortal
from flows.camera.records import ImageIndex
from flows.common.db import engine_from_url, migrate

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
def camera(sb, tmp_path, monkeypatch):
    """Call with the portal's streams ({name: {window, kinds, frozen_from, ...}})."""
    monkeypatch.setenv("AUTOMATIONS_DATA_DIR", str(tmp_path / "data"))

    def make(streams: dict[str, dict], now: str | None = NOW, **block_fields) -> CameraSetup:
        sb.camera.portal(streams, username=USER, password=PASSWORD, now=now)
        engine = engine_from_url(f"sqlite:///{tmp_path / 'app.db'}")
        migrate(engine)
        fields = {
            "base_url": sb.camera.base_url,
            "username": USER,
            "password": SecretStr(PASSWORD),
            "streams": list(streams),
            **block_fields,
        }
        return CameraSetup(sb, tmp_path / "data", engine, CameraPortal(**fields))

    yield make


@pytest.fixture
def camera_flow(prefect_harness, camera, tmp_path):
    """`camera`, with the portal and app-db blocks saved in the test harness."""

    def make(streams: dict[str, dict], now: str | None = NOW, **block_fields) -> CameraSetup:
        setup = camera(streams, now, **block_fields)
        suffix = uuid.uuid4().hex[:8]
        setup.portal_block, setup.app_db_block = f"portal-{suffix}", f"app-db-{suffix}"
        setup.portal.save(setup.portal_block)
        SqlAlchemyConnector(
            connection_info=ConnectionComponents(
                driver=SyncDriver.SQLITE_PYSQLITE, database=str(tmp_path / "app.db")
            )
        ).save(setup.app_db_block)
        return setup

    return make
