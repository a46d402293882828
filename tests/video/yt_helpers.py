"""Shared by the YouTube client's tests: a channel block on the sandbox, a job row, a video."""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select

from blocks.video import CHUNK_QUANTUM, YouTubeChannel
from flows.video.quota import QUOTA_ZONE
from flows.video.tables import video_jobs, video_uploads
from infra.sandbox.core.client import Sandbox

CHUNK = CHUNK_QUANTUM  # the smallest chunk YouTube takes: several chunks from a small file


def channel_block(sb: Sandbox, **fields: Any) -> YouTubeChannel:
    """A channel block whose OAuth client the sandbox accepts, over HTTPS with its CA."""
    creds = sb.youtube.add_channel()
    values: dict[str, Any] = {
        "client_id": creds["client_id"],
        "client_secret": creds["client_secret"],
        "refresh_token": creds["refresh_token"],
        "api_endpoint": sb.youtube.api_endpoint,
        "token_uri": sb.youtube.token_uri,
        "ca_bundle": sb.youtube.ca_bundle,
        "chunk_bytes": CHUNK,
        "timeout_seconds": 10.0,
    }
    values.update(fields)
    return YouTubeChannel(**values)


def new_job(engine: Engine, job_key: str, topic: str = "Why the sky is blue") -> str:
    """The job row an upload belongs to (the flow's jobs module makes it in production)."""
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            insert(video_jobs).values(
                job_key=job_key,
                topic=topic,
                request={"topic": topic},
                status="rendered",
                title=topic,
                created_at=now,
                updated_at=now,
            )
        )
    return job_key


def video_file(folder: Path, size: int = 3 * CHUNK + 12_345, name: str = "video.mp4") -> Path:
    """Random bytes: an upload that reorders, drops or repeats a byte cannot match them."""
    path = folder / name
    path.write_bytes(os.urandom(size))
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def upload_row(engine: Engine, job_key: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(video_uploads).where(video_uploads.c.job_key == job_key)).first()


BODY = {
    "snippet": {"title": "Why the sky is blue", "description": "Light.", "categoryId": "27"},
    "status": {
        "privacyStatus": "private",
        "selfDeclaredMadeForKids": False,
        "containsSyntheticMedia": True,
    },
}


def is_next_reset(moment: datetime) -> bool:
    """A Pacific midnight within the next day: the next quota reset, however close to one
    the test runs."""
    now = datetime.now(UTC)
    local = moment.astimezone(QUOTA_ZONE)
    return local.time() == time(0) and now < moment <= now + timedelta(hours=25)
