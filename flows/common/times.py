"""Instants as the workflows store and compare them: timezone-aware, in UTC."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands timestamps back naive; everything the app writes is UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def parse_instant(value: str | None) -> datetime:
    """ISO 8601 with `Z` or an offset, as APIs and pages write it; naive means UTC.

    Raises ValueError naming the text, so a caller can say which field held it.
    """
    text = (value or "").strip()
    if not text:
        raise ValueError("empty time")
    if text[-1] in "Zz":
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not an ISO 8601 time: {value!r}") from None
    return as_utc(moment)
