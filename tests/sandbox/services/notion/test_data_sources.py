"""A database with several data sources (API 2025-09-03): each has its own schema and its
own pages, and is retrieved and queried on its own."""

from __future__ import annotations

from typing import Any

import pytest
from notion_client import APIResponseError

from infra.sandbox.core.client import Sandbox
from tests.sandbox.services.notion.helpers import client

TASKS_SCHEMA: dict[str, Any] = {
    "Task": "title",
    "Done": "checkbox",
    "Priority": {"type": "select", "options": ["low", "high"]},
}


@pytest.fixture
def two_sources(sb: Sandbox) -> dict[str, Any]:
    return sb.notion.create_database(
        [{"name": "link 1", "url": "https://x.test/1", "status": "New"}, {"name": "link 2"}],
        title="Inbox",
        extra_data_sources=[
            {
                "name": "Tasks",
                "schema": TASKS_SCHEMA,
                "rows": [{"Task": "t1", "Done": True}, {"Task": "t2", "Priority": "high"}, {}],
            }
        ],
    )


def test_the_control_answer_names_every_data_source(two_sources: dict[str, Any]) -> None:
    links, tasks = two_sources["data_sources"]
    assert links == {
        "id": two_sources["data_source_id"],
        "name": "Inbox",
        "page_ids": two_sources["page_ids"],
        "child_data_source_ids": [],
    }
    assert tasks["name"] == "Tasks" and len(tasks["page_ids"]) == 3
    assert tasks["id"] != links["id"] and not set(tasks["page_ids"]) & set(links["page_ids"])


def test_database_lists_its_data_sources_each_with_its_own_schema(
    sb: Sandbox, two_sources: dict[str, Any]
) -> None:
    notion = client(sb)
    links, tasks = two_sources["data_sources"]
    db = notion.databases.retrieve(database_id=two_sources["database_id"])
    assert db["data_sources"] == [
        {"id": links["id"], "name": "Inbox"},
        {"id": tasks["id"], "name": "Tasks"},
    ]

    links_ds = notion.data_sources.retrieve(data_source_id=links["id"])
    tasks_ds = notion.data_sources.retrieve(data_source_id=tasks["id"])
    assert {"Name", "URL", "Status"} <= links_ds["properties"].keys()
    assert list(tasks_ds["properties"]) == ["Task", "Done", "Priority"]
    assert tasks_ds["title"][0]["plain_text"] == "Tasks"
    for ds in (links_ds, tasks_ds):
        assert ds["parent"] == {"type": "database_id", "database_id": db["id"]}


def test_each_data_source_is_queried_for_its_own_pages(
    sb: Sandbox, two_sources: dict[str, Any]
) -> None:
    notion = client(sb)
    links, tasks = two_sources["data_sources"]
    for source in (links, tasks):
        pages = notion.data_sources.query(data_source_id=source["id"])["results"]
        assert [p["id"] for p in pages] == source["page_ids"]
        assert {p["parent"]["data_source_id"] for p in pages} == {source["id"]}
        assert {p["parent"]["database_id"] for p in pages} == {two_sources["database_id"]}

    done = notion.data_sources.query(
        data_source_id=tasks["id"], filter={"property": "Done", "checkbox": {"equals": True}}
    )["results"]
    assert [p["properties"]["Task"]["title"][0]["plain_text"] for p in done] == ["t1"]
    with pytest.raises(APIResponseError, match="Could not find property with name or id: Status"):
        notion.data_sources.query(
            data_source_id=tasks["id"], filter={"property": "Status", "status": {"equals": "New"}}
        )


def test_a_page_is_written_through_its_own_data_source_schema(
    sb: Sandbox, two_sources: dict[str, Any]
) -> None:
    notion = client(sb)
    links, tasks = two_sources["data_sources"]
    task_id = tasks["page_ids"][2]
    with pytest.raises(APIResponseError, match="Status is not a property that exists"):
        notion.pages.update(page_id=task_id, properties={"Status": {"status": {"name": "Done"}}})

    page = notion.pages.update(
        page_id=task_id, properties={"Priority": {"select": {"name": "mid"}}}
    )
    assert page["parent"] == {
        "type": "data_source_id",
        "data_source_id": tasks["id"],
        "database_id": two_sources["database_id"],
    }
    assert set(page["properties"]) == {"Task", "Done", "Priority"}
    tasks_ds = notion.data_sources.retrieve(data_source_id=tasks["id"])
    assert [o["name"] for o in tasks_ds["properties"]["Priority"]["select"]["options"]] == [
        "low",
        "high",
        "mid",
    ]
    links_ds = notion.data_sources.retrieve(data_source_id=links["id"])
    assert links_ds["properties"]["Platform"]["select"]["options"] == []

    records = sb.notion.pages(two_sources["database_id"])
    assert len(records) == 5, "the control API lists the pages of every data source"
    assert [r["history"] for r in records if r["page"]["id"] == task_id] == [
        [{"at": page["last_edited_time"], "properties": {"Priority": {"select": {"name": "mid"}}}}]
    ]
