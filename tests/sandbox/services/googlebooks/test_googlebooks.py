"""The fake Google Books as google-api-python-client sees it: search operators, paging,
Google's error JSON per key problem and quota kind, and the multipart batch."""

from __future__ import annotations

import httpx
import pytest
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest

from infra.sandbox.core.client import Sandbox
from infra.sandbox.services.googlebooks.client import volume
from infra.sandbox.services.googlebooks.state import parse_q


def _service(sb: Sandbox, key: str = "k"):
    return build(
        "books",
        "v1",
        developerKey=key,
        client_options={"api_endpoint": sb.googlebooks.base_url + "/"},
        static_discovery=True,
    )


def _error(exc: HttpError) -> dict:
    import json

    return json.loads(exc.content)["error"]


def test_q_operators_quoted_or_not_joined_by_plus_or_space() -> None:
    q = parse_q('intitle:"the way of kings"+inauthor:sanderson isbn:978-0765326355 storm')
    assert q.intitle == ["the way of kings"] and q.inauthor == ["sanderson"]
    assert q.isbn == ["978-0765326355"] and q.words == ["storm"]


def test_search_by_isbn_title_author_language_and_paging(sb: Sandbox) -> None:
    sb.googlebooks.add_key("k")
    env = sb.seed("demo")["env"]
    assert env["GOOGLE_BOOKS_URL"] == sb.googlebooks.base_url
    books = _service(sb).volumes()
    by_isbn = books.list(q="isbn:0765326353").execute()
    assert [v["id"] for v in by_isbn["items"]] == ["sbxStormlight1"]
    info = by_isbn["items"][0]["volumeInfo"]
    assert {"type": "ISBN_13", "identifier": "9780765326355"} in info["industryIdentifiers"]
    weir = books.list(q='inauthor:"andy weir"', langRestrict="en", maxResults=2).execute()
    assert weir["totalItems"] == 3 and len(weir["items"]) == 2
    rest = books.list(q="inauthor:weir", langRestrict="en", startIndex=2, maxResults=2).execute()
    assert [v["id"] for v in rest["items"]] == ["sbxArtemis"]
    german = books.list(q="intitle:marsianer", langRestrict="de").execute()
    assert german["items"][0]["volumeInfo"]["language"] == "de"
    nothing = books.list(q='intitle:"no such book"').execute()
    assert nothing == {"kind": "books#volumes", "totalItems": 0}


def test_max_results_over_40_is_googles_400(sb: Sandbox) -> None:
    sb.googlebooks.add_key("k")
    with pytest.raises(HttpError) as caught:
        httpx_free = _service(sb).volumes().list(q="x", maxResults=41)
        httpx_free.execute()
    assert caught.value.resp.status == 400 and _error(caught.value)["status"] == "INVALID_ARGUMENT"


def test_another_edition_and_padded_total(sb: Sandbox) -> None:
    sb.googlebooks.add_key("k")
    sb.googlebooks.add_volumes(
        volume("The Martian", ["Andy Weir"], isbn_13="9780553418026"),
        answers_isbns=["9780804139021"],
    )
    sb.googlebooks.settings(total_items_padding=50)
    answer = _service(sb).volumes().list(q="isbn:9780804139021").execute()
    assert answer["totalItems"] == 51
    ids = answer["items"][0]["volumeInfo"]["industryIdentifiers"]
    assert ids == [{"type": "ISBN_13", "identifier": "9780553418026"}]
    beyond = _service(sb).volumes().list(q="isbn:9780804139021", startIndex=10).execute()
    assert "items" not in beyond and beyond["totalItems"] == 51


@pytest.mark.parametrize(
    ("setup", "status", "reason", "limit"),
    [
        (lambda g: None, 400, "API_KEY_INVALID", None),
        (lambda g: g.add_key("k", enabled=False), 403, "SERVICE_DISABLED", None),
        (lambda g: g.add_key("k", daily_quota=0), 429, "RATE_LIMIT_EXCEEDED", "PerDay"),
        (
            lambda g: (g.add_key("k"), g.inject_429("minute")),
            429,
            "RATE_LIMIT_EXCEEDED",
            "PerMinute",
        ),
    ],
)
def test_errors_in_googles_shape(sb: Sandbox, setup, status, reason, limit) -> None:
    setup(sb.googlebooks)
    with pytest.raises(HttpError) as caught:
        _service(sb).volumes().list(q="x").execute()
    error = _error(caught.value)
    assert caught.value.resp.status == status == error["code"]
    [info] = error["details"]
    assert info["@type"] == "type.googleapis.com/google.rpc.ErrorInfo"
    assert info["reason"] == reason
    if limit:
        assert limit in info["metadata"]["quota_limit"]
        assert ("per day" if limit == "PerDay" else "per minute") in error["message"]


def test_daily_quota_counts_and_injected_faults_are_google_errors(sb: Sandbox) -> None:
    sb.googlebooks.add_key("k", daily_quota=2)
    books = _service(sb).volumes()
    books.list(q="x").execute()
    sb.add_fault("/googlebooks/books/v1/volumes", status=503, times=1)
    with pytest.raises(HttpError) as caught:
        books.list(q="x").execute()
    assert _error(caught.value)["errors"][0]["reason"] == "backendError"
    books.list(q="x").execute()  # the faulted request never reached the quota
    with pytest.raises(HttpError) as caught:
        books.list(q="x").execute()
    assert caught.value.resp.status == 429
    assert sb.googlebooks.stats()["keys"]["k"]["used"] == 2


def test_batch_as_the_client_sends_it_every_part_counted(sb: Sandbox) -> None:
    sb.googlebooks.add_key("k", daily_quota=2)
    sb.seed("demo")
    service = _service(sb)
    answers: dict[str, object] = {}
    batch = BatchHttpRequest(
        callback=lambda rid, resp, exc: answers.update({rid: exc or resp}),
        batch_uri=sb.googlebooks.batch_uri,
    )
    for rid, q in (("a", "isbn:9780765311788"), ("b", "inauthor:weir"), ("c", "inauthor:weir")):
        batch.add(service.volumes().list(q=q), request_id=rid)
    sb.googlebooks.settings(latency_ms=50)
    batch.execute()
    assert answers["a"]["items"][0]["id"] == "sbxMistborn1"
    assert answers["b"]["totalItems"] == 4
    assert isinstance(answers["c"], HttpError) and answers["c"].resp.status == 429
    stats = sb.googlebooks.stats()
    assert stats["http_requests"] == 1 and stats["api_requests"] == 3
    assert len(sb.requests("/googlebooks/batch")) == 1
    assert httpx.get(f"{sb.googlebooks.base_url}/books/v1/volumes?q=x&key=k").status_code == 429
