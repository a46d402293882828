"""The scanner's records in the app database.

`cookie_schedules` and `cookie_job_executions` carry the seed's `schedules` and
`job_executions` columns (prefixed: the app database is shared by every
workflow). A schedule row is the source of truth for its domain's schedule on the
`cookie-scan/per-domain` deployment; the sync reconciles Prefect to it, never the
other way. A scan keeps, per phase, every cookie with a hash of its value (never
the value: cookies carry session tokens), the hosts the page talked to and what
the consent engine found, so a scan can be diffed against the previous one.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from flows.common.db import metadata

# What one domain's scans look like: pages, depth, the selector that overrides the
# consent engine. One profile per domain config; the sync writes it from the API.
cookie_scan_profiles = Table(
    "cookie_scan_profiles",
    metadata,
    Column("profile_id", String(36), primary_key=True),
    Column("domain_config_id", String(64), nullable=False, unique=True),
    Column("description", Text, nullable=True),
    Column("allow_deep_scan", Boolean, nullable=False, default=False),
    Column("max_pages", Integer, nullable=False, default=1),
    Column("scan_depth", Integer, nullable=False, default=0),
    Column("max_retries", Integer, nullable=False, default=1),
    Column("custom_pages", JSON, nullable=False, default=list),
    Column("accept_selector", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

cookie_schedules = Table(
    "cookie_schedules",
    metadata,
    Column("schedule_id", String(36), primary_key=True),
    Column("domain_config_id", String(64), nullable=False, unique=True),
    Column("domain", String(255), nullable=False),  # IDNA (punycode) form
    Column(
        "profile_id",
        String(36),
        ForeignKey("cookie_scan_profiles.profile_id", ondelete="SET NULL"),
        nullable=True,
    ),
    Column("frequency", String(50), nullable=False),  # hourly daily weekly monthly cron
    Column("time_config", JSON, nullable=False),  # {"hour":2,"minute":0,...} or {"cron": ...}
    Column("timezone", String(64), nullable=False, default="UTC"),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("source", String(16), nullable=False, default="api"),  # api | manual
    Column("content_hash", String(64), nullable=False),  # of the entry as last synced
    # The `enabled` value the reconcile last wrote to the Prefect schedule's `active`
    # (None: not yet). It writes `active` only when `enabled` moved away from it, so a
    # pause made in the Prefect UI stays until the database changes its mind.
    Column("applied_enabled", Boolean, nullable=True),
    Column("next_run", DateTime(timezone=True), nullable=True),
    Column("last_run", DateTime(timezone=True), nullable=True),
    Column("last_status", String(50), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

cookie_job_executions = Table(
    "cookie_job_executions",
    metadata,
    Column("execution_id", String(36), primary_key=True),
    Column(
        "schedule_id",
        String(36),
        ForeignKey("cookie_schedules.schedule_id", ondelete="SET NULL"),
        nullable=True,
    ),
    Column("job_id", String(255), nullable=False),  # the Prefect flow run id
    Column("domain", String(255), nullable=False),
    Column("domain_config_id", String(64), nullable=False),
    Column("status", String(50), nullable=False),  # running completed failed skipped crashed
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("completed_at", DateTime(timezone=True), nullable=True),
    Column("duration_seconds", Float, nullable=True),
    Column("scan_id", String(36), nullable=True),
    Column("error_message", Text, nullable=True),
    Column("error_details", JSON, nullable=True),
    Column("metadata", JSON, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_cookie_job_executions_started", "started_at"),
    Index("ix_cookie_job_executions_domain", "domain_config_id", "started_at"),
)

cookie_scans = Table(
    "cookie_scans",
    metadata,
    Column("scan_id", String(36), primary_key=True),
    Column("domain_config_id", String(64), nullable=False),
    Column("domain", String(255), nullable=False),
    Column("url", Text, nullable=False),
    Column("status", String(20), nullable=False),  # completed | failed
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("completed_at", DateTime(timezone=True), nullable=True),
    Column("consent_platform", String(120), nullable=True),
    Column("pages_visited", Integer, nullable=False, default=0),
    Column("findings", JSON, nullable=False, default=dict),  # verdicts, see scan docs
    Column("error", Text, nullable=True),
    Index("ix_cookie_scans_domain", "domain_config_id", "started_at"),
    Index("ix_cookie_scans_started", "started_at"),
)

cookie_scan_phases = Table(
    "cookie_scan_phases",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("scan_id", String(36), ForeignKey("cookie_scans.scan_id"), nullable=False),
    Column("phase", String(10), nullable=False),  # before | accept | reject
    Column("consent_platform", String(120), nullable=True),  # what autoconsent found
    Column("self_test", Boolean, nullable=True),  # autoconsent's self-test, when it ran one
    Column("action", String(40), nullable=True),  # none | opt-in | opt-out | selector
    Column("action_ok", Boolean, nullable=True),
    Column("tcf", JSON, nullable=True),  # __tcfapi's consent data, when the page has one
    Column("screenshot_path", Text, nullable=True),
    Column("pages", JSON, nullable=False, default=list),  # URLs visited in this pass
    Column("refused", JSON, nullable=False, default=list),  # requests the guard refused
    Column("page_errors", JSON, nullable=False, default=list),  # pages that failed to load
    Column("error", Text, nullable=True),
    UniqueConstraint("scan_id", "phase"),
)

cookie_scan_cookies = Table(
    "cookie_scan_cookies",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("scan_id", String(36), ForeignKey("cookie_scans.scan_id"), nullable=False),
    Column("phase", String(10), nullable=False),
    Column("name", Text, nullable=False),
    Column("domain", String(255), nullable=False),
    Column("path", Text, nullable=False),
    Column("expires", DateTime(timezone=True), nullable=True),  # None: a session cookie
    Column("secure", Boolean, nullable=False),
    Column("http_only", Boolean, nullable=False),
    Column("same_site", String(10), nullable=True),
    Column("third_party", Boolean, nullable=False),  # by registrable domain (PSL)
    Column("value_hash", String(64), nullable=False),  # sha256 of the value, never the value
    Column("category", String(16), nullable=False),  # consent essential tracking other
    Index("ix_cookie_scan_cookies_scan", "scan_id", "phase"),
)

cookie_scan_hosts = Table(
    "cookie_scan_hosts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("scan_id", String(36), ForeignKey("cookie_scans.scan_id"), nullable=False),
    Column("phase", String(10), nullable=False),
    Column("host", String(255), nullable=False),
    Column("registrable_domain", String(255), nullable=True),
    Column("requests", Integer, nullable=False, default=0),
    Index("ix_cookie_scan_hosts_scan", "scan_id", "phase"),
)

TABLES = (
    cookie_scan_profiles,
    cookie_schedules,
    cookie_job_executions,
    cookie_scans,
    cookie_scan_phases,
    cookie_scan_cookies,
    cookie_scan_hosts,
)
