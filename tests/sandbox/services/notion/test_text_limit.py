"""Notion's 2000-character limit on one rich-text item counts UTF-16 code units, as
JavaScript does: an emoji is two, so text cut at 2000 Python characters can be refused."""

from __future__ import annotations

import pytest
from notion_client import APIResponseError

from infra.sandbox.core.client import Sandbox, SandboxError
from tests.sandbox.services.notion.helpers import client

EMOJI = "😀"  # outside the BMP: one Python character, two UTF-16 code units


def rich_text(content: str) -> dict:
    return {"rich_text": [{"type": "text", "text": {"content": content}}]}


@pytest.mark.parametrize(
    "content", ["x" * 2000, EMOJI * 1000, "x" * 1998 + EMOJI], ids=["ascii", "emoji", "mixed"]
)
def test_exactly_2000_units_are_accepted(sb: Sandbox, content: str) -> None:
    made = sb.notion.create_database([{"name": "a"}])
    page = client(sb).pages.update(
        page_id=made["page_ids"][0], properties={"Error": rich_text(content)}
    )
    assert page["properties"]["Error"]["rich_text"][0]["text"]["content"] == content


@pytest.mark.parametrize(
    "content",
    ["x" * 2001, EMOJI * 1000 + "x", "x" * 1999 + EMOJI],
    ids=["ascii", "emoji-1001-chars", "mixed-2000-chars"],
)
def test_2001_units_are_refused_and_nothing_changes(sb: Sandbox, content: str) -> None:
    made = sb.notion.create_database([{"name": "a", "Error": "before"}])
    page_id = made["page_ids"][0]
    with pytest.raises(APIResponseError) as caught:
        client(sb).pages.update(
            page_id=page_id,
            properties={"Error": rich_text(content), "Size": {"number": 1}},
        )
    assert (caught.value.status, caught.value.code) == (400, "validation_error")
    assert str(caught.value) == (
        "body failed validation: body.properties.Error.rich_text[0].text.content.length "
        "should be ≤ `2000`, instead was `2001`."
    )
    record = sb.notion.page(page_id)
    assert record["history"] == []
    assert record["page"]["properties"]["Error"]["rich_text"][0]["plain_text"] == "before"
    assert record["page"]["properties"]["Size"]["number"] is None


def test_the_limit_holds_for_titles_and_each_item(sb: Sandbox) -> None:
    made = sb.notion.create_database([{"name": "a"}])
    items = [{"text": {"content": "ok"}}, {"text": {"content": EMOJI * 1001}}]
    with pytest.raises(APIResponseError) as caught:
        client(sb).pages.update(page_id=made["page_ids"][0], properties={"Name": {"title": items}})
    assert "body.properties.Name.title[1].text.content.length" in str(caught.value)
    assert "instead was `2002`" in str(caught.value)


def test_seeding_a_longer_text_is_refused(sb: Sandbox) -> None:
    with pytest.raises(SandboxError, match="instead was `2001`"):
        sb.notion.create_database([{"name": "a", "Error": EMOJI * 1000 + "x"}])
