"""The fake Notion's control routes: creating databases, reading pages and their history."""

from __future__ import annotations

import pytest
from notion_client import Client

from infra.sandbox.core.client import Sandbox, SandboxError


def test_create_database_options_and_errors(sb: Sandbox) -> None:
    fixed = "11111111-2222-4333-8444-555555555555"
    made = sb.notion.create_database(
        [{"name": "a", "URL": "https://x.test", "Status": "Done", "Size": 2.5}],
        token="t1",
        title="Mine",
        database_id=fixed,
    )
    assert made["database_id"] == fixed and len(made["page_ids"]) == 1
    [entry] = sb.notion.pages(fixed)
    props = entry["page"]["properties"]
    assert props["URL"]["url"] == "https://x.test" and props["Size"]["number"] == 2.5
    assert props["Status"]["status"]["name"] == "Done" and entry["history"] == []

    again = sb.notion.create_database([], token="t2", database_id=fixed)
    assert sb.notion.pages(fixed) == [] and again["database_id"] == fixed, "replaced"

    for rows, extra, mentioned in [
        ([{"Nope": 1}], {}, "Nope"),
        ([{"status": "Bogus"}], {}, "Bogus"),
        ([{"Size": "many"}], {}, "Size"),
        ([], {"schema": {"A": "url"}}, "title"),
        ([], {"schema": {"A": "title", "B": "date"}}, "date"),
        ([], {"database_id": "nope"}, "uuid"),
    ]:
        with pytest.raises(SandboxError, match=mentioned):
            sb.notion.create_database(rows, **extra)


def test_history_lists_every_patch_in_order(sb: Sandbox) -> None:
    made = sb.notion.create_database([{"name": "a", "status": "New"}])
    notion = Client(auth="test-token", base_url=sb.notion.base_url)
    for name in ("Processing", "Done"):
        notion.pages.update(
            page_id=made["page_ids"][0], properties={"Status": {"status": {"name": name}}}
        )
    history = sb.notion.pages(made["database_id"])[0]["history"]
    assert [h["properties"]["Status"]["status"]["name"] for h in history] == ["Processing", "Done"]
    assert history[0]["at"] < history[1]["at"]


def test_extra_data_sources_and_their_errors(sb: Sandbox) -> None:
    fixed_db = "11111111-2222-4333-8444-555555555555"
    fixed_ds = "22222222-3333-4444-8555-666666666666"
    made = sb.notion.create_database(
        [{"name": "a"}],
        database_id=fixed_db,
        extra_data_sources=[{"name": "Archive", "data_source_id": fixed_ds.replace("-", "")}],
    )
    assert [(s["id"], s["name"]) for s in made["data_sources"]][1] == (fixed_ds, "Archive")
    assert made["data_sources"][1]["page_ids"] == []

    other = sb.notion.create_database([])
    for extra, mentioned in [
        ([{"name": "B", "data_source_id": other["data_source_id"]}], "another database"),
        ([{"name": "B", "data_source_id": fixed_ds}] * 2, "same id"),
        ([{"name": "B", "schema": {"A": "url"}}], "title"),
        ([{"name": "B", "rows": [{"Nope": 1}]}], "Nope"),
        ([{"rows": []}], "name"),
        ([{"name": "B", "child_data_sources": -1}], "child_data_sources"),
    ]:
        with pytest.raises(SandboxError, match=mentioned):
            sb.notion.create_database([], database_id=fixed_db, extra_data_sources=extra)
    # a refused request leaves the database it would have replaced as it was
    assert [r["page"]["id"] for r in sb.notion.pages(fixed_db)] == made["page_ids"]
