"""The fake LLM's writing: a video script built from the prompt alone, so the same
request always gets the same reply and a test can predict it.

The product's prompt carries ``Topic: ...`` and ``Target length: about N seconds`` lines
(``flows.video.script``); a prompt without them still gets a script, about its last
user message. The narration is written the way real models write it, with a bold word,
an emoji, a link and a stage direction, so the product's cleaning for speech is
exercised by every run.
"""

from __future__ import annotations

import json
import re
from typing import Any

from infra.sandbox.services.llm.state import RUNAWAY_BYTES

WORDS_PER_SECOND = 2.6  # espeak-ng at 165 words a minute, a little under
TOPIC_LINE = re.compile(r"^\s*topic:\s*(.+?)\s*$", re.I | re.M)
LENGTH_LINE = re.compile(r"target length:\s*about\s+(\d{1,4})\s*seconds", re.I)
_WORD = re.compile(r"[A-Za-z0-9']+")
_STOP = {"a", "an", "and", "the", "of", "for", "to", "in", "on", "with", "how", "what", "why"}

# Sentences a narration is made of, in order; {topic} is filled in.
_SENTENCES = [
    "Here is **{topic}** in a few short steps \N{ROCKET}.",
    "[Upbeat music] First, keep the idea simple and easy to follow.",
    "Second, learn more at https://example.com/{slug} and try it yourself.",
    "Third, practise a little every day, because small habits add up.",
    "Most people skip this part, so doing it puts you ahead.",
    "Keep notes on what worked and what did not.",
    "Share what you learn with a friend, it helps you remember.",
    "Come back to the basics whenever you feel stuck.",
]
_CLOSING = "That was {topic}, thanks for watching."


def topic_of(messages: list[dict[str, Any]]) -> str:
    """The ``Topic:`` line of the first user message (the request; later ones ask again);
    else that message's first words."""
    users = [m for m in messages if m.get("role") == "user" and isinstance(m.get("content"), str)]
    text = users[0]["content"] if users else ""
    found = TOPIC_LINE.search(text)
    if found:
        return found.group(1)[:300]
    return " ".join(text.split()[:8]) or "something interesting"


def seconds_of(messages: list[dict[str, Any]]) -> int:
    text = " ".join(str(m.get("content", "")) for m in messages if m.get("role") == "user")
    found = LENGTH_LINE.search(text)
    return int(found.group(1)) if found else 30


def script(messages: list[dict[str, Any]], sentences: int | None = None) -> dict[str, Any]:
    """The reply's JSON object: ``sentences`` narration sentences (by default as many
    as the target length holds, at least two), two paragraphs."""
    topic = topic_of(messages)
    words = [w.lower() for w in _WORD.findall(topic)]
    keywords = [w for w in words if w not in _STOP][:5] or ["video"]
    slug = "-".join(keywords)
    if sentences is None:
        sentences = round(seconds_of(messages) * WORDS_PER_SECOND / 11)
    sentences = max(2, min(sentences, 40))
    body = [
        _SENTENCES[i % len(_SENTENCES)].format(topic=topic, slug=slug) for i in range(sentences - 1)
    ]
    body.append(_CLOSING.format(topic=topic))
    half = (len(body) + 1) // 2
    return {
        "title": f"{topic[:1].upper()}{topic[1:]}: the short version",
        "description": f"A quick guide to {topic}.\n\nMade with a script and a synthetic voice.",
        "tags": [*keywords, "tips", "how to"],
        "narration": [" ".join(body[:half]), " ".join(body[half:])],
        "search_terms": [*keywords, "abstract background"],
    }


def reply_content(kind: str, messages: list[dict[str, Any]], sentences: int | None) -> str:
    """The assistant message's text: the script as JSON, or one of the invalid kinds."""
    made = script(messages, sentences)
    if kind == "not_json":
        return f"Sure! Here is a script about {topic_of(messages)}:\n\n{made['narration'][0]}"
    if kind == "schema":
        return json.dumps({"title": made["title"], "narration": "", "tags": "x" * 3})
    if kind == "fenced":
        return "```json\n" + json.dumps(made, indent=2) + "\n```"
    if kind == "truncated":
        whole = json.dumps(made, ensure_ascii=False)
        return whole[: len(whole) // 2]
    if kind == "runaway":
        return json.dumps(made, ensure_ascii=False) + " " * RUNAWAY_BYTES
    return json.dumps(made, ensure_ascii=False)
