"""The product's Google Books client against the sandbox: answers, and Google's errors
sorted into what the caller does (fix the block, stop for the day, retry later), with
the key in none of them."""

from __future__ import annotations

import pytest

from flows.audiobooks.googlebooks import GoogleBooksApi, Search, classify, connect, scrub
from flows.audiobooks.quota import QuotaExhausted
from flows.common.errors import ConfigError, PermanentError, TransientError
from infra.sandbox.core.client import Sandbox
from tests.audiobooks.books_helpers import KEY, books_block


def test_search_and_batch_reach_the_blocks_endpoints(sb: Sandbox) -> None:
    sb.googlebooks.add_key(KEY)
    sb.seed("demo")
    api = GoogleBooksApi(books_block(sb), "google-books")
    assert api.list(Search("isbn:9780804139021"))["items"][0]["id"] == "sbxMartian"
    first, second = api.list_batch([Search("isbn:9780765311788"), Search("intitle:nothing")])
    assert first["items"][0]["id"] == "sbxMistborn1" and "items" not in second
    assert len(sb.requests("/googlebooks/batch/books/v1")) == 1


@pytest.mark.parametrize(
    ("setup", "error", "words"),
    [
        (lambda g: None, ConfigError, "google-books block: API key invalid"),
        (lambda g: g.add_key(KEY, enabled=False), ConfigError, "Books API not enabled"),
        (lambda g: g.add_key(KEY, daily_quota=0), QuotaExhausted, "quota is spent"),
        (lambda g: (g.add_key(KEY), g.inject_429("minute")), TransientError, "rate limit"),
    ],
)
def test_errors_sorted_and_the_key_never_shown(sb: Sandbox, setup, error, words) -> None:
    setup(sb.googlebooks)
    api = GoogleBooksApi(books_block(sb), "google-books")
    with pytest.raises(error) as caught:
        api.list(Search("intitle:x"))
    assert words in str(caught.value)
    assert KEY not in str(caught.value) and KEY not in repr(caught.value.__cause__)
    assert len(sb.requests("/googlebooks/books")) == 1  # nothing retried by the client


def test_5xx_and_unreachable_are_transient(sb: Sandbox) -> None:
    sb.googlebooks.add_key(KEY)
    sb.add_fault("/googlebooks/books", status=503, times=1)
    api = GoogleBooksApi(books_block(sb), "google-books")
    with pytest.raises(TransientError):
        api.list(Search("intitle:x"))
    dead = GoogleBooksApi(
        books_block(sb).model_copy(update={"base_url": "http://127.0.0.1:9"}), "gb"
    )
    with pytest.raises(TransientError) as caught:
        dead.list(Search("intitle:x"))
    assert KEY not in str(caught.value)


def test_classify_legacy_403_reasons_and_other_4xx() -> None:
    legacy_day = b'{"error": {"code": 403, "errors": [{"reason": "dailyLimitExceeded"}]}}'
    assert isinstance(classify(403, legacy_day, "gb"), QuotaExhausted)
    legacy_minute = b'{"error": {"code": 403, "errors": [{"reason": "rateLimitExceeded"}]}}'
    assert isinstance(classify(403, legacy_minute, "gb"), TransientError)
    other = classify(404, b"not json", "gb")
    assert isinstance(other, PermanentError) and not isinstance(other, ConfigError)
    assert scrub("GET /books/v1/volumes?q=x&key=AIzaSecret&alt=json") == (
        "GET /books/v1/volumes?q=x&key=***&alt=json"
    )


def test_books_asks_once_then_answers_from_cache(sb: Sandbox, app_db) -> None:
    sb.googlebooks.add_key(KEY)
    sb.seed("demo")
    books = connect(books_block(sb), "google-books", app_db)
    search = Search("isbn:9780593135204")
    first, asked = books.answer(search)
    again, asked_again = books.answer(search)
    assert asked and not asked_again and first == again
    assert sb.googlebooks.api_requests() == 1 and books.budget.used() == 1
