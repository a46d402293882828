"""saved links: runs a row failed transiently in

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("saved_links") as batch:
        batch.add_column(
            sa.Column("transient_runs", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("saved_links") as batch:
        batch.drop_column("transient_runs")
