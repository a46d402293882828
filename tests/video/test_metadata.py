"""The videos.insert body keeps to YouTube's rules whatever the LLM wrote: lengths as
YouTube counts them, no angle brackets, a schedule that is private and in the future,
and the disclosures an AI-made video needs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from flows.common.errors import PermanentError
from flows.video.metadata import (
    DESCRIPTION_MAX_BYTES,
    MetadataError,
    build_metadata,
    tags_length,
    youtube_tags,
)
from flows.video.request import VideoRequest
from flows.video.script import Script

NOW = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)


def _script(**fields) -> Script:
    values = {
        "title": "Why cats purr",
        "description": "A short look at purring.",
        "tags": ["cats", "purring"],
        "narration": ["Cats purr."],
        "search_terms": ["cat"],
        **fields,
    }
    return Script(**values)


def _request(**fields) -> VideoRequest:
    return VideoRequest(topic="Why cats purr", **fields)


def test_a_plain_body_has_snippet_status_and_the_ai_disclosures() -> None:
    body = build_metadata(_script(), _request(privacy="unlisted", tags=["pets"]), "27", now=NOW)
    assert body == {
        "snippet": {
            "title": "Why cats purr",
            "description": "A short look at purring.",
            "tags": ["pets", "cats", "purring"],
            "categoryId": "27",
        },
        "status": {
            "privacyStatus": "unlisted",
            "selfDeclaredMadeForKids": False,
            "containsSyntheticMedia": True,
        },
    }


def test_the_requests_category_wins_over_the_channels_and_must_be_an_id() -> None:
    body = build_metadata(_script(), _request(category_id="22"), "27", now=NOW)
    assert body["snippet"]["categoryId"] == "22"
    with pytest.raises(MetadataError, match="'Education'"):
        build_metadata(_script(), _request(), "Education", now=NOW)


def test_a_publish_time_forces_private_and_is_sent_in_utc() -> None:
    paris = datetime(2030, 1, 1, 12, 0, 30, 123456, tzinfo=timezone(timedelta(hours=1)))
    body = build_metadata(_script(), _request(privacy="public", publish_at=paris), "27", now=NOW)
    assert body["status"]["privacyStatus"] == "private"
    assert body["status"]["publishAt"] == "2030-01-01T11:00:30Z"


def test_a_publish_time_in_the_past_is_an_error_naming_it() -> None:
    past = NOW - timedelta(minutes=1)
    with pytest.raises(MetadataError) as caught:
        build_metadata(_script(), _request(publish_at=past), "27", now=NOW)
    assert isinstance(caught.value, PermanentError)
    assert "publish_at" in str(caught.value) and past.isoformat() in str(caught.value)


def test_title_and_description_are_cut_between_words_and_lose_angle_brackets() -> None:
    long_title = "The <b>truth</b> about " + "purring cats " * 20
    script = _script(title=long_title, description=("Purr <script>x</script> " + "é" * 40) * 100)
    body = build_metadata(script, _request(), "27", now=NOW)
    title, description = body["snippet"]["title"], body["snippet"]["description"]
    assert len(title) <= 100 and title.startswith("The btruth/b about purring cats")
    assert title.endswith("cats\N{HORIZONTAL ELLIPSIS}"), "cut between words"
    assert len(description.encode("utf-8")) <= DESCRIPTION_MAX_BYTES
    assert len(description) < 5000, "counted in bytes: the é take two"
    assert not set("<>") & set(title + description)


def test_an_empty_title_falls_back_to_the_topic_and_paragraphs_stay() -> None:
    body = build_metadata(_script(title="<<>>", description="One.\n\n\n\nTwo."), _request(), "27")
    assert body["snippet"]["title"] == "Why cats purr"
    assert body["snippet"]["description"] == "One.\n\nTwo."


def test_tags_fit_500_characters_as_youtube_counts_them() -> None:
    assert tags_length(["a b", "cd"]) == 5 + 1 + 2, "quotes around a tag with a space, commas"
    many = [f"tag number {i}" for i in range(60)]  # 12-13 chars + 2 quotes + comma each
    tags = youtube_tags(("Mine",), many, ["short"])
    assert tags[0] == "Mine" and tags_length(tags) <= 500
    assert "short" in tags, "a shorter tag still fits after a longer one did not"
    assert tags_length([*tags, "tag number 59"]) > 500


def test_tags_are_cleaned_and_deduplicated() -> None:
    tags = youtube_tags(["#Cats", "cats", ' "purr, purr" ', "", "<x>", "y" * 101])
    assert tags == ["Cats", "purr purr", "x"]
