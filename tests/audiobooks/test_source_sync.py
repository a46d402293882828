"""Job 1's catalogue part on SQLite and PostgreSQL: listings stored once, a 304 is a
quiet success, bad input is named and never sinks the rest."""

from __future__ import annotations

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine

from flows.audiobooks.feed_parse import NotAFeed
from flows.audiobooks.library import add_book
from flows.audiobooks.source_sync import sync_listings
from flows.audiobooks.taskrecords import JobRun
from infra.sandbox.core.client import Sandbox
from tests.audiobooks.feeds_helpers import (
    catalogue_block,
    failed_attempts,
    feed_items,
    item,
    magnet,
)

DUNE = item("Dune", authors=["Frank Herbert"], link=magnet("dune"))
HYPERION = item("Hyperion", authors=["Dan Simmons"], link=magnet("hyperion"))


def _run(engine: Engine) -> JobRun:
    return JobRun(engine, "source-sync")


def test_a_304_stores_nothing_and_a_changed_feed_is_fetched_again(
    sb: Sandbox, app_db: Engine
) -> None:
    sb.catalogue.items([DUNE, HYPERION])
    block = catalogue_block(sb)
    first = sync_listings(app_db, block, _run(app_db))
    assert first.data == {"not_modified": False, "new": 2, "seen": 0, "failed": 0, "tied": 0}

    run = _run(app_db)
    quiet = sync_listings(app_db, block, run)
    assert quiet.data["not_modified"] is True and "nothing new" in quiet.summary
    assert (run.processed, run.failed) == (0, 0)
    assert len(feed_items(app_db)) == 2

    sb.catalogue.items([item("Neuromancer", authors=["William Gibson"])])
    changed = sync_listings(app_db, block, _run(app_db))
    assert changed.data["new"] == 1 and changed.data["seen"] == 2
    assert [r["status"] for r in sb.catalogue.requests()] == [200, 304, 200]
    assert sorted(i["title"] for i in feed_items(app_db)) == ["Dune", "Hyperion", "Neuromancer"]


def test_items_are_stored_once_however_often_they_reappear(sb: Sandbox, app_db: Engine) -> None:
    block = catalogue_block(sb)
    sb.catalogue.items([DUNE])
    for fmt in ("rss", "atom", "json", "rss"):  # a changed URL: no validators to send
        sync_listings(app_db, block.model_copy(update={"url": block.url[:-3] + fmt}), _run(app_db))
    # the same listing without a guid, twice in one answer
    twice = {"title": "Artemis", "authors": ["Andy Weir"], "link": magnet("artemis")}
    sb.catalogue.items([twice, twice])
    outcome = sync_listings(app_db, block, _run(app_db))
    assert outcome.data["new"] == 1
    stored = feed_items(app_db, "listings")
    assert [(i["title"], i["item_key"]) for i in stored] == [
        ("Dune", "id-dune"),
        ("Artemis", magnet("artemis")),
    ]
    assert stored[0]["authors"] == ["Frank Herbert"] and stored[0]["link"] == magnet("dune")


def test_an_item_without_a_title_fails_alone(sb: Sandbox, app_db: Engine) -> None:
    sb.catalogue.items([DUNE, {"id": "no-title-42", "authors": ["Someone"]}, HYPERION])
    run = _run(app_db)
    outcome = sync_listings(app_db, catalogue_block(sb), run)
    assert outcome.data["new"] == 2 and outcome.data["failed"] == 1
    assert (run.processed, run.succeeded, run.failed) == (3, 2, 1)
    [failure] = failed_attempts(app_db)
    assert failure["item"] == "listings item no-title-42"
    assert "no title" in failure["error"] and failure["task_name"] == "source-sync"


def test_a_body_that_is_no_feed_fails_the_run_naming_the_feed(sb: Sandbox, app_db: Engine) -> None:
    sb.catalogue.items([DUNE])
    sb.catalogue.raw("<html><body>Cloudflare says hi</body></html>")
    sb.catalogue.auth(username="reader", password="pw-secret")
    block = catalogue_block(sb, username="reader", password=SecretStr("pw-secret"))
    with pytest.raises(NotAFeed) as caught:
        sync_listings(app_db, block, _run(app_db))
    assert block.url in str(caught.value) and "pw-secret" not in str(caught.value)
    assert feed_items(app_db) == []
    sb.catalogue.raw(None)  # the catalogue is back: its validators were never stored
    assert sync_listings(app_db, block, _run(app_db)).data["new"] == 1


def test_a_listing_of_a_wanted_book_is_tied_to_it(sb: Sandbox, app_db: Engine) -> None:
    with app_db.begin() as conn:
        wanted, _ = add_book(
            conn,
            {"title": "Dune (Unabridged)", "authors": ["Herbert, Frank"]},
            status="wanted",
            origin="top10",
            origin_key="top10:dune|frank herbert",
            source="feed",
        )
    sb.catalogue.items([DUNE, item("Dune", authors=["Brian Herbert"], id="other-dune")])
    outcome = sync_listings(app_db, catalogue_block(sb), _run(app_db))
    assert outcome.data["tied"] == 1
    tied = {i["item_key"]: i["book_id"] for i in feed_items(app_db)}
    assert tied == {"id-dune": wanted, "other-dune": None}
