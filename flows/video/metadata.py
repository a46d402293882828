"""The `videos.insert` body: the script's title, description and tags cut to YouTube's
rules, and the status a scheduled, AI-made video needs.

YouTube refuses the whole upload over one bad field, after the bytes are sent, so the
rules are applied here, before: a title of at most 100 characters and a description
of at most 5,000 bytes, neither with `<` or `>`; tags of at most 500 characters in
all, as YouTube counts them (a tag with a space counts its quotation marks, and the
commas between tags count); `publishAt` only with privacy `private` (a scheduled
video IS private until then, so a publish time forces it); `containsSyntheticMedia`
true (the voice is synthetic) and `selfDeclaredMadeForKids` false.

The texts come from the LLM: outside input, trimmed and cleaned, never trusted to fit.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from flows.common.errors import ConfigError
from flows.video.request import VideoRequest
from flows.video.script import Script

TITLE_MAX_CHARS = 100
DESCRIPTION_MAX_BYTES = 5000
TAGS_MAX_CHARS = 500
TAG_MAX_CHARS = 100
ELLIPSIS = "\N{HORIZONTAL ELLIPSIS}"

_ANGLES = re.compile(r"[<>]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CATEGORY = re.compile(r"^\d{1,3}$")


class MetadataError(ConfigError):
    """The request cannot become a valid `videos.insert` body (a publish time in the
    past, a category that is no id); the message names the value."""


def _clean(text: str) -> str:
    """No `<`/`>` (YouTube refuses them), no control characters but newlines."""
    return _CONTROL.sub("", _ANGLES.sub("", text.replace("\r\n", "\n")))


def _cut(text: str, fits: Any) -> str:
    """`text` if `fits`, else its longest prefix ending between words (a word cut
    in the middle only if there is no space) plus an ellipsis that fits."""
    if fits(text):
        return text
    low, high = 0, len(text)
    while low < high:  # longest prefix that fits with the ellipsis
        middle = (low + high + 1) // 2
        if fits(text[:middle].rstrip() + ELLIPSIS):
            low = middle
        else:
            high = middle - 1
    head = text[:low]
    space = head.rfind(" ")
    if space > low // 2:
        head = head[:space]
    return head.rstrip(" ,;:-") + ELLIPSIS


def youtube_title(title: str, fallback: str) -> str:
    """At most `TITLE_MAX_CHARS` characters on one line, never empty."""
    text = " ".join(_clean(title).split()) or " ".join(_clean(fallback).split())
    return _cut(text, lambda t: len(t) <= TITLE_MAX_CHARS)


def youtube_description(description: str) -> str:
    """At most `DESCRIPTION_MAX_BYTES` bytes of UTF-8, paragraphs kept."""
    lines = [" ".join(line.split()) for line in _clean(description).split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return _cut(text, lambda t: len(t.encode("utf-8")) <= DESCRIPTION_MAX_BYTES)


def tag_cost(tag: str) -> int:
    """What a tag costs against the 500: its characters, plus 2 for the quotation
    marks YouTube adds around a tag with a space."""
    return len(tag) + (2 if " " in tag else 0)


def tags_length(tags: list[str]) -> int:
    """The 500-character measure of a tag list: the tags and the commas between them."""
    return sum(tag_cost(t) for t in tags) + max(len(tags) - 1, 0)


def youtube_tags(*sources: list[str] | tuple[str, ...]) -> list[str]:
    """Tags from the sources in order (the user's first), cleaned, without duplicates
    (case-insensitive), as many as fit in `TAGS_MAX_CHARS`; one that does not fit is
    skipped and a shorter later one may still go in."""
    chosen: list[str] = []
    seen: set[str] = set()
    total = -1  # no comma before the first tag
    for source in sources:
        for raw in source:
            tag = " ".join(_clean(raw).replace(",", " ").replace('"', "").lstrip("#").split())
            if not tag or len(tag) > TAG_MAX_CHARS or tag.casefold() in seen:
                continue
            cost = tag_cost(tag) + 1
            if total + cost > TAGS_MAX_CHARS:
                continue
            chosen.append(tag)
            seen.add(tag.casefold())
            total += cost
    return chosen


def rfc3339(moment: datetime) -> str:
    """`2030-01-01T10:00:00Z`: UTC, whole seconds, as the API documents `publishAt`."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def build_metadata(
    script: Script,
    request: VideoRequest,
    category_id: str,
    *,
    now: datetime | None = None,
) -> dict:
    """The `videos.insert` body `{"snippet": {...}, "status": {...}}` for `script`.

    `category_id` is the channel's default; the request's own `category_id` wins.
    A `publish_at` makes the video private until then (whatever privacy was asked),
    and one not in the future (`now`, default the current time) is a `MetadataError`.
    """
    category = request.category_id or category_id
    if not _CATEGORY.match(category or ""):
        raise MetadataError(f"category_id {category!r} is not a YouTube category id (digits)")
    status: dict[str, Any] = {
        "privacyStatus": request.privacy,
        "selfDeclaredMadeForKids": False,
        "containsSyntheticMedia": True,
    }
    if request.publish_at is not None:
        current = now or datetime.now(UTC)
        if request.publish_at <= current:
            raise MetadataError(
                f"publish_at {request.publish_at.isoformat()} is not in the future "
                f"(now {rfc3339(current)}): YouTube cannot schedule a video in the past"
            )
        status["privacyStatus"] = "private"
        status["publishAt"] = rfc3339(request.publish_at)
    snippet = {
        "title": youtube_title(script.title, request.topic),
        "description": youtube_description(script.description),
        "tags": youtube_tags(request.tags, script.tags),
        "categoryId": category,
    }
    return {"snippet": snippet, "status": status}
