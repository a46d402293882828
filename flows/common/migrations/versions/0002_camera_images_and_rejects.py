"""camera: the image index and the refused frames

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "camera_images",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("stream", sa.String(64), nullable=False),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_camera_images")),
        sa.UniqueConstraint("stream", "captured_at", name=op.f("uq_camera_images_stream")),
    )
    op.create_index(op.f("ix_camera_images_captured_at"), "camera_images", ["captured_at"])
    op.create_table(
        "camera_rejects",
        sa.Column("stream", sa.String(64), nullable=False),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("stream", "captured_at", name=op.f("pk_camera_rejects")),
    )
    op.create_index(op.f("ix_camera_rejects_captured_at"), "camera_rejects", ["captured_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_camera_rejects_captured_at"), table_name="camera_rejects")
    op.drop_table("camera_rejects")
    op.drop_index(op.f("ix_camera_images_captured_at"), table_name="camera_images")
    op.drop_table("camera_images")
