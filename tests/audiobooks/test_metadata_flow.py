"""The Google Books jobs under the Prefect test harness, against the sandbox: rate
limits backed off, the day's quota respected and resumed from, bad keys named, the
user's fields kept, doubtful matches sent to review, authors completed once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prefect.variables import Variable
from sqlalchemy import select, update

from flows.audiobooks import library
from flows.audiobooks.flow import (
    audiobook_author_completion,
    audiobook_metadata_full,
    audiobook_metadata_new,
)
from flows.audiobooks.review import open_reviews
from flows.audiobooks.tables import (
    audiobook_books,
    audiobook_failed_attempts,
    audiobook_refresh_cycles,
    audiobook_tasks,
)
from flows.common.times import utcnow
from infra.sandbox.core.client import Sandbox
from tests.audiobooks.books_helpers import KEY, add_book, books_block, volume

FAST = {"retry_delay_seconds": 0.05, "max_retry_delay_seconds": 0.1}


@pytest.fixture
def engine(local_app_db):
    return local_app_db.engine


@pytest.fixture
def gb(sb: Sandbox, save_block):
    """Save a Google Books block for the sandbox (key registered, demo volumes in)."""
    sb.seed("demo")

    def make(key: str = KEY, quota: int = 1000, register: bool = True, **fields) -> str:
        if register:
            sb.googlebooks.add_key(key, daily_quota=10_000)
        return save_block(books_block(sb, key, daily_quota=quota, **fields), "google-books")

    return make


def _book(engine, book_id: int) -> dict:
    with engine.connect() as conn:
        return library.book(conn, book_id)


def _demo_books(engine) -> list[int]:
    return [
        add_book(engine, "The Final Empire", ["Brandon Sanderson"], isbn_13="9780765311788"),
        add_book(engine, "The Well of Ascension", ["Brandon Sanderson"], isbn_10="0765316889"),
        add_book(engine, "The Alloy of Law", ["Brandon Sanderson"], isbn_13="9780765330420"),
        add_book(engine, "The Martian", ["Andy Weir"], language="en"),
        add_book(engine, "Artemis", ["Andy Weir"]),
    ]


def _run(flow, block: str, app_db_block: str, **params):
    return flow(
        google_books_block=block, app_db_block=app_db_block, return_state=True, **FAST, **params
    )


def test_refresh_applies_matches_then_a_second_run_asks_nothing(
    sb: Sandbox, gb, engine, app_db_block, run_artifacts
) -> None:
    ids = _demo_books(engine)
    block = gb()
    state = _run(audiobook_metadata_full, block, app_db_block)
    assert state.is_completed(), state.message
    data = state.result()
    assert data["checked"] == 5 and data["exact"] == 3 and data["matched"] == 2
    assert data["requests"] == 5 and data["review"] == 0
    first = _book(engine, ids[0])
    assert first["title"] == "Mistborn" and first["publisher"] == "Tor Books"
    assert first["google_volume_id"] == "sbxMistborn1" and first["isbn_10"] == "076531178X"
    assert _book(engine, ids[4])["isbn_13"] == "9780553448122"  # Artemis: exact key + author
    assert sb.googlebooks.api_requests() == 5

    again = _run(audiobook_metadata_full, block, app_db_block)
    assert again.is_completed() and again.result()["requests"] == 0
    assert again.result()["checked"] == 5 and again.result()["changed"] == 0
    assert sb.googlebooks.api_requests() == 5
    [artifact] = [a for a in run_artifacts(again) if a.key == "audiobook-metadata-full"]
    assert "5 book(s) checked" in artifact.data


def test_per_minute_429_storm_backs_off_and_finishes(sb: Sandbox, gb, engine, app_db_block):
    ids = _demo_books(engine)
    block = gb(max_in_flight=1)
    sb.googlebooks.inject_429("minute", times=3)
    state = _run(audiobook_metadata_full, block, app_db_block)
    assert state.is_completed(), state.message
    assert state.result()["checked"] == 5 and state.result()["failed"] == 0
    statuses = [r["status"] for r in sb.requests("/googlebooks/books/v1/volumes")]
    assert statuses.count(429) == 3 and statuses.count(200) == 5  # none asked twice
    assert all(_book(engine, b)["metadata_refreshed_at"] for b in ids)


def test_daily_quota_429_stops_without_retrying_into_it(sb: Sandbox, gb, engine, app_db_block):
    ids = _demo_books(engine)
    block = gb(max_in_flight=1)
    sb.googlebooks.inject_429("day", times=1)
    state = _run(audiobook_metadata_full, block, app_db_block)
    assert state.is_completed(), state.message
    data = state.result()
    assert data["checked"] == 0 and "quota is spent" in data["stopped"]
    assert data["stopped_at_book"] == ids[0]
    assert len(sb.requests("/googlebooks/books")) == 1
    # the same day, the next run asks nothing: Google said the day is spent
    later = _run(audiobook_metadata_full, block, app_db_block)
    assert later.is_completed() and later.result()["stopped"]
    assert len(sb.requests("/googlebooks/books")) == 1


@pytest.mark.parametrize(
    ("register", "enabled", "words"),  # neither key registered as a working one
    [(False, True, "API key invalid"), (False, False, "Books API not enabled")],
)
def test_bad_key_fails_naming_the_block_without_retry(
    sb: Sandbox, gb, engine, app_db_block, register, enabled, words
) -> None:
    _demo_books(engine)
    if not enabled:
        sb.googlebooks.add_key("disabled-key", enabled=False)
    block = gb(key="disabled-key" if not enabled else "unknown-key", register=register)
    state = _run(audiobook_metadata_full, block, app_db_block)
    assert state.is_failed()
    with pytest.raises(Exception) as caught:
        state.result()
    assert f"{block} block: {words}" in str(caught.value)
    assert "unknown-key" not in str(caught.value) and "disabled-key" not in str(caught.value)
    assert len(sb.requests("/googlebooks/books")) <= 8  # one per lookup in flight, no retry
    with engine.connect() as conn:
        record = conn.execute(select(audiobook_tasks)).mappings().one()
    assert record["status"] == "failed" and words in record["error_message"]


def test_locked_and_user_set_fields_survive(sb: Sandbox, gb, engine, app_db_block) -> None:
    book_id = add_book(engine, "Project Hail Mary", ["Andy Weir"], publisher="Mine")
    with engine.begin() as conn:
        library.set_lock(conn, book_id, "publisher", True)
        library.write_fields(conn, book_id, {"description": "My words"}, "user")
    state = _run(audiobook_metadata_full, gb(), app_db_block)
    assert state.is_completed() and state.result()["matched"] == 1
    book = _book(engine, book_id)
    assert book["publisher"] == "Mine" and book["description"] == "My words"
    assert book["isbn_13"] == "9780593135204" and book["google_volume_id"] == "sbxHailMary"


def test_fuzzy_match_goes_to_review_and_nothing_is_written(
    sb: Sandbox, gb, engine, app_db_block
) -> None:
    sb.googlebooks.add_volumes(volume("Words of Radiance, Part One", ["Brandon Sanderson"]))
    book_id = add_book(engine, "Words of Radiance", ["Brandon Sanderson"])
    state = _run(audiobook_metadata_full, gb(), app_db_block)
    assert state.is_completed() and state.result()["review"] == 1
    book = _book(engine, book_id)
    assert book["title"] == "Words of Radiance" and book["google_volume_id"] is None
    assert book["metadata_checked_at"] is not None and book["metadata_refreshed_at"] is None
    [item] = open_reviews(engine)
    assert item["book_id"] == book_id and "title score" in item["reason"]


def test_other_edition_and_no_items(sb: Sandbox, gb, engine, app_db_block) -> None:
    sb.googlebooks.add_volumes(
        volume("The Martian", ["Andy Weir"], isbn_13="9780553418026", volume_id="otherEd"),
        answers_isbns=["9781101905005"],
    )
    edition = add_book(engine, "The Martian", ["Andy Weir"], isbn_13="9781101905005")
    nothing = add_book(engine, "A Book Google Never Heard Of", ["Nobody"])
    state = _run(audiobook_metadata_full, gb(), app_db_block)
    assert state.is_completed()
    assert state.result()["exact"] == 0 and state.result()["review"] == 1
    assert _book(engine, edition)["isbn_13"] == "9781101905005"  # not replaced
    [item] = open_reviews(engine)
    assert item["volume_id"] == "otherEd" and "another edition" in item["reason"]
    blank = _book(engine, nothing)
    assert blank["metadata_checked_at"] is not None and blank["metadata_refreshed_at"] is None


def test_quota_stops_a_run_and_the_next_resumes_without_refreshing_twice(
    sb: Sandbox, gb, engine, app_db_block
) -> None:
    ids = _demo_books(engine)
    small = gb(quota=3, max_in_flight=2)
    first = _run(audiobook_metadata_full, small, app_db_block)
    assert first.is_completed()
    data = first.result()
    assert data["checked"] == 3 and "daily budget of 3" in data["stopped"]
    done = {b: _book(engine, b)["metadata_refreshed_at"] for b in ids}
    left = sorted(b for b, refreshed in done.items() if refreshed is None)
    assert len(left) == 2 and data["stopped_at_book"] == left[0]  # two lookups ran at once
    with engine.connect() as conn:
        cycle = conn.execute(select(audiobook_refresh_cycles)).mappings().one()
    assert cycle["finished_at"] is None and cycle["stopped_at_book"] == left[0]

    bigger = gb(quota=10)  # same key: 3 of its 10 already spent today
    second = _run(audiobook_metadata_full, bigger, app_db_block)
    assert second.result()["resumed"] and second.result()["requests"] == 2
    after = {b: _book(engine, b)["metadata_refreshed_at"] for b in ids}
    assert {b: t for b, t in after.items() if b not in left} == {
        b: t for b, t in done.items() if b not in left
    }
    assert all(after[b] is not None for b in left)
    assert sb.googlebooks.api_requests() == 5
    with engine.connect() as conn:
        cycle = conn.execute(select(audiobook_refresh_cycles)).mappings().one()
    assert cycle["finished_at"] is not None


def test_metadata_new_covers_recent_and_never_refreshed(
    sb: Sandbox, gb, engine, app_db_block
) -> None:
    old_done, old_new, recent = (
        add_book(engine, "The Martian", ["Andy Weir"]),
        add_book(engine, "Artemis", ["Andy Weir"]),
        add_book(engine, "Project Hail Mary", ["Andy Weir"]),
    )
    month_ago = utcnow() - timedelta(days=30)
    with engine.begin() as conn:
        conn.execute(
            update(audiobook_books)
            .where(audiobook_books.c.id.in_([old_done, old_new]))
            .values(added_at=month_ago)
        )
        conn.execute(
            update(audiobook_books)
            .where(audiobook_books.c.id == old_done)
            .values(metadata_refreshed_at=month_ago, metadata_checked_at=month_ago)
        )
    state = _run(audiobook_metadata_new, gb(), app_db_block)
    assert state.result()["checked"] == 2
    assert _book(engine, old_done)["metadata_checked_at"] is not None
    assert _book(engine, old_done)["google_volume_id"] is None
    assert _book(engine, recent)["google_volume_id"] == "sbxHailMary"


def test_author_completion_folds_editions_and_adds_once(
    sb: Sandbox, gb, engine, app_db_block
) -> None:
    sb.googlebooks.add_volumes(
        volume("Project Hail Mary", ["Andy Weir"], isbn_13="9780593135228", volume_id="phmAudio"),
        volume("Cheshire Crossing", ["Andy Weir", "Sarah Andersen"], volume_id="cheshire"),
    )
    sb.googlebooks.settings(total_items_padding=100)  # totalItems promises pages that are empty
    add_book(engine, "The Martian", ["Andy Weir"], language="en")
    block = gb()
    state = audiobook_author_completion(
        google_books_block=block, app_db_block=app_db_block, return_state=True, **FAST
    )
    assert state.is_completed(), state.message
    with engine.connect() as conn:
        wanted = conn.execute(
            select(audiobook_books.c.title, audiobook_books.c.origin).where(
                audiobook_books.c.status == "wanted"
            )
        ).all()
    titles = sorted(t for t, _ in wanted)
    assert titles == ["Artemis", "Cheshire Crossing", "Project Hail Mary"]  # no German, no twin
    assert {o for _, o in wanted} == {"author"}
    pages = [r["query"] for r in sb.requests("/googlebooks/books")]
    assert len(pages) == 2 and "langRestrict=en" in pages[0]  # stopped at the empty page

    sb.clear_requests()
    again = audiobook_author_completion(
        google_books_block=block, app_db_block=app_db_block, return_state=True, **FAST
    )
    assert again.result()["added"] == 0 and sb.requests("/googlebooks/books") == []


def test_disabled_flag_skips(sb: Sandbox, gb, engine, app_db_block, prefect_harness) -> None:
    _demo_books(engine)
    Variable.set("audiobook_metadata_full_enabled", "false", overwrite=True)
    try:
        state = _run(audiobook_metadata_full, gb(), app_db_block)
    finally:
        Variable.unset("audiobook_metadata_full_enabled")
    assert state.is_completed() and state.message == "skipped: disabled"
    assert sb.requests("/googlebooks/books") == []
    with engine.connect() as conn:
        assert conn.execute(select(audiobook_tasks.c.status)).scalar_one() == "skipped"
        assert conn.execute(select(audiobook_failed_attempts)).first() is None
