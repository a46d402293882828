"""The video pipeline's records in the app database.

Prefect's result cache makes a re-run skip the expensive deterministic stages, but
it is not a ledger: what must never happen twice across runs and hosts (a second
upload of one job) is recorded here. `video_uploads` holds the resumable session
URI before the first byte is sent and the video id before the upload stage
completes, so a run killed at any line resumes the same upload or finds it done.
`youtube_quota_usage` counts both of YouTube's budgets per Pacific quota day;
`video_stage_runs` records every stage that really ran (not a cache hit), which is
what the statistics and the resume tests read; `youtube_video_stats` is the daily
time series of the analytics run.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from flows.common.db import metadata

# One job: one video, identified by a hash of its request (flows.video.request).
video_jobs = Table(
    "video_jobs",
    metadata,
    Column("job_key", String(64), primary_key=True),
    Column("topic", Text, nullable=False),
    Column("series", String(100), nullable=True),  # a recurring series' slug (part 2)
    Column("request", JSON, nullable=False),
    # created | scripted | rendered | uploading | uploaded | failed | rescheduled
    Column("status", String(20), nullable=False),
    Column("title", Text, nullable=True),
    Column("video_path", Text, nullable=True),
    Column("thumbnail_path", Text, nullable=True),
    Column("duration_seconds", Float, nullable=True),
    Column("publish_at", DateTime(timezone=True), nullable=True),
    Column("flow_run_id", String(36), nullable=True),  # the last run that worked on it
    Column("error", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_video_jobs_series", "series"),
    Index("ix_video_jobs_status", "status"),
)

# A stage that really ran (a cache hit writes nothing): what a re-run must not repeat.
video_stage_runs = Table(
    "video_stage_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job_key", String(64), ForeignKey("video_jobs.job_key", ondelete="CASCADE")),
    Column("stage", String(20), nullable=False),  # flows.video.STAGES
    Column("flow_run_id", String(36), nullable=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("seconds", Float, nullable=False),
    Index("ix_video_stage_runs_job", "job_key", "stage"),
)

# The one upload of a job. `session_uri` is a capability (whoever has it can write
# to the upload): it is stored here and never logged.
video_uploads = Table(
    "video_uploads",
    metadata,
    Column(
        "job_key",
        String(64),
        ForeignKey("video_jobs.job_key", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("channel", String(100), nullable=False),  # the youtube-channel block's name
    Column("file_path", Text, nullable=False),
    Column("file_size", BigInteger, nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("session_uri", Text, nullable=True),
    Column("bytes_confirmed", BigInteger, nullable=False, default=0),
    Column("video_id", String(64), nullable=True, unique=True),
    Column("thumbnail_set", Boolean, nullable=False, default=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("completed_at", DateTime(timezone=True), nullable=True),
)

# YouTube's two budgets per channel and Pacific quota day: bucket "uploads" counts
# videos.insert calls, bucket "units" the other calls' costs.
youtube_quota_usage = Table(
    "youtube_quota_usage",
    metadata,
    Column("channel", String(100), primary_key=True),
    Column("quota_day", Date, primary_key=True),
    Column("bucket", String(10), primary_key=True),
    Column("used", Integer, nullable=False, default=0),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# One reading of one video's statistics; the analytics run appends, never updates.
youtube_video_stats = Table(
    "youtube_video_stats",
    metadata,
    Column("video_id", String(64), primary_key=True),
    Column("fetched_at", DateTime(timezone=True), primary_key=True),
    Column("views", BigInteger, nullable=True),
    Column("likes", BigInteger, nullable=True),
    Column("comments", BigInteger, nullable=True),
    Column("favorites", BigInteger, nullable=True),
    Column("raw", JSON, nullable=True),
)

TABLES = (video_jobs, video_stage_runs, video_uploads, youtube_quota_usage, youtube_video_stats)
