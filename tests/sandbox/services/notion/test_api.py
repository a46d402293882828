"""The fake Notion API, driven with the real notion-client 3.x."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from notion_client import APIResponseError, Client
from notion_client.helpers import collect_paginated_api

from infra.sandbox.core.client import Sandbox
from tests.sandbox.services.notion.helpers import TOKEN, client

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

A_LINK = "https://example.com/a.mp4"
CUSTOM_SCHEMA: dict[str, Any] = {
    "Title": "title",
    "Link": "url",
    "Flag": "checkbox",
    "Kind": {"type": "select", "options": ["a", "b"]},
    "N": "number",
    "Notes": "rich_text",
    "Stage": {"type": "status", "options": ["Todo", "Doing", "Done"]},
    "Files": "files",
}
CUSTOM_ROWS = [
    {
        "Title": "alpha",
        "Link": A_LINK,
        "Flag": True,
        "Kind": "a",
        "N": 1,
        "Notes": "Hello World",
        "Stage": "Todo",
        "Files": ["https://example.com/f.jpg"],
        "_created_time": "2025-01-01T08:00:00.000Z",
    },
    {
        "Title": "beta",
        "Link": None,
        "Kind": "b",
        "N": 5,
        "Stage": "Doing",
        "_created_time": "2025-01-02T08:00:00.000Z",
    },
    {
        "Title": "gamma",
        "Link": "http://sandbox.test/b.webm",
        "Notes": "hello there",
        "Stage": "Done",
        "_created_time": "2025-01-03T08:00:00.000Z",
    },
]


def text(page: dict[str, Any], name: str) -> str:
    prop = page["properties"][name]
    return "".join(item["plain_text"] for item in prop[prop["type"]])


def status(page: dict[str, Any]) -> str | None:
    value = page["properties"]["Status"]["status"]
    return value["name"] if value else None


@pytest.fixture
def custom(sb: Sandbox) -> dict[str, Any]:
    return sb.notion.create_database(CUSTOM_ROWS, token=TOKEN, schema=CUSTOM_SCHEMA)


def created(op: str, value: str) -> dict[str, Any]:
    return {"timestamp": "created_time", "created_time": {op: value}}


def titles(notion: Client, data_source_id: str, **query: Any) -> list[str]:
    pages = collect_paginated_api(notion.data_sources.query, data_source_id=data_source_id, **query)
    return [text(p, "Title") for p in pages]


def test_database_and_data_source_shapes(sb: Sandbox) -> None:
    made = sb.notion.create_database([{"url": "https://x.test/1"}], title="Links")
    notion = client(sb)

    db = notion.databases.retrieve(database_id=made["database_id"])
    assert db["object"] == "database" and db["id"] == made["database_id"]
    assert db["title"][0]["plain_text"] == "Links"
    assert db["data_sources"] == [{"id": made["data_source_id"], "name": "Links"}]
    assert db["in_trash"] is False and "properties" not in db
    assert ISO_MS.match(db["created_time"]) and ISO_MS.match(db["last_edited_time"])

    ds = notion.data_sources.retrieve(data_source_id=made["data_source_id"])
    assert ds["object"] == "data_source"
    props = ds["properties"]
    expected_types = {
        "Name": "title",
        "URL": "url",
        "Status": "status",
        "File": "rich_text",
        "Error": "rich_text",
        "Platform": "select",
        "Size": "number",
        "Media title": "rich_text",
        "Attachments": "files",
    }
    assert {name: p["type"] for name, p in props.items()} == expected_types
    assert all(p["name"] == name and p["id"] for name, p in props.items())
    options = props["Status"]["status"]["options"]
    assert [o["name"] for o in options] == ["New", "Processing", "Done", "Failed"]
    assert all({"id", "name", "color"} <= o.keys() for o in options)
    grouped = [i for g in props["Status"]["status"]["groups"] for i in g["option_ids"]]
    assert sorted(grouped) == sorted(o["id"] for o in options)


def test_page_objects_look_like_the_real_api(sb: Sandbox) -> None:
    made = sb.notion.create_database(
        [{"name": "First", "url": "https://x.test/a", "status": "New", "Size": 3}]
    )
    notion = client(sb)
    page = notion.pages.retrieve(page_id=made["page_ids"][0])

    assert page["object"] == "page" and UUID.match(page["id"])
    assert ISO_MS.match(page["created_time"]) and ISO_MS.match(page["last_edited_time"])
    assert page["created_by"]["object"] == "user" and page["last_edited_by"]["object"] == "user"
    assert page["parent"] == {
        "type": "data_source_id",
        "data_source_id": made["data_source_id"],
        "database_id": made["database_id"],
    }
    assert page["archived"] is False and page["in_trash"] is False
    assert {"icon", "cover", "url", "public_url"} <= page.keys()
    props = page["properties"]
    assert props["Name"]["id"] == "title"
    assert props["Name"]["title"][0] == {
        "type": "text",
        "text": {"content": "First", "link": None},
        "annotations": {
            "bold": False,
            "italic": False,
            "strikethrough": False,
            "underline": False,
            "code": False,
            "color": "default",
        },
        "plain_text": "First",
        "href": None,
    }
    assert props["URL"] == {"id": props["URL"]["id"], "type": "url", "url": "https://x.test/a"}
    assert props["Status"]["status"]["name"] == "New"
    assert set(props["Status"]["status"]) == {"id", "name", "color"}
    assert props["Platform"]["select"] is None
    assert props["Size"]["number"] == 3
    assert props["File"]["rich_text"] == [] and props["Attachments"]["files"] == []


def test_rows_get_increasing_created_time_and_default_order(sb: Sandbox) -> None:
    made = sb.notion.create_database([{"name": f"r{i}"} for i in range(5)])
    pages = client(sb).data_sources.query(data_source_id=made["data_source_id"])["results"]
    assert [p["id"] for p in pages] == made["page_ids"]
    created = [p["created_time"] for p in pages]
    assert created == sorted(created) and len(set(created)) == 5


def test_query_filter_sorts_and_pagination_over_250_rows(sb: Sandbox) -> None:
    rows = [
        {"url": f"https://x.test/{i}", "status": "New" if i % 2 else "Done", "Size": i}
        for i in range(250)
    ]
    made = sb.notion.create_database(rows)
    notion = client(sb)
    ds_id = made["data_source_id"]

    everything = collect_paginated_api(notion.data_sources.query, data_source_id=ds_id)
    assert [p["id"] for p in everything] == made["page_ids"]
    assert len(sb.requests(r"/query$")) == 3, "100 + 100 + 50"

    sb.clear_requests()
    wanted = collect_paginated_api(
        notion.data_sources.query,
        data_source_id=ds_id,
        filter={
            "and": [
                {"property": "Status", "status": {"equals": "New"}},
                {"property": "Size", "number": {"greater_than_or_equal_to": 50}},
            ]
        },
        sorts=[{"property": "Size", "direction": "descending"}],
        page_size=30,
    )
    sizes = [p["properties"]["Size"]["number"] for p in wanted]
    assert sizes == list(range(249, 49, -2))
    assert len(sb.requests(r"/query$")) == 4, "100 results in pages of 30"


def test_pagination_is_stable_while_pages_are_updated(sb: Sandbox) -> None:
    made = sb.notion.create_database(
        [{"name": f"r{i}", "url": f"https://x.test/{i}", "status": "New"} for i in range(23)]
    )
    notion = client(sb)
    seen: list[str] = []
    cursor = None
    while True:
        answer = notion.data_sources.query(
            data_source_id=made["data_source_id"],
            filter={"property": "Status", "status": {"equals": "New"}},
            sorts=[{"timestamp": "created_time", "direction": "ascending"}],
            page_size=5,
            start_cursor=cursor,
        )
        for page in answer["results"]:
            seen.append(page["id"])
            notion.pages.update(
                page_id=page["id"], properties={"Status": {"status": {"name": "Processing"}}}
            )
        if not answer["has_more"]:
            break
        cursor = answer["next_cursor"]
    assert seen == made["page_ids"]


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ({"property": "Link", "url": {"is_empty": True}}, ["beta"]),
        ({"property": "Link", "url": {"is_not_empty": True}}, ["alpha", "gamma"]),
        ({"property": "Link", "url": {"contains": "EXAMPLE"}}, ["alpha"]),
        ({"property": "Link", "url": {"does_not_contain": "example"}}, ["beta", "gamma"]),
        ({"property": "Link", "url": {"starts_with": "http://"}}, ["gamma"]),
        ({"property": "Link", "url": {"ends_with": ".mp4"}}, ["alpha"]),
        ({"property": "Link", "url": {"equals": A_LINK}}, ["alpha"]),
        ({"property": "Link", "url": {"does_not_equal": A_LINK}}, ["beta", "gamma"]),
        ({"property": "Title", "title": {"equals": "beta"}}, ["beta"]),
        ({"property": "Title", "rich_text": {"starts_with": "g"}}, ["gamma"]),
        ({"property": "Notes", "rich_text": {"contains": "hello"}}, ["alpha", "gamma"]),
        ({"property": "Notes", "rich_text": {"is_empty": True}}, ["beta"]),
        ({"property": "Notes", "rich_text": {"ends_with": "world"}}, ["alpha"]),
        ({"property": "Kind", "select": {"equals": "a"}}, ["alpha"]),
        ({"property": "Kind", "select": {"does_not_equal": "a"}}, ["beta", "gamma"]),
        ({"property": "Kind", "select": {"is_empty": True}}, ["gamma"]),
        ({"property": "Stage", "status": {"equals": "Doing"}}, ["beta"]),
        ({"property": "Stage", "status": {"does_not_equal": "Done"}}, ["alpha", "beta"]),
        ({"property": "Stage", "status": {"is_not_empty": True}}, ["alpha", "beta", "gamma"]),
        ({"property": "N", "number": {"greater_than": 1}}, ["beta"]),
        ({"property": "N", "number": {"less_than_or_equal_to": 5}}, ["alpha", "beta"]),
        ({"property": "N", "number": {"equals": 5}}, ["beta"]),
        ({"property": "N", "number": {"does_not_equal": 5}}, ["alpha", "gamma"]),
        ({"property": "N", "number": {"is_empty": True}}, ["gamma"]),
        ({"property": "Flag", "checkbox": {"equals": True}}, ["alpha"]),
        ({"property": "Flag", "checkbox": {"does_not_equal": True}}, ["beta", "gamma"]),
        ({"property": "Files", "files": {"is_not_empty": True}}, ["alpha"]),
        (
            {
                "or": [
                    {"property": "Flag", "checkbox": {"equals": True}},
                    {"property": "N", "number": {"greater_than": 1}},
                ]
            },
            ["alpha", "beta"],
        ),
        (
            {
                "and": [
                    {"property": "Stage", "status": {"does_not_equal": "Done"}},
                    {
                        "or": [
                            {"property": "Kind", "select": {"equals": "b"}},
                            {"property": "Link", "url": {"is_empty": True}},
                        ]
                    },
                ]
            },
            ["beta"],
        ),
        (created("after", "2025-01-01T08:00:00.000Z"), ["beta", "gamma"]),
        (created("on_or_after", "2025-01-01T08:00:00Z"), ["alpha", "beta", "gamma"]),
        (created("before", "2025-01-02"), ["alpha"]),
        (created("on_or_before", "2025-01-02"), ["alpha", "beta"]),
        (created("equals", "2025-01-03"), ["gamma"]),
    ],
)  # fmt: skip
def test_filters(sb: Sandbox, custom: dict[str, Any], flt: dict, expected: list[str]) -> None:
    assert titles(client(sb), custom["data_source_id"], filter=flt) == expected


def test_last_edited_time_filter_and_sorts(sb: Sandbox, custom: dict[str, Any]) -> None:
    notion = client(sb)
    ds_id = custom["data_source_id"]
    before = notion.pages.retrieve(page_id=custom["page_ids"][2])["last_edited_time"]
    notion.pages.update(page_id=custom["page_ids"][1], properties={"N": {"number": 7}})
    edited = {"timestamp": "last_edited_time", "last_edited_time": {"after": before}}
    assert titles(notion, ds_id, filter=edited) == ["beta"]

    assert titles(notion, ds_id, sorts=[{"property": "Title", "direction": "descending"}]) == [
        "gamma",
        "beta",
        "alpha",
    ]
    by_created = [{"timestamp": "created_time", "direction": "descending"}]
    assert titles(notion, ds_id, sorts=by_created) == ["gamma", "beta", "alpha"]
    by_edit = [{"timestamp": "last_edited_time", "direction": "descending"}]
    assert titles(notion, ds_id, sorts=by_edit)[0] == "beta"
    # empty values sort last in both directions; status sorts by option order
    assert titles(notion, ds_id, sorts=[{"property": "N", "direction": "descending"}]) == [
        "beta",
        "alpha",
        "gamma",
    ]
    stage_desc = [{"property": "Stage", "direction": "descending"}]
    assert titles(notion, ds_id, sorts=stage_desc) == ["gamma", "beta", "alpha"]


def test_query_validation_errors(sb: Sandbox, custom: dict[str, Any]) -> None:
    notion = client(sb)
    ds_id = custom["data_source_id"]
    bad_queries = [
        ({"page_size": 101}, "page_size"),
        ({"page_size": 0}, "page_size"),
        ({"filter": {"property": "Foo", "url": {"equals": "x"}}}, "Foo"),
        ({"sorts": [{"property": "Bar", "direction": "ascending"}]}, "Bar"),
        ({"filter": {"property": "Link", "status": {"equals": "x"}}}, "Link"),
        ({"filter": {"property": "Link", "url": {"greater_than": 3}}}, "greater_than"),
        ({"start_cursor": "not-a-cursor"}, "start_cursor"),
    ]
    for query, mentioned in bad_queries:
        with pytest.raises(APIResponseError) as caught:
            notion.data_sources.query(data_source_id=ds_id, **query)
        assert caught.value.status == 400 and caught.value.code == "validation_error"
        assert mentioned in str(caught.value)
    with pytest.raises(APIResponseError, match="Could not find property with name or id: Foo"):
        notion.data_sources.query(
            data_source_id=ds_id, filter={"property": "Foo", "rich_text": {"is_empty": True}}
        )


def test_update_page_applies_and_records_history(sb: Sandbox) -> None:
    made = sb.notion.create_database([{"name": "a", "url": "https://x.test/a", "status": "New"}])
    page_id = made["page_ids"][0]
    notion = client(sb)
    created = notion.pages.retrieve(page_id=page_id)
    patch = {
        "Status": {"status": {"name": "Done"}},
        "File": {"rich_text": [{"text": {"content": "a.mp4"}}]},
        "Platform": {"select": {"name": "generic"}},
        "Size": {"number": 1234},
        "Attachments": {"files": [{"name": "a.jpg", "external": {"url": "https://x.test/a.jpg"}}]},
    }
    page = notion.pages.update(page_id=page_id, properties=patch)

    assert status(page) == "Done"
    assert page["properties"]["File"]["rich_text"][0]["plain_text"] == "a.mp4"
    assert page["properties"]["File"]["rich_text"][0]["annotations"]["color"] == "default"
    assert page["properties"]["Platform"]["select"]["name"] == "generic"
    assert page["properties"]["Size"]["number"] == 1234
    assert page["properties"]["Attachments"]["files"][0]["type"] == "external"
    assert page["last_edited_time"] > created["last_edited_time"]
    # a select option named for the first time now exists in the schema
    ds = notion.data_sources.retrieve(data_source_id=made["data_source_id"])
    assert "generic" in [o["name"] for o in ds["properties"]["Platform"]["select"]["options"]]

    record = sb.notion.page(page_id)
    assert record["page"] == {k: v for k, v in page.items() if k != "request_id"}
    assert len(record["history"]) == 1
    assert record["history"][0]["properties"] == patch
    assert ISO_MS.match(record["history"][0]["at"])


def test_update_page_validation(sb: Sandbox) -> None:
    made = sb.notion.create_database([{"name": "a", "status": "New"}])
    page_id = made["page_ids"][0]
    notion = client(sb)
    bad = [
        ({"Nope": {"url": "https://x.test"}}, "Nope is not a property that exists."),
        ({"URL": {"rich_text": [{"text": {"content": "x"}}]}}, "URL"),
        ({"Size": {"number": "12"}}, "Size"),
        ({"Status": {"status": {"name": "Bogus"}}}, "Bogus"),
        ({"Error": {"rich_text": [{"text": {"content": "x" * 2001}}]}}, "2000"),
    ]
    for properties, mentioned in bad:
        with pytest.raises(APIResponseError) as caught:
            notion.pages.update(page_id=page_id, properties=properties)
        assert caught.value.status == 400 and caught.value.code == "validation_error"
        assert mentioned in str(caught.value)
    # a rejected PATCH changes nothing, not even new select options of the same request
    with pytest.raises(APIResponseError):
        notion.pages.update(
            page_id=page_id,
            properties={"Platform": {"select": {"name": "new"}}, "Size": {"number": "x"}},
        )
    record = sb.notion.page(page_id)
    assert record["history"] == [] and record["page"]["properties"]["Platform"]["select"] is None


def test_trashed_pages(sb: Sandbox) -> None:
    made = sb.notion.create_database([{"name": "a"}, {"name": "b"}])
    notion = client(sb)
    notion.pages.update(page_id=made["page_ids"][0], in_trash=True)
    results = notion.data_sources.query(data_source_id=made["data_source_id"])["results"]
    assert [p["id"] for p in results] == made["page_ids"][1:]
    with pytest.raises(APIResponseError, match="archived"):
        notion.pages.update(page_id=made["page_ids"][0], properties={"Size": {"number": 1}})


def test_auth_and_not_found(sb: Sandbox) -> None:
    made = sb.notion.create_database([{"name": "a"}], token="right")
    sb.notion.create_database([{"name": "b"}], token="other")
    cases = [
        (client(sb, "wrong"), "unauthorized", 401),
        (client(sb, "other"), "unauthorized", 401),  # a token of another database
    ]
    for notion, code, status_code in cases:
        with pytest.raises(APIResponseError) as caught:
            notion.databases.retrieve(database_id=made["database_id"])
        assert (caught.value.code, caught.value.status) == (code, status_code)
        with pytest.raises(APIResponseError) as caught:
            notion.pages.update(page_id=made["page_ids"][0], properties={})
        assert caught.value.code == "unauthorized"

    right = client(sb, "right")
    missing = "00000000-0000-4000-8000-000000000000"
    for call in (
        lambda: right.databases.retrieve(database_id=missing),
        lambda: right.data_sources.retrieve(data_source_id=missing),
        lambda: right.data_sources.query(data_source_id=missing),
        lambda: right.pages.update(page_id=missing, properties={}),
    ):
        with pytest.raises(APIResponseError) as caught:
            call()
        assert caught.value.code == "object_not_found" and caught.value.status == 404
        assert missing in str(caught.value) and "shared with your integration" in str(caught.value)

    with pytest.raises(APIResponseError) as caught:
        right.databases.retrieve(database_id="not-an-id")
    assert caught.value.code == "validation_error"
    # ids without dashes are accepted, like the real API
    compact = made["database_id"].replace("-", "")
    assert right.databases.retrieve(database_id=compact)["id"] == made["database_id"]


def test_raw_protocol_errors(sb: Sandbox) -> None:
    made = sb.notion.create_database([{"name": "a"}])
    url = f"{sb.notion.base_url}/v1/data_sources/{made['data_source_id']}/query"
    headers = {"Authorization": f"Bearer {TOKEN}", "Notion-Version": "2025-09-03"}
    answer = httpx.post(url, headers=headers, content=b"{nope")
    assert answer.status_code == 400 and answer.json()["code"] == "invalid_json"
    assert answer.json()["object"] == "error"
    no_version = {"Authorization": f"Bearer {TOKEN}"}
    assert httpx.post(url, headers=no_version, json={}).json()["code"] == "missing_version"
    unknown = httpx.get(f"{sb.notion.base_url}/v1/nothing/here", headers=headers)
    assert unknown.status_code == 400 and unknown.json()["code"] == "invalid_request_url"
