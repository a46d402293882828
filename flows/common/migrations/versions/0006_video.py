"""video: jobs, stage runs, resumable uploads, YouTube quota and statistics

Revision ID: 0006
Revises:
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = None
branch_labels = ("video",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "video_jobs",
        sa.Column("job_key", sa.String(length=64), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("series", sa.String(length=100), nullable=True),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("video_path", sa.Text(), nullable=True),
        sa.Column("thumbnail_path", sa.Text(), nullable=True),
        sa.Column("duration_seconds", sa.Float(), nullable=True),
        sa.Column("publish_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("flow_run_id", sa.String(length=36), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("job_key", name=op.f("pk_video_jobs")),
    )
    with op.batch_alter_table("video_jobs", schema=None) as batch_op:
        batch_op.create_index("ix_video_jobs_series", ["series"], unique=False)
        batch_op.create_index("ix_video_jobs_status", ["status"], unique=False)

    op.create_table(
        "youtube_quota_usage",
        sa.Column("channel", sa.String(length=100), nullable=False),
        sa.Column("quota_day", sa.Date(), nullable=False),
        sa.Column("bucket", sa.String(length=10), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "channel", "quota_day", "bucket", name=op.f("pk_youtube_quota_usage")
        ),
    )
    op.create_table(
        "youtube_video_stats",
        sa.Column("video_id", sa.String(length=64), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("views", sa.BigInteger(), nullable=True),
        sa.Column("likes", sa.BigInteger(), nullable=True),
        sa.Column("comments", sa.BigInteger(), nullable=True),
        sa.Column("favorites", sa.BigInteger(), nullable=True),
        sa.Column("raw", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("video_id", "fetched_at", name=op.f("pk_youtube_video_stats")),
    )
    op.create_table(
        "video_stage_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("job_key", sa.String(length=64), nullable=True),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("flow_run_id", sa.String(length=36), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_key"],
            ["video_jobs.job_key"],
            name=op.f("fk_video_stage_runs_job_key_video_jobs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_video_stage_runs")),
    )
    with op.batch_alter_table("video_stage_runs", schema=None) as batch_op:
        batch_op.create_index("ix_video_stage_runs_job", ["job_key", "stage"], unique=False)

    op.create_table(
        "video_uploads",
        sa.Column("job_key", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=100), nullable=False),
        sa.Column("file_path", sa.Text(), nullable=False),
        sa.Column("file_size", sa.BigInteger(), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("session_uri", sa.Text(), nullable=True),
        sa.Column("bytes_confirmed", sa.BigInteger(), nullable=False),
        sa.Column("video_id", sa.String(length=64), nullable=True),
        sa.Column("thumbnail_set", sa.Boolean(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["job_key"],
            ["video_jobs.job_key"],
            name=op.f("fk_video_uploads_job_key_video_jobs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("job_key", name=op.f("pk_video_uploads")),
        sa.UniqueConstraint("video_id", name=op.f("uq_video_uploads_video_id")),
    )


def downgrade() -> None:
    op.drop_table("video_uploads")
    with op.batch_alter_table("video_stage_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_video_stage_runs_job")

    op.drop_table("video_stage_runs")
    op.drop_table("youtube_video_stats")
    op.drop_table("youtube_quota_usage")
    with op.batch_alter_table("video_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_video_jobs_status")
        batch_op.drop_index("ix_video_jobs_series")

    op.drop_table("video_jobs")
