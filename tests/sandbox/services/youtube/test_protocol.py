"""The fake YouTube's wire protocol, spoken by hand with httpx over HTTPS: the OAuth token
endpoint, resumable uploads byte by byte (308 + Range, the status query, overlapping
resends, refused gaps), quota and metadata errors in YouTube's format."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from infra.sandbox.core.client import Sandbox, ssl_context
from infra.sandbox.services.youtube.state import CHUNK_QUANTUM

Q = CHUNK_QUANTUM
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 500
METADATA = {
    "snippet": {"title": "A title", "description": "Words", "tags": ["a b", "c"]},
    "status": {"privacyStatus": "private", "containsSyntheticMedia": True},
}


@pytest.fixture
def http(sb: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(verify=ssl_context(sb.ca_bundle), timeout=10) as client:
        yield client


def _token(sb: Sandbox, http: httpx.Client) -> str:
    channel = sb.youtube.add_channel()
    form = {"grant_type": "refresh_token", **channel}
    answer = http.post(sb.youtube.token_uri, data=form)
    assert answer.status_code == 200, answer.text
    assert answer.json()["token_type"] == "Bearer" and answer.json()["expires_in"] > 3000
    return answer.json()["access_token"]


def _upload_url(sb: Sandbox) -> str:
    # Where google-api-python-client sends it: the endpoint's host, Google's path.
    return f"{sb.secure_url}/upload/youtube/v3/videos"


def _start(
    sb: Sandbox, http: httpx.Client, size: int, metadata: dict[str, Any] | None = None
) -> str:
    token = _token(sb, http)
    answer = http.post(
        _upload_url(sb),
        params={"uploadType": "resumable", "part": "snippet,status"},
        json=metadata or METADATA,
        headers={
            "Authorization": f"Bearer {token}",
            "X-Upload-Content-Type": "video/mp4",
            "X-Upload-Content-Length": str(size),
        },
    )
    assert answer.status_code == 200, answer.text
    return answer.headers["location"]


def _put(http: httpx.Client, session: str, data: bytes, start: int, total: int) -> httpx.Response:
    end = start + len(data) - 1
    headers = {"Content-Range": f"bytes {start}-{end}/{total}"}
    return http.put(session, content=data, headers=headers)


def _status(http: httpx.Client, session: str, total: int) -> httpx.Response:
    return http.put(session, headers={"Content-Range": f"bytes */{total}", "Content-Length": "0"})


def _reason(answer: httpx.Response) -> str:
    return answer.json()["error"]["errors"][0]["reason"]


def test_a_refresh_token_buys_an_access_token_until_it_is_revoked(
    sb: Sandbox, http: httpx.Client
) -> None:
    _token(sb, http)
    form = {"grant_type": "refresh_token", **sb.youtube.add_channel()}
    wrong_secret = http.post(sb.youtube.token_uri, data={**form, "client_secret": "nope"})
    assert wrong_secret.status_code == 401 and wrong_secret.json()["error"] == "invalid_client"
    assert sb.youtube.revoke("test-refresh-token") == ["test-refresh-token"]
    revoked = http.post(sb.youtube.token_uri, data=form)
    assert revoked.status_code == 400
    assert revoked.json() == {
        "error": "invalid_grant",
        "error_description": "Token has been expired or revoked.",
    }
    assert sb.youtube.calls()["oauth.token"] == 3


def test_every_api_call_needs_a_live_bearer_token(sb: Sandbox, http: httpx.Client) -> None:
    videos = f"{sb.youtube.api_endpoint}/youtube/v3/videos"
    missing = http.get(videos, params={"part": "statistics", "id": "x"})
    assert missing.status_code == 401 and _reason(missing) == "authError"
    assert missing.headers["www-authenticate"].startswith("Bearer")
    token = _token(sb, http)
    auth = {"Authorization": f"Bearer {token}"}
    assert http.get(videos, params={"part": "statistics", "id": "x"}, headers=auth).is_success
    sb.youtube.expire_access_tokens()
    assert http.get(videos, params={"part": "id", "id": "x"}, headers=auth).status_code == 401
    sb.youtube.revoke()
    assert sb.youtube.add_channel()  # accepting it again un-revokes it
    assert _token(sb, http)


def test_a_resumable_upload_chunk_by_chunk(sb: Sandbox, http: httpx.Client) -> None:
    data = os.urandom(2 * Q + 1000)
    session = _start(sb, http, len(data))
    assert session.startswith(f"{sb.secure_url}/upload/youtube/v3/videos?")
    assert "upload_id=" in session and "uploadType=resumable" in session

    nothing = _status(http, session, len(data))
    assert nothing.status_code == 308 and "range" not in nothing.headers  # no byte yet

    first = _put(http, session, data[:Q], 0, len(data))
    assert first.status_code == 308 and first.headers["range"] == f"bytes=0-{Q - 1}"
    assert _status(http, session, len(data)).headers["range"] == f"bytes=0-{Q - 1}"

    second = _put(http, session, data[Q : 2 * Q], Q, len(data))
    assert second.headers["range"] == f"bytes=0-{2 * Q - 1}"
    last = _put(http, session, data[2 * Q :], 2 * Q, len(data))
    assert last.status_code == 200
    video = last.json()
    assert video["kind"] == "youtube#video" and len(video["id"]) == 11
    assert set(video) == {"kind", "etag", "id", "snippet", "status"}  # the parts asked for
    assert video["snippet"]["title"] == "A title" and video["snippet"]["tags"] == ["a b", "c"]
    assert video["status"]["uploadStatus"] == "uploaded"
    assert video["status"]["privacyStatus"] == "private"
    assert video["status"]["containsSyntheticMedia"] is True

    again = _status(http, session, len(data))  # a client that lost the answer asks again
    assert again.status_code == 200 and again.json()["id"] == video["id"]
    assert sb.youtube.content(video["id"]) == data
    [stored] = sb.youtube.videos()
    assert stored["size"] == len(data) and stored["upload_id"] in session
    assert sb.youtube.calls() == {
        "oauth.token": 1,
        "videos.insert": 1,
        "upload.chunk": 3,
        "upload.status": 3,
    }
    assert sb.youtube.quota()["uploads_remaining"] == 99


def test_chunks_must_follow_what_the_server_holds(sb: Sandbox, http: httpx.Client) -> None:
    data = os.urandom(2 * Q)
    session = _start(sb, http, len(data))
    gap = _put(http, session, data[Q:], Q, len(data))
    assert gap.status_code == 400 and "query the upload status" in gap.text
    odd = _put(http, session, data[:1000], 0, len(data))
    assert odd.status_code == 400 and "multiple of 262144" in odd.text
    lying = http.put(
        session, content=data[:Q], headers={"Content-Range": f"bytes 0-{Q}/{len(data)}"}
    )
    assert lying.status_code == 400
    assert _put(http, session, data[:Q], 0, len(data)).status_code == 308
    resend = _put(http, session, data[:Q], 0, len(data))  # the same bytes again: harmless
    assert resend.status_code == 308 and resend.headers["range"] == f"bytes=0-{Q - 1}"
    different = _put(http, session, os.urandom(Q), 0, len(data))
    assert different.status_code == 400
    assert _put(http, session, data[Q:], Q, len(data)).status_code == 200
    [info] = sb.youtube.sessions()
    assert info["done"] and info["received"] == len(data) and info["bytes_sent"] == 4 * Q
    unknown = http.put(session.replace("upload_id=", "upload_id=x"), content=b"")
    assert unknown.status_code == 404


def test_a_failed_chunk_keeps_nothing_and_a_dropped_one_keeps_its_first_bytes(
    sb: Sandbox, http: httpx.Client
) -> None:
    data = os.urandom(2 * Q)
    session = _start(sb, http, len(data))
    sb.youtube.fail_next_chunk(503)
    failed = _put(http, session, data[:Q], 0, len(data))
    assert failed.status_code == 503 and _reason(failed) == "backendError"
    assert "range" not in _status(http, session, len(data)).headers

    sb.youtube.drop_next_chunk(after_bytes=100_000)
    with pytest.raises(httpx.TransportError):
        _put(http, session, data[:Q], 0, len(data))
    with pytest.raises(httpx.TransportError):  # a resend before asking: dropped too
        _put(http, session, data[:Q], 0, len(data))
    held = _status(http, session, len(data))
    assert held.status_code == 308 and held.headers["range"] == "bytes=0-99999"
    rest = _put(http, session, data[100_000:], 100_000, len(data))
    assert rest.status_code == 200
    assert sb.youtube.content(rest.json()["id"]) == data
    aborted = [r for r in sb.requests(path="upload") if r["aborted"]]
    assert len(aborted) == 2


def test_quota_and_the_upload_bucket_answer_youtubes_errors(
    sb: Sandbox, http: httpx.Client
) -> None:
    sb.youtube.set_quota(uploads_remaining=0)
    token = _token(sb, http)
    auth = {"Authorization": f"Bearer {token}"}
    insert = http.post(
        _upload_url(sb),
        params={"uploadType": "resumable", "part": "snippet"},
        json=METADATA,
        headers=auth,
    )
    assert insert.status_code == 400 and _reason(insert) == "uploadLimitExceeded"
    assert insert.json()["error"]["errors"][0]["domain"] == "youtube.video"

    sb.youtube.set_quota(units_remaining=1)
    videos = f"{sb.youtube.api_endpoint}/youtube/v3/videos"
    assert http.get(videos, params={"part": "statistics", "id": "a"}, headers=auth).is_success
    spent = http.get(videos, params={"part": "statistics", "id": "a"}, headers=auth)
    assert spent.status_code == 403 and _reason(spent) == "quotaExceeded"
    assert spent.json()["error"]["errors"][0]["domain"] == "youtube.quota"
    assert sb.youtube.quota()["units_remaining"] == 0
    too_many = http.get(
        videos, params={"part": "statistics", "id": ",".join("x" * 51)}, headers=auth
    )
    assert too_many.status_code == 400


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"snippet": {"title": ""}}, "invalidTitle"),
        ({"snippet": {"title": "x" * 101}}, "invalidTitle"),
        ({"snippet": {"title": "a <b>"}}, "invalidTitle"),
        ({"snippet": {"title": "t", "description": "d" * 5001}}, "invalidDescription"),
        ({"snippet": {"title": "t", "tags": ["a b"] * 100}}, "invalidTags"),
        (
            {"status": {"privacyStatus": "public", "publishAt": "2099-01-01T00:00:00Z"}},
            "invalidPublishAt",
        ),
        (
            {"status": {"privacyStatus": "private", "publishAt": "2001-01-01T00:00:00Z"}},
            "invalidPublishAt",
        ),
    ],
)
def test_metadata_youtube_refuses(
    sb: Sandbox, http: httpx.Client, change: dict[str, Any], reason: str
) -> None:
    token = _token(sb, http)
    metadata = {**METADATA, **change}
    answer = http.post(
        _upload_url(sb),
        params={"uploadType": "resumable", "part": "snippet,status"},
        json=metadata,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 400 and _reason(answer) == reason
    assert sb.youtube.quota()["uploads_remaining"] == 100, "a refused insert costs nothing"


def test_thumbnail_and_statistics(sb: Sandbox, http: httpx.Client) -> None:
    data = os.urandom(1000)
    session = _start(sb, http, len(data))
    video_id = _put(http, session, data, 0, len(data)).json()["id"]
    auth = {"Authorization": f"Bearer {_token(sb, http)}"}
    thumbnails = f"{sb.secure_url}/upload/youtube/v3/thumbnails/set"
    params = {"videoId": video_id, "uploadType": "media"}
    done = http.post(thumbnails, params=params, content=JPEG, headers=auth)
    assert done.status_code == 200 and done.json()["kind"] == "youtube#thumbnailSetResponse"
    assert sb.youtube.videos()[0]["thumbnail_size"] == len(JPEG)
    not_image = http.post(thumbnails, params=params, content=b"GIF89a", headers=auth)
    assert _reason(not_image) == "invalidImage"
    elsewhere = {**params, "videoId": "nope"}
    missing = http.post(thumbnails, params=elsewhere, content=JPEG, headers=auth)
    assert missing.status_code == 404 and _reason(missing) == "videoNotFound"
    assert sb.youtube.quota()["units_remaining"] == 10_000 - 3 * 50

    sb.youtube.set_statistics(video_id, views=1234, likes=56, comments=7)
    listed = http.get(
        f"{sb.youtube.api_endpoint}/youtube/v3/videos",
        params={"part": "statistics", "id": f"{video_id},unknown"},
        headers=auth,
    ).json()
    assert listed["kind"] == "youtube#videoListResponse"
    assert [item["id"] for item in listed["items"]] == [video_id]
    assert listed["items"][0]["statistics"] == {
        "viewCount": "1234",
        "likeCount": "56",
        "favoriteCount": "0",
        "commentCount": "7",
    }
