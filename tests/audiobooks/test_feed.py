"""The catalogue fetcher against the sandbox: it names itself, asks only for what
changed, keeps its distance between requests, and waits out a short Retry-After."""

from __future__ import annotations

import time
from datetime import datetime
from itertools import pairwise

import pytest
from pydantic import SecretStr

from flows.audiobooks.feed import CatalogueFetcher, Validators
from flows.common.errors import ConfigError, PermanentError, TransientError
from infra.sandbox.core.client import Sandbox
from tests.audiobooks.feeds_helpers import catalogue_block, item


def _times(sb: Sandbox, path: str = "/catalogue/") -> list[datetime]:
    return [datetime.fromisoformat(r["at"]) for r in sb.requests(path)]


def test_conditional_get_and_user_agent(sb: Sandbox) -> None:
    sb.catalogue.items([item("Dune", authors=["Frank Herbert"])])
    block = catalogue_block(sb)
    with CatalogueFetcher(block) as fetcher:
        first = fetcher.get(block.url)
        again = fetcher.get(block.url, first.validators)
        sb.catalogue.items([item("Hyperion", authors=["Dan Simmons"])])
        changed = fetcher.get(block.url, first.validators)
    assert first.status == 200 and b"Dune" in first.body and first.validators.etag
    assert again.not_modified and again.body == b""
    assert changed.status == 200 and b"Hyperion" in changed.body
    logged = sb.catalogue.requests()
    assert [r["status"] for r in logged] == [200, 304, 200]
    assert logged[1]["if_none_match"] == first.validators.etag
    assert logged[1]["if_modified_since"] == first.validators.last_modified
    assert all(
        r["user_agent"].startswith("prefect-automations-audiobooks/")
        and "catalogue sync" in r["user_agent"]
        for r in logged
    )


def test_requests_keep_the_minimum_interval_across_feeds(sb: Sandbox) -> None:
    for feed in ("listings", "top10/fantasy", "top10/science-fiction"):
        sb.catalogue.items([item("Dune", authors=["Frank Herbert"])], feed=feed)
    block = catalogue_block(sb, min_interval_seconds=0.4)
    urls = [block.url] + [block.top10_url.format(genre=g) for g in block.genres]
    with CatalogueFetcher(block) as fetcher:
        for url in urls:
            fetcher.get(url)
        fetcher.get(urls[0])
    times = _times(sb)
    assert len(times) == 4
    gaps = [(b - a).total_seconds() for a, b in pairwise(times)]
    assert min(gaps) >= 0.4, gaps


def test_a_short_retry_after_is_waited_out(sb: Sandbox) -> None:
    sb.catalogue.items([item("Dune")])
    sb.add_fault(r"^/catalogue/listings", status=429, retry_after=1, times=1)
    block = catalogue_block(sb)
    with CatalogueFetcher(block) as fetcher:
        fetched = fetcher.get(block.url)
    assert fetched.status == 200
    assert [r["status"] for r in sb.requests("/catalogue/")] == [429, 200]
    first, second = _times(sb)
    assert (second - first).total_seconds() >= 1.0


@pytest.mark.parametrize(
    ("status", "retry_after", "expected"),
    [
        (429, 3600, "asked to wait 3600 s"),
        (503, 3600, "asked to wait 3600 s"),
        (429, None, "HTTP 429, try later"),
        (500, None, "HTTP 500"),
    ],
)
def test_a_long_or_missing_retry_after_and_5xx_are_transient(
    sb: Sandbox, status: int, retry_after: int | None, expected: str
) -> None:
    sb.catalogue.items([item("Dune")])
    sb.add_fault(r"^/catalogue/listings", status=status, retry_after=retry_after)
    block = catalogue_block(sb)
    started = time.monotonic()
    with CatalogueFetcher(block) as fetcher, pytest.raises(TransientError, match=expected):
        fetcher.get(block.url)
    assert time.monotonic() - started < 5
    assert len(sb.requests("/catalogue/")) == 1


def test_retry_after_is_obeyed_a_bounded_number_of_times(sb: Sandbox) -> None:
    sb.catalogue.items([item("Dune")])
    sb.add_fault(r"^/catalogue/listings", status=429, retry_after=0)
    block = catalogue_block(sb)
    with CatalogueFetcher(block) as fetcher, pytest.raises(TransientError):
        fetcher.get(block.url)
    assert len(sb.requests("/catalogue/")) == 4  # the request and three waits


def test_refused_credentials_are_a_config_error_without_the_secret(sb: Sandbox) -> None:
    sb.catalogue.items([item("Dune")])
    sb.catalogue.auth(username="reader", password="right-one")
    wrong = catalogue_block(sb, username="reader", password=SecretStr("hunter2"))
    with CatalogueFetcher(wrong) as fetcher, pytest.raises(ConfigError) as caught:
        fetcher.get(wrong.url)
    assert "catalogue-feed block" in str(caught.value) and "refused" in str(caught.value)
    assert "hunter2" not in str(caught.value)
    with CatalogueFetcher(catalogue_block(sb)) as fetcher, pytest.raises(ConfigError):
        fetcher.get(wrong.url)  # no credentials at all
    right = catalogue_block(sb, username="reader", password=SecretStr("right-one"))
    with CatalogueFetcher(right) as fetcher:
        assert fetcher.get(right.url).status == 200
    sb.catalogue.auth(token="tok-1")
    bearer = catalogue_block(sb, token=SecretStr("tok-1"))
    with CatalogueFetcher(bearer) as fetcher:
        assert fetcher.get(bearer.url).status == 200
    assert [r["auth"] for r in sb.catalogue.requests()] == ["basic", None, "basic", "bearer"]


def test_an_answer_over_the_size_cap_is_refused(sb: Sandbox) -> None:
    sb.catalogue.items([item(f"Book {n}", authors=["A. Writer"]) for n in range(50)])
    block = catalogue_block(sb, max_bytes=2000)
    with CatalogueFetcher(block) as fetcher, pytest.raises(PermanentError, match="2000 bytes"):
        fetcher.get(block.url)


def test_no_answer_in_time_is_transient(sb: Sandbox) -> None:
    sb.catalogue.items([item("Dune")])
    sb.add_fault(r"^/catalogue/listings", delay_ms=2000, times=1)
    block = catalogue_block(sb, timeout_seconds=0.3)
    with CatalogueFetcher(block) as fetcher, pytest.raises(TransientError, match="no answer"):
        fetcher.get(block.url, Validators())
    # the sandbox logs the abandoned request when its delay ends: let it, before the next test
    deadline = time.monotonic() + 5
    while not sb.requests("/catalogue/") and time.monotonic() < deadline:
        time.sleep(0.1)
