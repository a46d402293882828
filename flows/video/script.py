"""The script stage: a topic becomes a title, a description, tags, narration and
visual search terms, written by an OpenAI-compatible chat-completions endpoint.

The reply is outside input. Its size is capped before it is read in full, it must be
one JSON object that `Script` accepts (checked by pydantic, never trusted), and its
narration is cleaned for speech here, once, so the voice and the subtitles read the
same sentences. Models get JSON wrong now and then, so an invalid reply is answered
once with what was wrong; a second invalid reply is a `ScriptError` (permanent: the
same prompt would fail the same way). An endpoint that is down, slow or rate limited
is a `TransientError` the task's retries cover; a refused key or an unknown model is
the block's fault, a `ConfigError` naming it. The key is never in a message.
"""

from __future__ import annotations

import json
import re
import time
from typing import Annotated, Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from blocks.video import LlmEndpoint
from flows.common.errors import ConfigError, PermanentError, TransientError
from flows.common.params import problems
from flows.common.urls import shown_url
from flows.video import LLM_BLOCK
from flows.video.request import VideoRequest
from flows.video.speech import clean_for_speech

# A script for a 15-minute video is ~15 kB of JSON; an answer far bigger than that is
# a runaway model or not an answer at all, and is refused unread.
MAX_REPLY_BYTES = 1_000_000
MAX_CONTENT_CHARS = 60_000
# How much of a bad reply is sent back with the correction, and shown in errors.
ECHO_CHARS = 2_000
SHOWN_CHARS = 200
WORDS_PER_SECOND = 2.5  # what the prompt asks for; espeak-ng speaks ~2.75 at 165 wpm
USER_AGENT = "prefect-automations-video (+script)"


class ScriptError(PermanentError):
    """The endpoint answered, but not with a script we can use (twice), or refused the
    request itself (a 400): asking again the same way cannot help."""


def _as_list(value: object) -> object:
    """Models sometimes send a list as one comma-separated string."""
    if isinstance(value, str):
        return [part for part in value.split(",") if part.strip()]
    return value


def _as_paragraphs(value: object) -> object:
    """... and narration as one string with blank lines between paragraphs."""
    if isinstance(value, str):
        return [part for part in re.split(r"\n\s*\n", value) if part.strip()]
    return value


Words = Annotated[str, Field(min_length=1, max_length=100)]
# A paragraph is read by one voice call per sentence; 10,000 characters is minutes.
Paragraph = Annotated[str, Field(max_length=10_000)]


class Script(BaseModel):
    """What the LLM wrote, checked; narration already cleaned for speech.

    The limits are generous (metadata cuts title, description and tags to YouTube's
    rules later); they are here to refuse what no script looks like.
    """

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=300)
    description: str = Field(min_length=1, max_length=10_000)
    tags: Annotated[list[Words], BeforeValidator(_as_list)] = Field(max_length=60)
    narration: Annotated[list[Paragraph], BeforeValidator(_as_paragraphs)] = Field(
        min_length=1, max_length=200, description="Paragraphs, in speaking order."
    )
    search_terms: Annotated[list[Words], BeforeValidator(_as_list)] = Field(max_length=30)


def completions_url(base_url: str) -> str:
    """`<base_url>/chat/completions`, a query (some gateways want one) kept at the end."""
    try:
        parts = urlsplit(base_url)
    except ValueError:
        return base_url  # httpx refuses it, and the error says why
    path = parts.path.rstrip("/") + "/chat/completions"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def _target_words(request: VideoRequest) -> int:
    return max(20, round(request.duration_seconds * WORDS_PER_SECOND))


SYSTEM_PROMPT = """You write scripts for short faceless videos: a synthetic voice reads \
the narration over stock footage, with subtitles.
Answer with ONE JSON object and nothing else, with exactly these keys:
  "title": string, at most 90 characters, no angle brackets,
  "description": string, 2 to 4 sentences for the video description,
  "tags": list of 5 to 12 short strings (single words or short phrases, no '#'),
  "narration": list of paragraphs (strings), the words the voice says,
  "search_terms": list of 3 to 8 short visual keywords for background footage.
The narration is plain spoken English: no Markdown, no emoji, no URLs, no hashtags, \
no stage directions, no speaker labels, full sentences."""


def build_messages(request: VideoRequest) -> list[dict[str, str]]:
    """The chat request for `request`. The topic is on a line of its own (the request
    model collapses whitespace, so it cannot add lines of its own)."""
    shape = "a vertical short" if request.format == "short" else "a landscape video"
    lines = [
        f"Topic: {request.topic}",
        f"Style: {request.style}",
        f"Format: {shape}",
        f"Target length: about {request.duration_seconds} seconds "
        f"(about {_target_words(request)} words of narration)",
    ]
    if request.tags:
        lines.append("Include these tags: " + ", ".join(request.tags))
    if request.series:
        lines.append(f"Series: {request.series}")
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": "\n".join(lines)},
    ]


class _Invalid(Exception):
    """A reply that is not a script; its message says why, for the model and for us."""


def _excerpt(text: str, limit: int = SHOWN_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + "..."


_FENCE = re.compile(r"^\s*```[a-zA-Z0-9_-]*\s*\n?(.*?)\n?\s*```\s*$", re.S)


def parse_script(content: str) -> Script:
    """The script in a reply's text, cleaned; `_Invalid` says what is wrong with it.

    A Markdown code fence around the object is accepted (many models add one), and so
    is prose around a single object; anything else must be the object itself.
    """
    if len(content) > MAX_CONTENT_CHARS:
        raise _Invalid(f"the reply is {len(content)} characters, over {MAX_CONTENT_CHARS}")
    text = content.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1).strip()
    try:
        data = json.loads(text)
    except ValueError:
        start, end = text.find("{"), text.rfind("}")
        try:
            data = json.loads(text[start : end + 1]) if 0 <= start < end else None
        except ValueError:
            data = None
        if data is None:
            raise _Invalid(f"the reply is not a JSON object: {_excerpt(content)!r}") from None
    if not isinstance(data, dict):
        raise _Invalid(f"the reply is JSON but not an object: {_excerpt(content)!r}")
    try:
        script = Script.model_validate(data)
    except ValidationError as exc:
        wrong = problems(exc, "object", most=8)
        raise _Invalid(f"the JSON object does not fit the schema: {wrong}") from None
    narration = [p for p in (clean_for_speech(p) for p in script.narration) if p]
    if not narration:
        raise _Invalid("the narration has no words to speak once Markdown, emoji and URLs go")
    tags = [" ".join(t.lstrip("#").split()) for t in script.tags]
    return script.model_copy(
        update={
            "title": " ".join(script.title.split()),
            "narration": narration,
            "tags": [t for t in tags if t],
            "search_terms": [" ".join(t.split()) for t in script.search_terms],
        }
    )


class _Client:
    """One endpoint's chat calls, with the block's timeout as a deadline per call."""

    def __init__(
        self, endpoint: LlmEndpoint, block_name: str, transport: httpx.BaseTransport | None
    ) -> None:
        self.endpoint = endpoint
        self.block_name = block_name
        self.url = completions_url(endpoint.base_url)
        self.shown = shown_url(self.url)
        self.key = endpoint.api_key.get_secret_value() if endpoint.api_key else ""
        self.transport = transport
        self.finish_reason: object = None  # of the last answer: "length" = cut at max_tokens

    def explain(self, problem: _Invalid) -> str:
        """What was wrong, and why when the model ran out of tokens."""
        if self.finish_reason == "length":
            return (
                f"{problem} (the answer was cut off at the block's max_tokens, "
                f"{self.endpoint.max_tokens})"
            )
        return str(problem)

    def where(self) -> str:
        return f"LLM endpoint block {self.block_name!r} ({self.shown})"

    def redact(self, text: str) -> str:
        """`text` without the key, nor the base URL's password or query, should a
        library or server have echoed them."""
        try:
            parts = urlsplit(self.endpoint.base_url)
            hidden = (self.key, parts.password, parts.query)
        except ValueError:
            hidden = (self.key,)
        for secret in hidden:
            if secret:
                text = text.replace(secret, "***")
        return text

    def complete(self, messages: list[dict[str, str]]) -> str:
        """The assistant message's text; errors classified by what a retry can do."""
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if self.key:
            headers["Authorization"] = f"Bearer {self.key}"
        body = {
            "model": self.endpoint.model,
            "messages": messages,
            "temperature": self.endpoint.temperature,
            "max_tokens": self.endpoint.max_tokens,
            "response_format": {"type": "json_object"},
            "stream": False,
        }
        timeout = self.endpoint.timeout_seconds
        deadline = time.monotonic() + timeout
        try:
            with (
                httpx.Client(timeout=timeout, transport=self.transport) as client,
                client.stream("POST", self.url, json=body, headers=headers) as response,
            ):
                status = response.status_code
                raw = self._read_capped(response, deadline)
        except httpx.TimeoutException:
            raise TransientError(f"{self.where()}: no answer within {timeout:g} s") from None
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            detail = self.redact(str(exc))
            raise ConfigError(f"{self.where()}: base_url is not usable: {detail}") from None
        except httpx.TransportError as exc:
            detail = self.redact(f"{type(exc).__name__}: {exc}")
            raise TransientError(f"{self.where()}: {detail}") from None
        return self._answer(status, raw)

    def _read_capped(self, response: httpx.Response, deadline: float) -> bytes | None:
        """The body, or None when it is over `MAX_REPLY_BYTES` (refused unread). The
        deadline bounds a server that trickles bytes under the per-read timeout."""
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_REPLY_BYTES:
            return None
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > MAX_REPLY_BYTES:
                return None
            if time.monotonic() > deadline:
                raise httpx.ReadTimeout("the answer took longer than the timeout")
            chunks.append(chunk)
        return b"".join(chunks)

    def _answer(self, status: int, raw: bytes | None) -> str:
        if raw is None:
            if status >= 400:
                raise TransientError(f"{self.where()}: HTTP {status} with an oversized body")
            raise _Invalid(f"the answer is over {MAX_REPLY_BYTES} bytes")
        said = self.redact(_error_text(raw))
        if status in (401, 403):
            raise ConfigError(
                f"{self.where()} refused the key (HTTP {status}): check the block's api_key. "
                f"It said: {said}"
            )
        if status == 404:
            raise ConfigError(
                f"{self.where()}: not found (HTTP 404): check the block's base_url and that "
                f"model {self.endpoint.model!r} exists there. It said: {said}"
            )
        if status in (408, 409, 425, 429) or status >= 500:
            raise TransientError(f"{self.where()}: HTTP {status}: {said}")
        if status >= 400:
            raise ScriptError(f"{self.where()} rejected the request (HTTP {status}): {said}")
        try:
            answer = json.loads(raw)
            choice = answer["choices"][0]
            content = choice["message"]["content"]
            self.finish_reason = choice.get("finish_reason")
        except (ValueError, UnicodeDecodeError, KeyError, IndexError, TypeError):
            raise _Invalid(
                f"the answer is not a chat completion: {_excerpt(raw.decode(errors='replace'))!r}"
            ) from None
        if not isinstance(content, str):
            raise _Invalid("the answer's choices[0].message.content is not text")
        return content


def _error_text(body: bytes) -> str:
    """An error body's message (OpenAI's `{"error": {"message": ...}}`) or excerpt."""
    text = body[:4000].decode("utf-8", errors="replace")
    try:
        error: Any = json.loads(text)["error"]
        message = error["message"] if isinstance(error, dict) else error
        if isinstance(message, str):
            return _excerpt(message, 300)
    except (ValueError, KeyError, TypeError):
        pass
    return _excerpt(text, 300) or "(empty body)"


def write_script(
    endpoint: LlmEndpoint,
    request: VideoRequest,
    *,
    block_name: str = LLM_BLOCK,
    transport: httpx.BaseTransport | None = None,
) -> Script:
    """Ask the endpoint for a script about `request`'s topic; one more time, with what
    was wrong, when the first reply is not a usable script.

    `transport` is for tests that need a server misbehaving in ways the sandbox cannot
    (it is httpx's own hook, not a mock of ours).
    """
    client = _Client(endpoint, block_name, transport)
    messages = build_messages(request)
    content = ""
    try:
        content = client.complete(messages)
        return parse_script(content)
    except _Invalid as first:
        problem = client.explain(first)
    retry = [
        *messages,
        {"role": "assistant", "content": content[:ECHO_CHARS]},
        {
            "role": "user",
            "content": f"That answer was not valid: {problem}. Answer again with only the "
            "JSON object, with the keys title, description, tags, narration and search_terms.",
        },
    ]
    try:
        return parse_script(client.complete(retry))
    except _Invalid as second:
        message = (
            f"{client.where()} answered twice without a usable script for topic "
            f"{_excerpt(request.topic, 80)!r}: first {problem}; then {client.explain(second)}"
        )
        raise ScriptError(client.redact(message)) from None
