"""A Notion database in the sandbox, blocks that point at it, and a fresh app DB,
for running the saved-links flow under the Prefect test harness."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from prefect_sqlalchemy import ConnectionComponents, SqlAlchemyConnector, SyncDriver
from pydantic import SecretStr

from blocks.notion import NotionLinksSource
from flows.common.db import engine_from_url, migrate


@dataclass
class LinksSetup:
    sandbox: object
    data_dir: Path
    db_path: Path
    token: str
    database_id: str = ""
    page_ids: list[str] = field(default_factory=list)
    source_block: str = ""
    app_db_block: str = ""

    def status(self, page_id: str) -> str | None:
        status = self.sandbox.notion.page(page_id)["page"]["properties"]["Status"]["status"]
        return status["name"] if status else None

    def prop_text(self, page_id: str, name: str) -> str:
        items = self.sandbox.notion.page(page_id)["page"]["properties"][name]["rich_text"]
        return "".join(i["plain_text"] for i in items)

    def history(self, page_id: str) -> list[dict]:
        return self.sandbox.notion.page(page_id)["history"]

    def params(self, **extra) -> dict:
        return {
            "source_block": self.source_block,
            "app_db_block": self.app_db_block,
            "pause_seconds": 0,
            "retry_backoff_seconds": 0.05,
            **extra,
        }


@pytest.fixture
def links(prefect_harness, sb, tmp_path, monkeypatch):
    """Call with rows ({"url": ..., "status": ...}) to get a ready LinksSetup."""
    monkeypatch.setenv("AUTOMATIONS_DATA_DIR", str(tmp_path / "data"))

    def make(rows: list[dict], token: str = "tok-" + uuid.uuid4().hex, **block_fields):
        setup = LinksSetup(sb, tmp_path / "data", tmp_path / "app.db", token)
        made = sb.notion.create_database(rows, token=token)
        setup.database_id, setup.page_ids = made["database_id"], made["page_ids"]
        suffix = uuid.uuid4().hex[:8]
        setup.source_block, setup.app_db_block = f"links-{suffix}", f"app-db-{suffix}"
        fields = {
            "token": SecretStr(token),
            "database_id": setup.database_id,
            "base_url": sb.notion.base_url,
            **block_fields,
        }
        NotionLinksSource(**fields).save(setup.source_block)
        SqlAlchemyConnector(
            connection_info=ConnectionComponents(
                driver=SyncDriver.SQLITE_PYSQLITE, database=str(setup.db_path)
            )
        ).save(setup.app_db_block)
        migrate(engine_from_url(f"sqlite:///{setup.db_path}"))
        return setup

    return make
