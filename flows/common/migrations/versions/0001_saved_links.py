"""saved links: per-row claims and results, and the download archive

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "saved_links",
        sa.Column("page_id", sa.String(64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("platform", sa.String(32)),
        sa.Column("claimed_by", sa.String(64)),
        sa.Column("claimed_at", sa.DateTime(timezone=True)),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("outcome", sa.String(16)),
        sa.Column("media_key", sa.String(255)),
        sa.Column("file", sa.Text()),
        sa.Column("bytes", sa.BigInteger()),
        sa.Column("title", sa.Text()),
        sa.Column("error_class", sa.String(64)),
        sa.Column("error_message", sa.Text()),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("synced_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("page_id", name=op.f("pk_saved_links")),
    )
    op.create_index(op.f("ix_saved_links_claimed_by"), "saved_links", ["claimed_by"])
    op.create_table(
        "saved_link_media",
        sa.Column("media_key", sa.String(255), nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("file", sa.Text(), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("source_url", sa.Text(), nullable=False),
        sa.Column("downloaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("media_key", name=op.f("pk_saved_link_media")),
    )


def downgrade() -> None:
    op.drop_table("saved_link_media")
    op.drop_index(op.f("ix_saved_links_claimed_by"), table_name="saved_links")
    op.drop_table("saved_links")
