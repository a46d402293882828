"""cookie_scan: schedules, job executions, scan profiles and scan results

Revision ID: 0005
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = None
branch_labels = ("cookie_scan",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cookie_scan_profiles",
        sa.Column("profile_id", sa.String(length=36), nullable=False),
        sa.Column("domain_config_id", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("allow_deep_scan", sa.Boolean(), nullable=False),
        sa.Column("max_pages", sa.Integer(), nullable=False),
        sa.Column("scan_depth", sa.Integer(), nullable=False),
        sa.Column("max_retries", sa.Integer(), nullable=False),
        sa.Column("custom_pages", sa.JSON(), nullable=False),
        sa.Column("accept_selector", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("profile_id", name=op.f("pk_cookie_scan_profiles")),
        sa.UniqueConstraint(
            "domain_config_id", name=op.f("uq_cookie_scan_profiles_domain_config_id")
        ),
    )
    op.create_table(
        "cookie_scans",
        sa.Column("scan_id", sa.String(length=36), nullable=False),
        sa.Column("domain_config_id", sa.String(length=64), nullable=False),
        sa.Column("domain", sa.String(length=255), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("consent_platform", sa.String(length=120), nullable=True),
        sa.Column("pages_visited", sa.Integer(), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("scan_id", name=op.f("pk_cookie_scans")),
    )
    with op.batch_alter_table("cookie_scans", schema=None) as batch_op:
        batch_op.create_index(
            "ix_cookie_scans_domain", ["domain_config_id", "started_at"], unique=False
        )
        batch_op.create_index("ix_cookie_scans_started", ["started_at"], unique=False)

    op.create_table(
        "cookie_scan_cookies",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scan_id", sa.String(length=36), nullable=False),
        sa.Column("phase", sa.String(length=10), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("domain", sa.String(length=255), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("expires", sa.DateTime(timezone=True), nullable=True),
        sa.Column("secure", sa.Boolean(), nullable=False),
        sa.Column("http_only", sa.Boolean(), nullable=False),
        sa.Column("same_site", sa.String(length=10), nullable=True),
        sa.Column("third_party", sa.Boolean(), nullable=False),
        sa.Column("value_hash", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["scan_id"],
            ["cookie_scans.scan_id"],
            name=op.f("fk_cookie_scan_cookies_scan_id_cookie_scans"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cookie_scan_cookies")),
    )
    with op.batch_alter_table("cookie_scan_cookies", schema=None) as batch_op:
        batch_op.create_index("ix_cookie_scan_cookies_scan", ["scan_id", "phase"], unique=False)

    op.create_table(
        "cookie_scan_hosts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scan_id", sa.String(length=36), nullable=False),
        sa.Column("phase", sa.String(length=10), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("registrable_domain", sa.String(length=255), nullable=True),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["scan_id"],
            ["cookie_scans.scan_id"],
            name=op.f("fk_cookie_scan_hosts_scan_id_cookie_scans"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cookie_scan_hosts")),
    )
    with op.batch_alter_table("cookie_scan_hosts", schema=None) as batch_op:
        batch_op.create_index("ix_cookie_scan_hosts_scan", ["scan_id", "phase"], unique=False)

    op.create_table(
        "cookie_scan_phases",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scan_id", sa.String(length=36), nullable=False),
        sa.Column("phase", sa.String(length=10), nullable=False),
        sa.Column("consent_platform", sa.String(length=120), nullable=True),
        sa.Column("self_test", sa.Boolean(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=True),
        sa.Column("action_ok", sa.Boolean(), nullable=True),
        sa.Column("tcf", sa.JSON(), nullable=True),
        sa.Column("screenshot_path", sa.Text(), nullable=True),
        sa.Column("pages", sa.JSON(), nullable=False),
        sa.Column("refused", sa.JSON(), nullable=False),
        sa.Column("page_errors", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["scan_id"],
            ["cookie_scans.scan_id"],
            name=op.f("fk_cookie_scan_phases_scan_id_cookie_scans"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cookie_scan_phases")),
        sa.UniqueConstraint("scan_id", "phase", name=op.f("uq_cookie_scan_phases_scan_id")),
    )
    op.create_table(
        "cookie_schedules",
        sa.Column("schedule_id", sa.String(length=36), nullable=False),
        sa.Column("domain_config_id", sa.String(length=64), nullable=False),
        sa.Column("domain", sa.String(length=255), nullable=False),
        sa.Column("profile_id", sa.String(length=36), nullable=True),
        sa.Column("frequency", sa.String(length=50), nullable=False),
        sa.Column("time_config", sa.JSON(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("applied_enabled", sa.Boolean(), nullable=True),
        sa.Column("next_run", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_run", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status", sa.String(length=50), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["cookie_scan_profiles.profile_id"],
            name=op.f("fk_cookie_schedules_profile_id_cookie_scan_profiles"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("schedule_id", name=op.f("pk_cookie_schedules")),
        sa.UniqueConstraint("domain_config_id", name=op.f("uq_cookie_schedules_domain_config_id")),
    )
    op.create_table(
        "cookie_job_executions",
        sa.Column("execution_id", sa.String(length=36), nullable=False),
        sa.Column("schedule_id", sa.String(length=36), nullable=True),
        sa.Column("job_id", sa.String(length=255), nullable=False),
        sa.Column("domain", sa.String(length=255), nullable=False),
        sa.Column("domain_config_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=50), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_seconds", sa.Float(), nullable=True),
        sa.Column("scan_id", sa.String(length=36), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("error_details", sa.JSON(), nullable=True),
        sa.Column("metadata", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["cookie_schedules.schedule_id"],
            name=op.f("fk_cookie_job_executions_schedule_id_cookie_schedules"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("execution_id", name=op.f("pk_cookie_job_executions")),
    )
    with op.batch_alter_table("cookie_job_executions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_cookie_job_executions_domain", ["domain_config_id", "started_at"], unique=False
        )
        batch_op.create_index("ix_cookie_job_executions_started", ["started_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cookie_job_executions", schema=None) as batch_op:
        batch_op.drop_index("ix_cookie_job_executions_started")
        batch_op.drop_index("ix_cookie_job_executions_domain")

    op.drop_table("cookie_job_executions")
    op.drop_table("cookie_schedules")
    op.drop_table("cookie_scan_phases")
    with op.batch_alter_table("cookie_scan_hosts", schema=None) as batch_op:
        batch_op.drop_index("ix_cookie_scan_hosts_scan")

    op.drop_table("cookie_scan_hosts")
    with op.batch_alter_table("cookie_scan_cookies", schema=None) as batch_op:
        batch_op.drop_index("ix_cookie_scan_cookies_scan")

    op.drop_table("cookie_scan_cookies")
    with op.batch_alter_table("cookie_scans", schema=None) as batch_op:
        batch_op.drop_index("ix_cookie_scans_started")
        batch_op.drop_index("ix_cookie_scans_domain")

    op.drop_table("cookie_scans")
    op.drop_table("cookie_scan_profiles")
