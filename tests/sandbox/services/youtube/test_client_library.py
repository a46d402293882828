"""The fake YouTube as google-api-python-client 2.x itself talks to it, unchanged: static
discovery, ``client_options={"api_endpoint": ...}``, httplib2 over HTTPS trusting the
sandbox's CA, google-auth refreshing the token, ``MediaFileUpload(resumable=True)`` driven
by ``next_chunk()`` (whose status query after an error is the resume)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import google.oauth2.credentials
import google_auth_httplib2
import httplib2
import pytest
from google.auth.exceptions import RefreshError
from googleapiclient.discovery import Resource, build
from googleapiclient.errors import HttpError
from googleapiclient.http import HttpRequest, MediaFileUpload

from infra.sandbox.core.client import Sandbox
from infra.sandbox.services.youtube.state import CHUNK_QUANTUM

Q = CHUNK_QUANTUM
BODY = {
    "snippet": {"title": "Faceless", "description": "About owls", "categoryId": "27"},
    "status": {
        "privacyStatus": "private",
        "publishAt": "2099-01-01T09:00:00Z",
        "selfDeclaredMadeForKids": False,
        "containsSyntheticMedia": True,
    },
}


def youtube(env: dict[str, str]) -> Resource:
    """The product's way: the seed env as the YouTube block holds it."""
    credentials = google.oauth2.credentials.Credentials(
        None,
        refresh_token=env["YOUTUBE_REFRESH_TOKEN"],
        client_id=env["YOUTUBE_CLIENT_ID"],
        client_secret=env["YOUTUBE_CLIENT_SECRET"],
        token_uri=env["YOUTUBE_TOKEN_URI"],
    )
    http = httplib2.Http(ca_certs=env["YOUTUBE_CA_BUNDLE"], timeout=10)
    # What googleapiclient.http.build_http() does: 308 means "resume incomplete" here.
    http.redirect_codes = http.redirect_codes - {308}
    return build(
        "youtube",
        "v3",
        http=google_auth_httplib2.AuthorizedHttp(credentials, http=http),
        static_discovery=True,
        client_options={"api_endpoint": env["YOUTUBE_API_ENDPOINT"]},
    )


@pytest.fixture
def env(sb: Sandbox) -> dict[str, str]:
    return sb.seed("demo")["env"]


@pytest.fixture
def video(tmp_path: Path) -> tuple[Path, bytes]:
    data = os.urandom(2 * Q + 1000)
    path = tmp_path / "video.mp4"
    path.write_bytes(data)
    return path, data


def insert(env: dict[str, str], path: Path) -> HttpRequest:
    media = MediaFileUpload(str(path), mimetype="video/mp4", chunksize=Q, resumable=True)
    return youtube(env).videos().insert(part="snippet,status", body=BODY, media_body=media)


def drive(request: HttpRequest) -> tuple[list[int], dict[str, Any]]:
    """``next_chunk()`` until the video comes back; the progress it reported."""
    progress: list[int] = []
    while True:
        status, response = request.next_chunk()
        if response is not None:
            return progress, response
        progress.append(status.resumable_progress)


def test_upload_thumbnail_and_statistics_with_the_real_client(
    sb: Sandbox, env: dict[str, str], video: tuple[Path, bytes], tmp_path: Path
) -> None:
    path, data = video
    request = insert(env, path)
    assert request.uri.startswith(f"{sb.secure_url}/upload/youtube/v3/videos?")
    progress, uploaded = drive(request)
    assert progress == [Q, 2 * Q]
    assert uploaded["snippet"]["title"] == "Faceless"
    assert uploaded["status"]["publishAt"] == "2099-01-01T09:00:00Z"
    assert sb.youtube.content(uploaded["id"]) == data

    thumbnail = tmp_path / "thumb.jpg"
    thumbnail.write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(2000))
    client = youtube(env)
    media = MediaFileUpload(str(thumbnail), mimetype="image/jpeg")
    answer = client.thumbnails().set(videoId=uploaded["id"], media_body=media).execute()
    assert answer["items"][0]["high"]["width"] == 480

    sb.youtube.set_statistics(uploaded["id"], views=42, likes=3)
    listed = client.videos().list(part="statistics", id=uploaded["id"]).execute()
    assert listed["items"][0]["statistics"]["viewCount"] == "42"
    calls = sb.youtube.calls()
    assert calls["videos.insert"] == 1 and calls["upload.chunk"] == 3
    assert calls["thumbnails.set"] == 1 and calls["videos.list"] == 1
    quota = sb.youtube.quota()
    assert quota["units_remaining"] == 10_000 - 50 - 1 and quota["uploads_remaining"] == 99
    assert quota["costs"] == {"videos.list": 1, "thumbnails.set": 50, "videos.insert": 0}


def test_a_connection_dropped_mid_chunk_then_the_resume_sends_only_the_rest(
    sb: Sandbox, env: dict[str, str], video: tuple[Path, bytes]
) -> None:
    path, data = video
    request = insert(env, path)
    sb.youtube.drop_next_chunk(after_bytes=100_000)
    # The reset reaches the client as "remote disconnected" when the chunk was all
    # written, or as an SSL EOF while it is still writing (a busy machine): both OSError.
    with pytest.raises(OSError):
        request.next_chunk()
    progress, uploaded = drive(request)  # its first call is the status query
    assert progress == [100_000 + Q]  # the status query, then the chunk from byte 100000
    assert sb.youtube.content(uploaded["id"]) == data
    [session] = sb.youtube.sessions()
    assert session["bytes_sent"] == len(data), "no byte sent twice"
    assert sb.youtube.calls()["upload.status"] == 1


def test_a_5xx_on_a_chunk_then_the_resume(
    sb: Sandbox, env: dict[str, str], video: tuple[Path, bytes]
) -> None:
    path, data = video
    request = insert(env, path)
    assert request.next_chunk()[0].resumable_progress == Q
    sb.youtube.fail_next_chunk(503)
    with pytest.raises(HttpError) as caught:
        request.next_chunk()
    assert caught.value.status_code == 503
    assert caught.value.error_details[0]["reason"] == "backendError"
    _, uploaded = drive(request)
    assert sb.youtube.content(uploaded["id"]) == data
    assert len(sb.youtube.videos()) == 1


def test_quota_errors_carry_youtubes_reasons(
    sb: Sandbox, env: dict[str, str], video: tuple[Path, bytes]
) -> None:
    sb.youtube.set_quota(uploads_remaining=0, units_remaining=0)
    with pytest.raises(HttpError) as upload:
        insert(env, video[0]).next_chunk()
    assert upload.value.status_code == 400
    assert upload.value.error_details[0]["reason"] == "uploadLimitExceeded"
    with pytest.raises(HttpError) as units:
        youtube(env).videos().list(part="statistics", id="x").execute()
    assert units.value.status_code == 403
    assert units.value.error_details[0]["reason"] == "quotaExceeded"


def test_the_quota_is_whole_again_after_midnight_pacific(sb: Sandbox, env: dict[str, str]) -> None:
    sb.youtube.set_clock("2026-03-07T07:59:00Z")  # 23:59 in Los Angeles (PST)
    sb.youtube.set_quota(units_remaining=0, uploads_remaining=0, daily_units=500)
    quota = sb.youtube.quota()
    assert quota["quota_day"] == "2026-03-06"
    assert quota["next_reset"] == "2026-03-07T08:00:00+00:00"
    client = youtube(env)
    with pytest.raises(HttpError, match="quota"):
        client.videos().list(part="statistics", id="x").execute()
    sb.youtube.set_clock(quota["next_reset"])
    client.videos().list(part="statistics", id="x").execute()  # the same call, a new day
    quota = sb.youtube.quota()
    assert quota["units_remaining"] == 499 and quota["uploads_remaining"] == 100
    assert quota["next_reset"] == "2026-03-08T08:00:00+00:00"


def test_tokens_expired_are_refreshed_and_revoked_fail_once(
    sb: Sandbox, env: dict[str, str]
) -> None:
    client = youtube(env)
    client.videos().list(part="statistics", id="x").execute()
    sb.youtube.expire_access_tokens()
    client.videos().list(part="statistics", id="x").execute()  # google-auth refreshes
    assert sb.youtube.calls()["oauth.token"] == 2
    sb.youtube.revoke(env["YOUTUBE_REFRESH_TOKEN"])
    with pytest.raises(RefreshError, match="invalid_grant"):
        client.videos().list(part="statistics", id="x").execute()
    assert sb.youtube.calls()["oauth.token"] == 3, "no retry storm on a revoked token"


def test_a_resumable_thumbnail_and_an_injected_fault_in_youtubes_format(
    sb: Sandbox, env: dict[str, str], tmp_path: Path
) -> None:
    small = tmp_path / "small.mp4"
    small.write_bytes(os.urandom(5000))
    _, uploaded = drive(insert(env, small))
    thumbnail = tmp_path / "thumb.png"
    thumbnail.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(3000))
    media = MediaFileUpload(str(thumbnail), mimetype="image/png", resumable=True)
    request = youtube(env).thumbnails().set(videoId=uploaded["id"], media_body=media)
    _, answer = drive(request)
    assert answer["kind"] == "youtube#thumbnailSetResponse"
    assert sb.youtube.videos()[0]["thumbnail_size"] == 3008

    sb.add_fault("/youtube/v3/videos$", method="GET", status=403, times=1)
    with pytest.raises(HttpError) as caught:
        youtube(env).videos().list(part="statistics", id=uploaded["id"]).execute()
    assert caught.value.error_details[0]["reason"] == "quotaExceeded"
