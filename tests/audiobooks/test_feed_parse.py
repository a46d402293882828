"""Feed bodies as listings: the three formats agree, a body that is no feed is named,
an item without a title is rejected by itself."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from flows.audiobooks.feed_parse import NotAFeed, item_key, parse_feed
from infra.sandbox.core.client import Sandbox

HERO = {
    "id": "hero",
    "title": "The Hero of Ages (Unabridged)",
    "authors": ["Brandon Sanderson", "Michael Kramer"],
    "series": "Mistborn",
    "position": 3,
    "language": "en",
    "isbn": "0765356147",
    "link": "magnet:?xt=urn:btih:" + "ab" * 20 + "&dn=Hero",
    "published": "2025-01-02T09:00:00Z",
    "genre": "fantasy",
}
ARTEMIS = {
    "title": "Artemis",
    "authors": ["Andy Weir"],
    "link": "https://catalogue.example/t/artemis.torrent",
    "rank": 2,
}
NOVELLA = {"id": "secret", "title": "Secret History", "series": "Mistborn", "position": 3.5}


@pytest.mark.parametrize("fmt", ["rss", "atom", "json"])
def test_every_format_gives_the_same_listings(sb: Sandbox, fmt: str) -> None:
    sb.catalogue.items([HERO, ARTEMIS, NOVELLA])
    url = f"{sb.catalogue.base_url}/listings.{fmt}"
    answer = httpx.get(url)
    parsed = parse_feed(answer.content, url, answer.headers["content-type"])
    assert parsed.rejected == []
    hero, artemis, novella = parsed.items
    assert hero.key == "hero" and hero.title == "The Hero of Ages (Unabridged)"
    assert hero.authors == ("Brandon Sanderson", "Michael Kramer")
    assert (hero.series, hero.series_position) == ("Mistborn", 3.0)
    assert hero.isbn == "9780765356147"  # the ISBN-10 as its ISBN-13
    assert hero.language == "en" and hero.genre == "fantasy"
    assert hero.link == HERO["link"]
    assert hero.published_at == datetime(2025, 1, 2, 9, tzinfo=UTC)
    # no guid: the download link is the key
    assert artemis.key == ARTEMIS["link"] and artemis.link == ARTEMIS["link"]
    assert artemis.rank == 2
    assert novella.series_position == 3.5 and novella.link is None


@pytest.mark.parametrize("fmt", ["rss", "atom", "json"])
def test_an_item_without_a_title_is_rejected_by_itself(sb: Sandbox, fmt: str) -> None:
    sb.catalogue.items([{"id": "untitled-1", "authors": ["Nobody"]}, HERO])
    url = f"{sb.catalogue.base_url}/listings.{fmt}"
    parsed = parse_feed(httpx.get(url).content, url)
    assert [i.key for i in parsed.items] == ["hero"]
    assert parsed.rejected == [("item untitled-1", "the item has no title")]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"<html><body><h1>Down for maintenance</h1></body></html>", "text/html"),
        (b"Service temporarily unavailable", "text/plain"),
        (b'{"error": "maintenance"}', "application/json"),
        (b'{"items": [', "application/json"),
        (b"", None),
    ],
)
def test_a_body_that_is_no_feed_names_the_feed_without_credentials(
    body: bytes, content_type: str | None
) -> None:
    url = "https://reader:hunter2@catalogue.example/feed.rss?passkey=abc123&page=1"
    with pytest.raises(NotAFeed) as caught:
        parse_feed(body, url, content_type)
    message = str(caught.value)
    assert "https://catalogue.example/feed.rss?passkey=***&page=1" in message
    assert "hunter2" not in message and "abc123" not in message and "reader" not in message


def test_links_that_are_not_downloads_are_dropped() -> None:
    body = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
    <item><title>A</title><link>https://catalogue.example/books/a</link></item>
    <item><title>B</title><link>javascript:alert(1)</link></item>
    <item><title>C</title><enclosure url="file:///etc/passwd" type="x"/></item>
    </channel></rss>"""
    parsed = parse_feed(body, "https://catalogue.example/feed")
    assert [(i.title, i.link) for i in parsed.items] == [("A", None), ("B", None), ("C", None)]
    # neither guid nor download link: the key is the page link, else title and author
    assert parsed.items[0].key == "https://catalogue.example/books/a"


def test_item_key_without_guid_or_link_folds_title_and_author() -> None:
    assert item_key(None, None, "The Way of Kings", ["Sanderson, Brandon"]) == item_key(
        "", "", "Way of Kings, The", ["Brandon Sanderson"]
    )
    assert len(item_key("g" * 600, None, "x", [])) <= 512
