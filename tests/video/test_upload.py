"""The one upload of a job, against the sandbox's YouTube over HTTPS with the real
google-api-python-client: resumed from the server's offset after a dropped connection, a
5xx, a 401 or a killed process; never started twice; quota and a revoked token."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine

from flows.common.errors import ConfigError, TransientError
from flows.video import quota
from flows.video.quota import UNITS, UPLOADS, QuotaExhausted
from flows.video.upload import UploadError, UploadInterrupted, set_thumbnail, upload_video
from flows.video.youtube import youtube_service
from infra.sandbox.core.client import Sandbox
from tests.video.yt_helpers import (
    BODY,
    CHUNK,
    channel_block,
    is_next_reset,
    new_job,
    sha256,
    upload_row,
    video_file,
)

REPO = Path(__file__).resolve().parents[2]
CHANNEL = "youtube-channel"
UPLOAD_PATH = r"/upload/youtube/v3/videos$"  # searched in the path


@pytest.fixture
def db(local_app_db) -> Engine:
    """SQLite only: these tests are about the protocol; the SQL runs on both databases in
    the tests that take `app_db`."""
    return local_app_db.engine


def upload(engine: Engine, service, job: str, video: Path, **kwargs) -> str:
    kwargs.setdefault("backoff_seconds", 0)
    return upload_video(engine, service, CHANNEL, job, video, BODY, chunk_bytes=CHUNK, **kwargs)


def the_session(sb: Sandbox) -> dict:
    (session,) = [s for s in sb.youtube.sessions() if s["kind"] == "video"]
    return session


def test_a_video_is_uploaded_in_chunks_once_and_a_rerun_makes_no_call(
    sb: Sandbox, app_db: Engine, tmp_path: Path
) -> None:
    service = youtube_service(channel_block(sb))
    job = new_job(app_db, "a" * 64)
    video = video_file(tmp_path)

    video_id = upload(app_db, service, job, video)

    assert sb.youtube.content(video_id) == video.read_bytes()
    (uploaded,) = sb.youtube.videos()
    assert uploaded["snippet"]["title"] == BODY["snippet"]["title"]
    assert the_session(sb)["chunks"] == 4 and the_session(sb)["bytes_sent"] == video.stat().st_size
    row = upload_row(app_db, job)
    assert row.video_id == video_id and row.bytes_confirmed == video.stat().st_size
    assert row.session_uri and row.file_sha256 == sha256(video) and row.completed_at
    calls = sb.youtube.calls()
    assert calls["videos.insert"] == 1 and calls["oauth.token"] == 1

    # The stage runs again (a retry, a re-run of the flow): the stored id, no call at all.
    again = youtube_service(channel_block(sb))
    assert upload(app_db, again, job, video) == video_id
    assert sb.youtube.calls() == calls
    with app_db.connect() as conn:
        assert quota.used(conn, CHANNEL, UPLOADS) == 1


def test_a_connection_dropped_in_the_middle_of_a_chunk_resumes_and_sends_only_the_rest(
    sb: Sandbox, db: Engine, tmp_path: Path
) -> None:
    service = youtube_service(channel_block(sb))
    job = new_job(db, "b" * 64)
    video = video_file(tmp_path)
    sb.youtube.drop_next_chunk(after_bytes=100_000)  # mid-way through the first chunk

    video_id = upload(db, service, job, video)

    assert sb.youtube.content(video_id) == video.read_bytes()
    # The server kept the dropped chunk's first 100,000 bytes; every other byte went once.
    assert the_session(sb)["bytes_sent"] == video.stat().st_size
    calls = sb.youtube.calls()
    assert calls["upload.status"] == 1 and calls["videos.insert"] == 1


def test_an_interrupted_upload_is_resumed_by_the_next_run_from_the_database(
    sb: Sandbox, db: Engine, tmp_path: Path
) -> None:
    job = new_job(db, "c" * 64)
    video = video_file(tmp_path)
    sb.youtube.drop_next_chunk(after_bytes=4096)
    with pytest.raises(UploadInterrupted) as stopped:
        upload(db, youtube_service(channel_block(sb)), job, video, attempts=1)
    assert isinstance(stopped.value, TransientError)  # Prefect retries the task
    row = upload_row(db, job)
    assert row.session_uri and row.video_id is None
    assert row.session_uri not in str(stopped.value)  # a capability: never in an error

    # A new process: only the database knows the session.
    sb.youtube.fail_next_chunk(503, times=1)
    video_id = upload(db, youtube_service(channel_block(sb)), job, video)

    assert sb.youtube.content(video_id) == video.read_bytes()
    assert sb.youtube.calls()["videos.insert"] == 1
    assert len(sb.youtube.videos()) == 1


def test_a_5xx_on_a_chunk_is_followed_by_a_status_query_not_a_blind_resend(
    sb: Sandbox, db: Engine, tmp_path: Path
) -> None:
    job = new_job(db, "d" * 64)
    video = video_file(tmp_path)
    sb.youtube.fail_next_chunk(503, times=2)

    video_id = upload(db, youtube_service(channel_block(sb)), job, video)

    assert sb.youtube.content(video_id) == video.read_bytes()
    calls = sb.youtube.calls()
    assert calls["upload.status"] == 2 and calls["upload.chunk"] == 4 + 2


def test_httplib2s_resend_of_a_dropped_chunk_with_an_empty_body_is_refused(
    sb: Sandbox, db: Engine, tmp_path: Path
) -> None:
    job = new_job(db, "e" * 64)
    video = video_file(tmp_path)
    # The server answers the resend as it would any chunk: it waits for the body. httplib2
    # resends a request whose connection closed without an answer, and the resent file
    # slice is empty; unguarded, the upload would hang until the timeout, then go on.
    sb.youtube.drop_next_chunk(after_bytes=CHUNK // 2, drop_resends=False)
    service = youtube_service(channel_block(sb, timeout_seconds=30.0))

    video_id = upload(db, service, job, video)

    assert sb.youtube.content(video_id) == video.read_bytes()
    session = the_session(sb)
    assert session["bytes_sent"] == video.stat().st_size
    assert session["chunks"] == 1 + 3  # the dropped one, then the rest: no empty resend
    assert sb.youtube.calls()["upload.status"] == 1


def test_a_401_answer_to_a_chunk_refreshes_the_token_and_asks_where_the_upload_stands(
    sb: Sandbox, db: Engine, tmp_path: Path
) -> None:
    job = new_job(db, "f" * 64)
    video = video_file(tmp_path)
    service = youtube_service(channel_block(sb))
    sb.add_fault(UPLOAD_PATH, method="PUT", status=401, times=1)

    video_id = upload(db, service, job, video)

    assert sb.youtube.content(video_id) == video.read_bytes()
    calls = sb.youtube.calls()
    assert calls["oauth.token"] == 2 and calls["upload.status"] == 1


YOUTUBE_FIELDS = (
    "client_id",
    "client_secret",
    "refresh_token",
    "api_endpoint",
    "token_uri",
    "ca_bundle",
    "timeout_seconds",
    "daily_upload_limit",
    "daily_unit_limit",
    "unit_costs",
)


DRIVER = """
import json, os, sys
from pathlib import Path
from types import SimpleNamespace
from pydantic import SecretStr
from flows.common.db import engine_from_url
from flows.video.upload import upload_video
from flows.video.youtube import youtube_service
args = json.loads(os.environ["UPLOAD_ARGS"])
fields = args["channel"]
for secret in ("client_id", "client_secret", "refresh_token"):
    fields[secret] = SecretStr(fields[secret])
# The block's fields without importing Prefect: a second process, started quickly.
service = youtube_service(SimpleNamespace(**fields))
engine = engine_from_url(args["db"])
print(upload_video(engine, service, "youtube-channel", args["job"], Path(args["video"]),
                   args["body"], chunk_bytes=args["chunk"]))
"""


def test_a_process_killed_between_chunks_is_resumed_by_another_one(
    sb: Sandbox, local_app_db, tmp_path: Path
) -> None:
    engine = local_app_db.engine
    job = new_job(engine, "9" * 64)
    video = video_file(tmp_path)
    block = channel_block(sb)
    channel = {
        name: (value.get_secret_value() if hasattr(value, "get_secret_value") else value)
        for name, value in block.model_dump().items()
        if name in YOUTUBE_FIELDS
    }
    args = {
        "channel": channel,
        "db": local_app_db.url,
        "job": job,
        "video": str(video),
        "body": BODY,
        "chunk": CHUNK,
    }
    delay_ms = 500  # each chunk waits at the server: time to kill the uploader between two
    sb.add_fault(UPLOAD_PATH, method="PUT", delay_ms=delay_ms)
    env = {**os.environ, "UPLOAD_ARGS": json.dumps(args)}
    uploader = subprocess.Popen(
        [sys.executable, "-c", DRIVER], cwd=REPO, env=env, stdout=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 30
        while (row := upload_row(engine, job)) is None or row.bytes_confirmed < CHUNK:
            assert uploader.poll() is None, "the uploader ended before it was killed"
            assert time.monotonic() < deadline, "the first chunk was never confirmed"
            time.sleep(0.02)
    finally:
        uploader.send_signal(signal.SIGKILL)
        uploader.wait(10)
    sb.clear_faults()
    time.sleep(delay_ms / 1000 + 0.3)  # the chunk in flight reaches the server, or not
    before = the_session(sb)
    assert 0 < before["received"] < video.stat().st_size

    video_id = upload(engine, youtube_service(block), job, video)

    assert sb.youtube.content(video_id) == video.read_bytes()
    after = the_session(sb)
    # From the offset the server reported, not from the last one the killed run recorded.
    assert after["bytes_sent"] - before["bytes_sent"] == video.stat().st_size - before["received"]
    assert sb.youtube.calls()["videos.insert"] == 1


def test_two_runs_of_one_job_at_once_start_one_upload(
    sb: Sandbox, db: Engine, tmp_path: Path
) -> None:
    job = new_job(db, "7" * 64)
    video = video_file(tmp_path)
    block = channel_block(sb)
    sb.add_fault(UPLOAD_PATH, method="POST", delay_ms=400)  # both runs overlap
    outcomes: list[object] = []

    def run() -> None:
        try:
            outcomes.append(upload(db, youtube_service(block), job, video))
        except UploadInterrupted as exc:
            outcomes.append(exc)

    runs = [threading.Thread(target=run) for _ in range(2)]
    for thread in runs:
        thread.start()
    for thread in runs:
        thread.join(30)

    (video_id,) = [o for o in outcomes if isinstance(o, str)]
    (other,) = [o for o in outcomes if isinstance(o, UploadInterrupted)]
    assert "another run" in str(other)
    assert sb.youtube.calls()["videos.insert"] == 1
    # The retry of the run that stepped aside finds the video.
    assert upload(db, youtube_service(block), job, video) == video_id


def test_an_upload_over_the_days_budget_is_not_started(
    sb: Sandbox, db: Engine, tmp_path: Path
) -> None:
    service = youtube_service(channel_block(sb, daily_upload_limit=1))
    video = video_file(tmp_path, size=1000)
    upload(db, service, new_job(db, "1" * 64), video)

    with pytest.raises(QuotaExhausted) as refused:
        upload(db, service, new_job(db, "2" * 64), video)

    assert refused.value.bucket == UPLOADS and is_next_reset(refused.value.reset_at)
    assert sb.youtube.calls()["videos.insert"] == 1
    assert upload_row(db, "2" * 64).session_uri is None


def test_youtubes_upload_limit_is_not_retried_the_same_day(
    sb: Sandbox, app_db: Engine, tmp_path: Path
) -> None:
    service = youtube_service(channel_block(sb))
    sb.youtube.set_quota(uploads_remaining=0)
    job = new_job(app_db, "3" * 64)
    video = video_file(tmp_path, size=1000)

    for _ in range(2):
        with pytest.raises(QuotaExhausted) as refused:
            upload(app_db, service, job, video)
        assert is_next_reset(refused.value.reset_at)

    assert sb.youtube.calls()["videos.insert"] == 1  # the second run asked nothing
    with app_db.connect() as conn:
        assert quota.used(conn, CHANNEL, UPLOADS) == 100  # filled: nothing more today


def test_a_revoked_refresh_token_is_a_config_error_naming_the_block_without_retries(
    sb: Sandbox, db: Engine, tmp_path: Path
) -> None:
    block = channel_block(sb)
    sb.youtube.revoke()
    job = new_job(db, "4" * 64)

    with pytest.raises(ConfigError) as refused:
        upload_video(
            db,
            youtube_service(block, block_name="my-channel"),
            "my-channel",
            job,
            video_file(tmp_path),
            BODY,
            chunk_bytes=CHUNK,
        )

    message = str(refused.value)
    assert "'my-channel'" in message and "refresh token" in message
    assert block.refresh_token.get_secret_value() not in message
    calls = sb.youtube.calls()
    assert calls["oauth.token"] == 1 and calls.get("videos.insert", 0) == 0


def test_the_thumbnail_is_set_once_and_charged_before_the_call(
    sb: Sandbox, db: Engine, tmp_path: Path
) -> None:
    service = youtube_service(channel_block(sb))
    job = new_job(db, "5" * 64)
    video_id = upload(db, service, job, video_file(tmp_path, size=1000))
    thumbnail = tmp_path / "thumb.jpg"
    thumbnail.write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(5000))

    set_thumbnail(db, service, job, video_id, thumbnail)
    set_thumbnail(db, service, job, video_id, thumbnail)

    assert sb.youtube.videos()[0]["thumbnail_size"] == thumbnail.stat().st_size
    assert sb.youtube.calls()["thumbnails.set"] == 1
    assert upload_row(db, job).thumbnail_set
    with db.connect() as conn:
        assert quota.used(conn, CHANNEL, UNITS) == 50


def test_a_thumbnail_youtube_would_refuse_or_cannot_pay_for_makes_no_call(
    sb: Sandbox, db: Engine, tmp_path: Path
) -> None:
    service = youtube_service(channel_block(sb, daily_unit_limit=40))
    job = new_job(db, "6" * 64)
    video_id = upload(db, service, job, video_file(tmp_path, size=1000))
    big = tmp_path / "big.jpg"
    big.write_bytes(b"\xff\xd8\xff\xe0" + bytes(2 * 1024 * 1024))
    small = tmp_path / "small.jpg"
    small.write_bytes(b"\xff\xd8\xff\xe0" + bytes(100))

    with pytest.raises(UploadError, match=r"big\.jpg"):
        set_thumbnail(db, service, job, video_id, big)
    with pytest.raises(QuotaExhausted):
        set_thumbnail(db, service, job, video_id, small)  # 50 units > 40

    assert sb.youtube.calls().get("thumbnails.set", 0) == 0
    assert not upload_row(db, job).thumbnail_set


def test_youtubes_quota_exceeded_on_a_thumbnail_is_not_asked_again_that_day(
    sb: Sandbox, db: Engine, tmp_path: Path
) -> None:
    service = youtube_service(channel_block(sb))
    job = new_job(db, "8" * 64)
    video_id = upload(db, service, job, video_file(tmp_path, size=1000))
    thumbnail = tmp_path / "thumb.jpg"
    thumbnail.write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(100))
    sb.youtube.set_quota(units_remaining=10)  # another client of the project spent the rest

    for _ in range(2):
        with pytest.raises(QuotaExhausted) as refused:
            set_thumbnail(db, service, job, video_id, thumbnail)
        assert refused.value.bucket == UNITS and is_next_reset(refused.value.reset_at)

    assert sb.youtube.calls()["thumbnails.set"] == 1
    with db.connect() as conn:
        assert quota.used(conn, CHANNEL, UNITS) == 10_000
