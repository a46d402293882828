"""YouTube's answers sorted by what the caller must do, and the service built from the block."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from flows.common.errors import ConfigError, PermanentError, TransientError
from flows.video.quota import QuotaExhausted, next_reset
from flows.video.youtube import YouTubeError, classify_response


def google(code: int, reason: str, message: str = "") -> bytes:
    """An error body in Google's format."""
    return json.dumps(
        {
            "error": {
                "code": code,
                "message": message or reason,
                "errors": [{"message": message or reason, "domain": "youtube", "reason": reason}],
            }
        }
    ).encode()


def test_quota_refusals_are_quota_exhausted_with_the_next_pacific_midnight() -> None:
    before = next_reset()
    err = classify_response(
        403, google(403, "quotaExceeded"), block_name="my-channel", what="videos.list"
    )
    assert isinstance(err, QuotaExhausted) and isinstance(err, PermanentError)
    assert err.bucket == "units" and err.channel == "my-channel"
    assert err.reset_at in (before, next_reset())  # the same midnight, unless it just passed
    assert err.reset_at > datetime.now(UTC)
    assert "'my-channel'" in str(err) and "quotaExceeded" in str(err)

    upload = classify_response(
        400, google(400, "uploadLimitExceeded"), block_name="my-channel", what="videos.insert"
    )
    assert isinstance(upload, QuotaExhausted) and upload.bucket == "uploads"


def test_server_failures_and_rate_limits_are_transient_other_refusals_permanent() -> None:
    assert isinstance(classify_response(503, b"busy", block_name="c", what="x"), TransientError)
    assert isinstance(classify_response(429, b"", block_name="c", what="x"), TransientError)
    assert isinstance(
        classify_response(403, google(403, "rateLimitExceeded"), block_name="c", what="x"),
        TransientError,
    )
    refused = classify_response(
        400, google(400, "invalidTitle", "The title is too long"), block_name="c", what="insert"
    )
    assert isinstance(refused, YouTubeError) and not isinstance(refused, TransientError)
    assert "The title is too long" in str(refused) and refused.reasons == {"invalidTitle"}
    unauthorized = classify_response(401, google(401, "authError"), block_name="chan", what="x")
    assert isinstance(unauthorized, ConfigError) and "'chan'" in str(unauthorized)


def test_an_answer_that_is_not_googles_json_is_still_classified() -> None:
    err = classify_response(502, b"<html>Bad gateway</html>", block_name="c", what="videos.list")
    assert isinstance(err, TransientError) and "HTTP 502" in str(err)
    with pytest.raises(YouTubeError):
        raise classify_response(404, b"not json", block_name="c", what="videos.list")
