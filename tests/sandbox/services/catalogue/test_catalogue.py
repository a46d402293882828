"""The fake catalogue: three feed formats, honest validators, auth, and the bad input it
serves on request."""

from __future__ import annotations

import json

import feedparser
import httpx
import pytest

from infra.sandbox.core.client import Sandbox, SandboxError

ITEM = {
    "id": "hero",
    "title": "The Hero of Ages",
    "authors": ["Brandon Sanderson"],
    "series": "Mistborn",
    "position": 3,
    "language": "en",
    "isbn": "9780765356147",
    "link": "magnet:?xt=urn:btih:" + "ab" * 20 + "&dn=Hero",
    "published": "2025-01-02T09:00:00Z",
    "genre": "fantasy",
}


def test_one_item_in_all_three_formats(sb: Sandbox) -> None:
    sb.catalogue.items([ITEM])
    rss = httpx.get(f"{sb.catalogue.base_url}/listings.rss")
    atom = httpx.get(f"{sb.catalogue.base_url}/listings", params={"format": "atom"})
    js = httpx.get(f"{sb.catalogue.base_url}/listings.json")
    assert rss.headers["content-type"].startswith("application/rss+xml")
    assert atom.headers["content-type"].startswith("application/atom+xml")
    assert js.headers["content-type"].startswith("application/feed+json")
    for response in (rss, atom):
        parsed = feedparser.parse(response.content)
        [entry] = parsed.entries
        assert parsed.version in ("rss20", "atom10")
        assert entry.title == "The Hero of Ages" and entry.id == "hero"
        assert [a["name"] for a in entry.authors] == ["Brandon Sanderson"]
        assert entry.cat_series == "Mistborn" and entry.cat_position == "3"
        assert entry.cat_isbn == "9780765356147"
        assert ITEM["link"] in [link["href"] for link in entry.links]
    feed = js.json()
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    [entry] = feed["items"]
    assert entry["attachments"][0]["url"] == ITEM["link"]
    assert entry["_catalogue"] == {"series": "Mistborn", "position": 3, "isbn": "9780765356147"}


def test_top10_per_genre_with_ranks_and_404_for_no_list(sb: Sandbox) -> None:
    sb.catalogue.items([{**ITEM, "rank": 1}], feed="top10/fantasy")
    entry = httpx.get(f"{sb.catalogue.base_url}/top10/fantasy.json").json()["items"][0]
    assert entry["_catalogue"]["rank"] == 1 and entry["tags"] == ["fantasy"]
    assert httpx.get(f"{sb.catalogue.base_url}/top10/horror.rss").status_code == 404
    assert httpx.get(f"{sb.catalogue.base_url}/listings?format=csv").status_code == 400


def test_etag_and_last_modified_answer_304_until_the_feed_changes(sb: Sandbox) -> None:
    sb.catalogue.items([ITEM])
    url = f"{sb.catalogue.base_url}/listings.rss"
    first = httpx.get(url)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert httpx.get(url).headers["etag"] == etag  # same feed, same bytes, same tag
    by_tag = httpx.get(url, headers={"If-None-Match": etag})
    by_date = httpx.get(url, headers={"If-Modified-Since": modified})
    assert (by_tag.status_code, by_tag.content) == (304, b"")
    assert by_date.status_code == 304
    sb.catalogue.items([{**ITEM, "id": "other", "title": "Other"}])
    changed = httpx.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    # a change within the same second still moves Last-Modified on
    assert httpx.get(url, headers={"If-Modified-Since": modified}).status_code == 200
    # If-None-Match wins over If-Modified-Since
    stale = {"If-None-Match": etag, "If-Modified-Since": changed.headers["last-modified"]}
    assert httpx.get(url, headers=stale).status_code == 200


def test_basic_auth_and_bearer_token(sb: Sandbox) -> None:
    sb.catalogue.items([ITEM])
    url = f"{sb.catalogue.base_url}/listings.atom"
    sb.catalogue.auth(username="reader", password="s3cret")
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, auth=("reader", "wrong")).status_code == 401
    assert httpx.get(url, auth=("reader", "s3cret")).status_code == 200
    sb.catalogue.auth(token="tok")
    assert httpx.get(url, auth=("reader", "s3cret")).status_code == 401
    assert httpx.get(url, headers={"Authorization": "Bearer tok"}).status_code == 200
    sb.catalogue.auth()
    assert httpx.get(url).status_code == 200


def test_raw_body_item_without_title_and_request_log(sb: Sandbox) -> None:
    sb.catalogue.items([{"id": "no-title", "link": "magnet:?xt=urn:btih:" + "cd" * 20}])
    url = f"{sb.catalogue.base_url}/listings.json"
    [entry] = httpx.get(url).json()["items"]
    assert "title" not in entry and entry["id"] == "no-title"
    sb.catalogue.raw("<html><body>maintenance</body></html>")
    page = httpx.get(url, headers={"User-Agent": "probe/1", "If-None-Match": '"x"'})
    assert page.text.startswith("<html>") and page.headers["content-type"].startswith("text/html")
    sb.catalogue.raw(None)
    assert httpx.get(url).json()["items"]
    logged = sb.catalogue.requests()
    assert len(logged) == 3
    assert logged[1]["user_agent"] == "probe/1" and logged[1]["if_none_match"] == '"x"'
    assert [r["status"] for r in logged] == [200, 200, 200]


def test_bad_control_bodies_are_400(sb: Sandbox) -> None:
    with pytest.raises(SandboxError, match="400"):
        sb.catalogue.items([{"title": "x", "rank": 0}])
    with pytest.raises(SandboxError, match="feed"):
        sb.catalogue.items([], feed="top10/Bad Genre")
    with pytest.raises(SandboxError, match="both"):
        sb.catalogue.auth(username="only")


def test_demo_seed(sb: Sandbox) -> None:
    env = sb.seed("demo")["env"]
    listings = httpx.get(env["CATALOGUE_URL"])
    titles = [e.title for e in feedparser.parse(listings.content).entries]
    assert len(titles) == 12 and "The Hero of Ages" in titles
    for genre in env["CATALOGUE_GENRES"].split(","):
        top = json.loads(httpx.get(env["CATALOGUE_TOP10_URL"].format(genre=genre)).content)
        assert [i["_catalogue"]["rank"] for i in top["items"]] == list(range(1, 11))
