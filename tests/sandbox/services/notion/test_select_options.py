"""An integration that may not edit the schema cannot create select options: writing a
value that is not an option yet is refused, where by default Notion adds the option."""

from __future__ import annotations

from typing import Any

import pytest
from notion_client import APIResponseError, Client

from infra.sandbox.core.client import Sandbox
from tests.sandbox.services.notion.helpers import client


def platform_options(notion: Client, data_source_id: str) -> list[str]:
    ds = notion.data_sources.retrieve(data_source_id=data_source_id)
    return [o["name"] for o in ds["properties"]["Platform"]["select"]["options"]]


@pytest.fixture
def locked(sb: Sandbox) -> dict[str, Any]:
    """A saved-links database whose integration may not add options; seeding may."""
    rows = [
        {"name": "a", "status": "New", "Platform": "youtube"},
        {"name": "b", "status": "New"},
    ]
    return sb.notion.create_database(rows, allow_new_options=False)


def test_an_unknown_option_is_refused_and_nothing_changes(
    sb: Sandbox, locked: dict[str, Any]
) -> None:
    notion = client(sb)
    page_id = locked["page_ids"][1]
    with pytest.raises(APIResponseError) as caught:
        notion.pages.update(
            page_id=page_id,
            properties={
                "Status": {"status": {"name": "Done"}},
                "File": {"rich_text": [{"text": {"content": "b.mp4"}}]},
                "Platform": {"select": {"name": "rocket"}},
            },
        )
    assert (caught.value.status, caught.value.code) == (400, "validation_error")
    assert str(caught.value) == "rocket is an invalid select option for property Platform."

    record = sb.notion.page(page_id)
    assert record["history"] == []
    props = record["page"]["properties"]
    assert props["Status"]["status"]["name"] == "New" and props["File"]["rich_text"] == []
    assert props["Platform"]["select"] is None
    assert platform_options(notion, locked["data_source_id"]) == ["youtube"]


def test_existing_options_and_clearing_are_still_accepted(
    sb: Sandbox, locked: dict[str, Any]
) -> None:
    notion = client(sb)
    first, second = locked["page_ids"]
    youtube_id = sb.notion.page(first)["page"]["properties"]["Platform"]["select"]["id"]
    by_name = notion.pages.update(
        page_id=second, properties={"Platform": {"select": {"name": "youtube"}}}
    )
    assert by_name["properties"]["Platform"]["select"]["id"] == youtube_id
    by_id = notion.pages.update(
        page_id=first, properties={"Platform": {"select": {"id": youtube_id}}}
    )
    assert by_id["properties"]["Platform"]["select"]["name"] == "youtube"
    cleared = notion.pages.update(page_id=first, properties={"Platform": {"select": None}})
    assert cleared["properties"]["Platform"]["select"] is None
    assert platform_options(notion, locked["data_source_id"]) == ["youtube"]


def test_by_default_a_new_option_is_added(sb: Sandbox) -> None:
    made = sb.notion.create_database([{"name": "a"}])
    notion = client(sb)
    page = notion.pages.update(
        page_id=made["page_ids"][0], properties={"Platform": {"select": {"name": "rocket"}}}
    )
    assert page["properties"]["Platform"]["select"]["name"] == "rocket"
    assert platform_options(notion, made["data_source_id"]) == ["rocket"]
