"""Job 2 on SQLite and PostgreSQL: titles not owned become wanted once, whatever lists
them and however often; one genre failing leaves the others done."""

from __future__ import annotations

from datetime import datetime
from itertools import pairwise

import pytest
from sqlalchemy import Engine

from flows.audiobooks.feed import CatalogueFetcher
from flows.audiobooks.source_sync import sync_listings
from flows.audiobooks.taskrecords import JobRun
from flows.audiobooks.top10 import sync_top10
from flows.common.errors import ConfigError, TransientError
from infra.sandbox.core.client import Sandbox
from tests.audiobooks.feeds_helpers import (
    SANDERSON,
    books,
    catalogue_block,
    demo_library,
    failed_attempts,
    feed_items,
    item,
)

FANTASY = [
    item("The Way of Kings", authors=SANDERSON, rank=1),
    item("The Final Empire (Unabridged)", authors=["Sanderson, Brandon"], rank=2),
    item("The Name of the Wind", authors=["Patrick Rothfuss"], rank=3),
    item("The Hero of Ages", authors=SANDERSON, rank=4),
]
SCIFI = [
    item("The Martian", authors=["Andy Weir"], rank=1),
    item("Project Hail Mary", authors=["Andy Weir"], rank=2),
    # the same book as fantasy's #4, under another genre
    item("Hero of Ages, The", authors=SANDERSON, rank=3, id="scifi-hero"),
    # same title, another author: another book
    item("The Martian", authors=["Someone Else"], rank=4, id="other-martian"),
]


def _run(engine: Engine) -> JobRun:
    return JobRun(engine, "top10")


def _seed(sb: Sandbox) -> None:
    sb.catalogue.items(FANTASY, feed="top10/fantasy")
    sb.catalogue.items(SCIFI, feed="top10/science-fiction")


def test_titles_not_owned_become_wanted_once(sb: Sandbox, app_db: Engine) -> None:
    demo_library(app_db)
    _seed(sb)
    block = catalogue_block(sb)
    outcome = sync_top10(app_db, block, _run(app_db))
    assert outcome.data["fantasy"]["owned"] == ["The Way of Kings", "The Final Empire (Unabridged)"]
    assert outcome.data["fantasy"]["added"] == ["The Name of the Wind", "The Hero of Ages"]
    assert outcome.data["science-fiction"]["owned"] == ["The Martian"]
    assert outcome.data["science-fiction"]["already_wanted"] == ["Hero of Ages, The"]
    wanted = [(b["title"], b["authors"], b["origin"]) for b in books(app_db, "wanted")]
    assert wanted == [
        ("The Name of the Wind", ["Patrick Rothfuss"], "top10"),
        ("The Hero of Ages", SANDERSON, "top10"),
        ("Project Hail Mary", ["Andy Weir"], "top10"),
        ("The Martian", ["Someone Else"], "top10"),
    ]
    # every listed item is stored and tied to its book, owned or wanted
    stored = feed_items(app_db, "top10:fantasy")
    assert [(i["rank"], i["genre"]) for i in stored] == [(n, "fantasy") for n in (1, 2, 3, 4)]
    assert all(i["book_id"] for i in feed_items(app_db))

    # next week, the lists changed (no 304): nothing is wanted twice
    sb.catalogue.items([item("Dune", authors=["Frank Herbert"], rank=5)], feed="top10/fantasy")
    again = sync_top10(app_db, block, _run(app_db))
    assert again.data["fantasy"]["added"] == ["Dune"]
    assert again.data["science-fiction"]["not_modified"] is True
    assert len(books(app_db, "wanted")) == 5
    assert len(feed_items(app_db, "top10:fantasy")) == 5


def test_only_the_first_ten_by_rank_count(sb: Sandbox, app_db: Engine) -> None:
    listed = [item(f"Book {n}", authors=["A. Writer"], rank=n) for n in range(12, 0, -1)]
    sb.catalogue.items(listed, feed="top10/fantasy")
    outcome = sync_top10(app_db, catalogue_block(sb), _run(app_db), genres=["fantasy"])
    assert outcome.data["fantasy"]["added"] == [f"Book {n}" for n in range(1, 11)]
    assert sorted(i["rank"] for i in feed_items(app_db)) == list(range(1, 11))


def test_one_genre_failing_never_sinks_the_others(sb: Sandbox, app_db: Engine) -> None:
    _seed(sb)
    sb.catalogue.raw("<html>oops</html>", feed="top10/fantasy")
    run = _run(app_db)
    genres = ["fantasy", "horror", "science-fiction"]  # horror has no list: 404
    outcome = sync_top10(app_db, catalogue_block(sb), run, genres=genres)
    assert list(outcome.data) == ["science-fiction"]
    assert "2 genre(s) failed" in outcome.summary
    failures = {f["item"]: f["error"] for f in failed_attempts(app_db)}
    assert set(failures) == {"top10:fantasy", "top10:horror"}
    assert "neither RSS, Atom nor JSON Feed" in failures["top10:fantasy"]
    assert "404" in failures["top10:horror"]
    assert run.failed == 2 and run.succeeded == 4


def test_a_busy_catalogue_is_retried_after_the_other_genres(sb: Sandbox, app_db: Engine) -> None:
    _seed(sb)
    sb.add_fault(r"/top10/fantasy", status=503, times=1)
    block = catalogue_block(sb)
    with pytest.raises(TransientError, match="fantasy"):
        sync_top10(app_db, block, _run(app_db))
    assert feed_items(app_db, "top10:science-fiction")  # done, and kept
    retry = sync_top10(app_db, block, _run(app_db))
    assert retry.data["science-fiction"]["not_modified"] is True
    assert retry.data["fantasy"]["listed"] == 4


def test_credentials_refused_stop_the_run_at_once(sb: Sandbox, app_db: Engine) -> None:
    _seed(sb)
    sb.catalogue.auth(token="needed")
    with pytest.raises(ConfigError, match="catalogue-feed block"):
        sync_top10(app_db, catalogue_block(sb), _run(app_db))
    assert len(sb.catalogue.requests()) == 1


def test_no_genres_or_no_url_is_a_config_error(sb: Sandbox, app_db: Engine) -> None:
    with pytest.raises(ConfigError, match="no genres"):
        sync_top10(app_db, catalogue_block(sb, genres=[]), _run(app_db))
    with pytest.raises(ConfigError, match="top10_url"):
        sync_top10(app_db, catalogue_block(sb, top10_url=None), _run(app_db))


def test_listings_and_top10_share_the_pace_of_one_fetcher(sb: Sandbox, app_db: Engine) -> None:
    _seed(sb)
    sb.catalogue.items([item("Dune", authors=["Frank Herbert"])])
    block = catalogue_block(sb, min_interval_seconds=0.3)
    with CatalogueFetcher(block) as fetcher:
        sync_listings(app_db, block, JobRun(app_db, "source-sync"), fetcher=fetcher)
        sync_top10(app_db, block, _run(app_db), fetcher=fetcher)
    times = [datetime.fromisoformat(r["at"]) for r in sb.requests("/catalogue/")]
    assert len(times) == 3
    assert all((b - a).total_seconds() >= 0.3 for a, b in pairwise(times))
