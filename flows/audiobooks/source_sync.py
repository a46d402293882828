"""Job 1's catalogue part: the new listings of the catalogue feed, stored once each.

A 304 is the common case on a daily schedule and a success: nothing new. A body that is
no feed fails the run with an error naming the feed; an item without a title is one
failed item and the rest are stored. Listings that are copies of a wanted book are tied
to it, which is what series completion hands to the download client.
"""

from __future__ import annotations

from sqlalchemy import Engine

from blocks.audiobooks import CatalogueFeed
from flows.audiobooks.feed import CatalogueFetcher, load_validators, save_validators
from flows.audiobooks.feed_items import LISTINGS, link_wanted, store_items
from flows.audiobooks.feed_parse import parse_feed
from flows.audiobooks.jobs import Outcome
from flows.audiobooks.taskrecords import JobRun
from flows.common.artifacts import markdown_table
from flows.common.urls import shown_url

MAX_ROWS = 50  # rows of new listings in the run's artifact


def series_label(series: str | None, position: float | None) -> str:
    if not series:
        return ""
    return series if position is None else f"{series} #{position:g}"


def sync_listings(
    engine: Engine,
    block: CatalogueFeed,
    run: JobRun,
    *,
    fetcher: CatalogueFetcher | None = None,
) -> Outcome:
    """Fetch the listings feed (conditionally) and store its new items.

    `fetcher`: share one with the top-10 runner to pace requests across both.
    Outcome.data: {"not_modified", "new", "seen", "failed", "tied"}.
    Raises ConfigError (credentials refused), PermanentError (no such feed, not a feed,
    too large) or TransientError (network, 5xx, rate limited).
    """
    own = fetcher is None
    fetcher = fetcher or CatalogueFetcher(block)
    try:
        with engine.connect() as conn:
            validators = load_validators(conn, block.url)
        fetched = fetcher.get(block.url, validators)
    finally:
        if own:
            fetcher.close()
    shown = shown_url(block.url)
    if fetched.not_modified:
        run.log(f"{shown}: not modified since the last run")
        return Outcome(
            summary="listings not modified: nothing new",
            data={"not_modified": True, "new": 0, "seen": 0, "failed": 0, "tied": 0},
        )
    parsed = parse_feed(fetched.body, block.url, fetched.content_type)
    for label, why in parsed.rejected:
        run.failure(f"listings {label}", why)
    with engine.begin() as conn:
        stored = store_items(conn, LISTINGS, parsed.items)
        tied = link_wanted(conn)
        save_validators(conn, fetched)
    new = [s for s in stored if s.new]
    run.ok(len(stored))
    run.log(f"{shown}: {len(new)} new, {len(stored) - len(new)} seen again")
    summary = (
        f"listings: {len(new)} new, {len(stored) - len(new)} seen again, "
        f"{len(parsed.rejected)} failed"
    )
    rows = [
        (
            s.item.title,
            ", ".join(s.item.authors),
            series_label(s.item.series, s.item.series_position),
            s.item.published_at.date().isoformat() if s.item.published_at else "",
        )
        for s in new[:MAX_ROWS]
    ]
    markdown = markdown_table(("title", "authors", "series", "published"), rows) if rows else ""
    if len(new) > MAX_ROWS:
        markdown += f"\n\n... and {len(new) - MAX_ROWS} more"
    return Outcome(
        summary=summary,
        markdown=markdown,
        data={
            "not_modified": False,
            "new": len(new),
            "seen": len(stored) - len(new),
            "failed": len(parsed.rejected),
            "tied": tied,
        },
    )
