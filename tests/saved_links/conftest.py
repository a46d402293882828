"""A Notion database in the sandbox and a links-source block pointing at it, for running
the saved-links flow under the Prefect test harness (the app database, its block and
the data directory come from tests/fixtures)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from prefect.variables import Variable
from pydantic import SecretStr

from blocks.notion import NotionLinksSource
from flows.common.settings import OUTBOUND_ALLOW


@dataclass
class LinksSetup:
    sandbox: object
    data_dir: Path
    app_db_block: str
    token: str
    database_id: str = ""
    page_ids: list[str] = field(default_factory=list)
    source_block: str = ""

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
def outbound_allow(prefect_harness):
    """Set the `outbound_allow` setting for this test (the sandbox's own host:port by
    default, as `make demo` does); nothing private is allowed afterwards."""

    def allow(*entries: str) -> None:
        Variable.set(OUTBOUND_ALLOW, list(entries), overwrite=True)

    yield allow
    Variable.unset(OUTBOUND_ALLOW)


@pytest.fixture
def links(sb, data_dir, app_db_block, save_block, outbound_allow):
    """Call with rows ({"url": ..., "status": ...}) to get a ready LinksSetup."""
    outbound_allow(urlsplit(sb.base_url).netloc)

    def make(
        rows: list[dict],
        token: str = "tok-" + uuid.uuid4().hex,
        database: dict | None = None,
        **block_fields,
    ):
        """`database`: how the sandbox's Notion database behaves (see its client);
        `block_fields`: fields of the links-source block."""
        setup = LinksSetup(sb, data_dir, app_db_block, token)
        made = sb.notion.create_database(rows, token=token, **(database or {}))
        setup.database_id, setup.page_ids = made["database_id"], made["page_ids"]
        fields = {
            "token": SecretStr(token),
            "database_id": setup.database_id,
            "base_url": sb.notion.base_url,
            **block_fields,
        }
        setup.source_block = save_block(NotionLinksSource(**fields), "links")
        return setup

    return make
