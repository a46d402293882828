"""YouTube's answers sorted by what the caller must do, and the service built from the block."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import certifi
import pytest

from flows.common.errors import ConfigError, PermanentError, TransientError
from flows.video.quota import QuotaExhausted, next_reset
from flows.video.youtube import YouTubeError, classify_response, execute, youtube_service
from infra.sandbox.core.client import Sandbox
from tests.video.yt_helpers import channel_block


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


# --- against the sandbox's YouTube over HTTPS -----------------------------------------------


def test_the_service_speaks_https_to_the_blocks_endpoint_trusting_its_ca_bundle(
    sb: Sandbox,
) -> None:
    service = youtube_service(channel_block(sb), block_name="my-channel")
    answer = execute(service.videos().list(part="statistics", id="nope"), what="videos.list")
    assert answer["items"] == []
    assert sb.youtube.calls() == {"oauth.token": 1, "videos.list": 1}


def test_a_revoked_refresh_token_is_one_refused_refresh_and_a_config_error(sb: Sandbox) -> None:
    block = channel_block(sb)
    sb.youtube.revoke()
    service = youtube_service(block, block_name="my-channel")

    with pytest.raises(ConfigError) as refused:
        execute(
            service.videos().list(part="statistics", id="x"),
            block_name="my-channel",
            what="videos.list",
        )

    assert "'my-channel'" in str(refused.value) and "invalid_grant" in str(refused.value)
    assert block.refresh_token.get_secret_value() not in str(refused.value)
    assert block.client_secret.get_secret_value() not in str(refused.value)
    assert sb.youtube.calls() == {"oauth.token": 1}  # no retry storm, nothing else asked


def test_a_ca_bundle_that_does_not_verify_the_server_is_a_config_error(
    sb: Sandbox, tmp_path: Path
) -> None:
    other = tmp_path / "other-ca.pem"
    other.write_text(Path(certifi.where()).read_text())  # public CAs only: not the sandbox's
    service = youtube_service(channel_block(sb, ca_bundle=str(other)), block_name="my-channel")

    with pytest.raises(ConfigError, match=r"'my-channel'.*ca_bundle"):
        execute(
            service.videos().list(part="statistics", id="x"),
            what="videos.list",
            block_name="my-channel",
        )


def test_a_server_failure_is_transient_and_asked_once(sb: Sandbox) -> None:
    service = youtube_service(channel_block(sb))
    execute(service.videos().list(part="statistics", id="x"), what="videos.list")
    sb.add_fault(r"/youtube/v3/videos$", method="GET", status=503, times=1)

    with pytest.raises(TransientError, match="503"):
        execute(service.videos().list(part="statistics", id="x"), what="videos.list")

    # Asked once (the fault answered it before the service counted it): no num_retries.
    assert [f["hits"] for f in sb.faults()] == [1]
    assert sb.youtube.calls()["videos.list"] == 1
