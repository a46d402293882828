"""The refresh engine without Prefect: searches per book, cycles that survive the quota,
cached answers resolved in bulk."""

from __future__ import annotations

from flows.audiobooks import metadata
from flows.audiobooks.googlebooks import connect
from flows.audiobooks.taskrecords import JobRun
from infra.sandbox.core.client import Sandbox
from tests.audiobooks.books_helpers import KEY, add_book, books_block


def test_search_for_prefers_a_valid_isbn() -> None:
    assert metadata.search_for({"isbn_10": "0804139024", "title": "x"}).q == "isbn:9780804139021"
    bad_isbn = {"isbn_13": "9780804139022", "title": 'The "Martian" (Unabridged)', "authors": []}
    assert metadata.search_for(bad_isbn).q == 'intitle:"The Martian"'
    by_title = {"title": "Artemis", "authors": ["Andy Weir", "X"]}
    assert metadata.search_for(by_title).q == 'intitle:"Artemis" inauthor:"Andy Weir"'


def test_cycle_stops_at_quota_resumes_then_answers_from_cache(sb: Sandbox, app_db) -> None:
    sb.seed("demo")
    sb.googlebooks.add_key(KEY)
    ids = [
        add_book(app_db, "The Martian", ["Andy Weir"]),
        add_book(app_db, "Artemis", ["Andy Weir"]),
        add_book(app_db, "Project Hail Mary", ["Andy Weir"]),
    ]
    tight = connect(books_block(sb, daily_quota=2), "google-books", app_db)
    run = JobRun(app_db, "metadata-full")
    plan, tally = metadata.refresh(app_db, tight, "metadata-full", run, max_in_flight=1)
    assert len(tally.done) == 2 and tally.stopped and run.succeeded == 2
    assert plan.book_ids == ids

    roomy = connect(books_block(sb, daily_quota=10), "google-books", app_db)
    plan, tally = metadata.refresh(app_db, roomy, "metadata-full")
    assert plan.resumed and plan.book_ids == ids[2:] and tally.requests == 1
    plan, tally = metadata.refresh(app_db, roomy, "metadata-full")
    assert not plan.resumed and len(tally.done) == 3 and tally.requests == 0
    assert tally.cached == 3 and sb.googlebooks.api_requests() == 3
