"""Named seeds: ``POST /_sandbox/seed/{name}`` and ``--seed`` at start-up."""

from __future__ import annotations

import pytest
from notion_client import Client

from infra.sandbox.core.client import Sandbox, SandboxError
from infra.sandbox.services.notion.seeds import DEMO_DATA_SOURCE_ID, DEMO_DATABASE_ID, DEMO_TOKEN


def test_demo_seed_through_the_control_api(sb: Sandbox) -> None:
    first = sb.seed("demo")["notion"]
    assert first["database_id"] == DEMO_DATABASE_ID
    assert first["data_source_id"] == DEMO_DATA_SOURCE_ID
    again = sb.seed("demo")["notion"]
    assert len(sb.notion.pages(DEMO_DATABASE_ID)) == len(again["page_ids"]), "re-seeding replaces"
    with pytest.raises(SandboxError, match="404"):
        sb.seed("nope")


def test_demo_seed_on_start_points_at_its_own_process() -> None:
    with Sandbox.start(seed="demo") as demo:
        notion = Client(auth=DEMO_TOKEN, base_url=demo.notion.base_url)
        db = notion.databases.retrieve(database_id=DEMO_DATABASE_ID)
        assert db["data_sources"][0]["id"] == DEMO_DATA_SOURCE_ID
        pages = notion.data_sources.query(data_source_id=DEMO_DATA_SOURCE_ID)["results"]
        urls = [p["properties"]["URL"]["url"] for p in pages]
        statuses = [p["properties"]["Status"]["status"]["name"] for p in pages]
        assert 9 <= len(pages) <= 12
        assert None in urls and "Done" in statuses and "New" in statuses
        linked = [u for u in urls if u]
        assert all(u.startswith(demo.base_url + "/media/") for u in linked)
        kinds = {u.split("/media/")[1].split("/")[0] for u in linked}
        assert kinds == {"files", "pages", "gone", "forbidden", "login", "fake", "truncated"}
        assert any(u.endswith(".jpg") for u in linked) and any(u.endswith(".mp4") for u in linked)
        process = demo.process
    assert process.poll() is not None, "stopped on leaving the with block"
