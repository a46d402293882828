"""A wiki's data source: its query lists, besides pages, the data sources of the databases
inside the wiki, unless ``result_type`` asks for one kind only. Filters narrow the pages;
the data sources are listed whatever they say, and paginate along with the pages."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest
from notion_client import APIResponseError
from notion_client.helpers import collect_paginated_api

from infra.sandbox.core.client import Sandbox
from tests.sandbox.services.notion.helpers import client

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
ROWS = [
    {"name": "r0", "status": "New", "Size": 1},
    {"name": "r1", "status": "New", "Size": 5},
    {"name": "r2", "status": "Done", "Size": 3},
    {"name": "r3", "status": "New"},
    {"name": "r4", "status": "Failed", "Size": 2},
]


@pytest.fixture
def wiki(sb: Sandbox) -> dict[str, Any]:
    """Five rows and two child data sources, created after r0 and after r2."""
    return sb.notion.create_database(ROWS, title="Team wiki", child_data_sources=2)


def ids(results: list[dict[str, Any]]) -> list[str]:
    return [entry["id"] for entry in results]


def query_all(sb: Sandbox, wiki: dict[str, Any], **query: Any) -> list[dict[str, Any]]:
    return collect_paginated_api(
        client(sb).data_sources.query, data_source_id=wiki["data_source_id"], **query
    )


def test_the_query_interleaves_data_sources_with_pages(sb: Sandbox, wiki: dict[str, Any]) -> None:
    pages, children = wiki["page_ids"], wiki["child_data_source_ids"]
    assert len(children) == 2 and wiki["data_sources"][0]["child_data_source_ids"] == children

    answer = client(sb).data_sources.query(data_source_id=wiki["data_source_id"])
    results = answer["results"]
    assert [r["object"] for r in results] == [
        "page",
        "data_source",
        "page",
        "page",
        "data_source",
        "page",
        "page",
    ]
    assert ids(results) == [pages[0], children[0], *pages[1:3], children[1], *pages[3:]]
    assert answer["type"] == "page_or_data_source" and answer["has_more"] is False

    listed = results[1]
    assert listed["title"][0]["plain_text"] == "Database 1"
    assert listed["parent"]["type"] == "database_id" and listed["parent"]["database_id"]
    assert listed["properties"] == {}
    assert ISO_MS.match(listed["created_time"]) and ISO_MS.match(listed["last_edited_time"])
    assert listed["created_time"] > results[0]["created_time"]


def test_result_type_keeps_one_kind(sb: Sandbox, wiki: dict[str, Any]) -> None:
    assert ids(query_all(sb, wiki, result_type="page")) == wiki["page_ids"]
    assert ids(query_all(sb, wiki, result_type="data_source")) == wiki["child_data_source_ids"]


@pytest.mark.parametrize(("result_type", "count"), [(None, 7), ("page", 5)])
def test_pagination_runs_across_the_mixed_list(
    sb: Sandbox, wiki: dict[str, Any], result_type: str | None, count: int
) -> None:
    query = {"result_type": result_type} if result_type else {}
    everything = query_all(sb, wiki, **query)
    sb.clear_requests()
    in_twos = query_all(sb, wiki, page_size=2, **query)
    assert ids(in_twos) == ids(everything) and len(in_twos) == count
    assert len(sb.requests(r"/query$")) == math.ceil(count / 2)

    notion = client(sb)
    first = notion.data_sources.query(data_source_id=wiki["data_source_id"], page_size=3, **query)
    assert first["has_more"] is True and len(first["results"]) == 3
    rest = notion.data_sources.query(
        data_source_id=wiki["data_source_id"], start_cursor=first["next_cursor"], **query
    )
    assert rest["has_more"] is False and rest["next_cursor"] is None
    assert ids(first["results"] + rest["results"]) == ids(everything)


def test_filters_narrow_the_pages_only(sb: Sandbox, wiki: dict[str, Any]) -> None:
    pages, children = wiki["page_ids"], wiki["child_data_source_ids"]
    done = {"property": "Status", "status": {"equals": "Done"}}
    assert ids(query_all(sb, wiki, filter=done)) == [children[0], pages[2], children[1]]
    assert ids(query_all(sb, wiki, filter=done, result_type="page")) == [pages[2]]
    assert ids(query_all(sb, wiki, filter=done, result_type="data_source")) == children

    # under a property sort, data sources come after every page, empty values too
    by_size = [{"property": "Size", "direction": "descending"}]
    in_twos = query_all(sb, wiki, sorts=by_size, page_size=2)
    assert ids(in_twos) == [pages[1], pages[2], pages[4], pages[0], pages[3], *children]


def test_result_type_is_validated(sb: Sandbox, wiki: dict[str, Any]) -> None:
    with pytest.raises(APIResponseError) as caught:
        client(sb).data_sources.query(data_source_id=wiki["data_source_id"], result_type="row")
    assert caught.value.code == "validation_error"
    assert str(caught.value) == (
        'body failed validation: body.result_type should be `"page"` or `"data_source"`, '
        'instead was `"row"`.'
    )


def test_an_ordinary_data_source_lists_pages_only(sb: Sandbox) -> None:
    made = sb.notion.create_database([{"name": "a"}])
    notion = client(sb)
    everything = notion.data_sources.query(data_source_id=made["data_source_id"])["results"]
    assert ids(everything) == made["page_ids"] and made["child_data_source_ids"] == []
    only_sources = notion.data_sources.query(
        data_source_id=made["data_source_id"], result_type="data_source"
    )
    assert only_sources["results"] == [] and only_sources["has_more"] is False
