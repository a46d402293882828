"""What a user asks for, checked before any work: one video job.

A job is identified by a hash of its request, so running the same request again
(a retry from the UI, the same `prefect deployment run` twice, a recurring run
re-run) is the same job: its cached stages are reused and it is uploaded at most
once. Another video on the same topic is another `variant`.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from flows.video import FORMATS

TOPIC_MAX = 300  # a topic is a line, not a brief; the LLM writes the rest
TAGS_MAX = 30


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("needs a timezone, e.g. 2026-12-01T10:00:00+01:00 or ...Z")
    return value


class VideoRequest(BaseModel):
    """The parameters of `create-video/*`, validated: a bad one is named at once."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    topic: str = Field(min_length=3, max_length=TOPIC_MAX)
    publish_at: Annotated[datetime | None, AfterValidator(_aware)] = None
    style: str = Field(default="educational", min_length=1, max_length=40)
    format: Literal["short", "landscape"] = "short"
    duration_seconds: int = Field(default=60, ge=10, le=900, description="Narration target.")
    tags: tuple[str, ...] = Field(default=(), max_length=TAGS_MAX)
    privacy: Literal["private", "unlisted", "public"] = "private"
    category_id: str | None = Field(default=None, pattern=r"^\d{1,3}$")
    voice: str = Field(default="en-us", min_length=2, max_length=40)
    series: str | None = Field(default=None, max_length=100)
    variant: str = Field(default="", max_length=40)

    @field_validator("topic", "style", mode="before")
    @classmethod
    def _stripped(cls, value: object) -> object:
        return " ".join(value.split()) if isinstance(value, str) else value

    @field_validator("tags", mode="before")
    @classmethod
    def _clean_tags(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.split(",")
        if isinstance(value, list | tuple):
            return tuple(t.strip() for t in value if isinstance(t, str) and t.strip())
        return value

    @property
    def size(self) -> tuple[int, int]:
        return FORMATS[self.format]

    def job_key(self) -> str:
        """sha256 of the canonical request: the job's identity across runs and hosts."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()
