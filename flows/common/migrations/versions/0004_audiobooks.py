"""audiobooks: library, field sources, task records and the jobs' state

Revision ID: 0004
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = None
branch_labels = ("audiobooks",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audiobook_api_usage",
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("requests", sa.Integer(), server_default="0", nullable=False),
        sa.Column("exhausted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key_id", "day", name=op.f("pk_audiobook_api_usage")),
    )
    op.create_table(
        "audiobook_authors",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("name_key", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audiobook_authors")),
        sa.UniqueConstraint("name_key", name=op.f("uq_audiobook_authors_name_key")),
    )
    op.create_table(
        "audiobook_failed_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("task_name", sa.String(length=32), nullable=False),
        sa.Column("flow_run_id", sa.String(length=36), nullable=True),
        sa.Column("item", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audiobook_failed_attempts")),
    )
    with op.batch_alter_table("audiobook_failed_attempts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audiobook_failed_attempts_task_name"),
            ["task_name", "attempted_at"],
            unique=False,
        )

    op.create_table(
        "audiobook_feed_state",
        sa.Column("url_key", sa.String(length=64), nullable=False),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("url_key", name=op.f("pk_audiobook_feed_state")),
    )
    op.create_table(
        "audiobook_google_cache",
        sa.Column("query_key", sa.String(length=64), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("answer", sa.JSON(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("query_key", name=op.f("pk_audiobook_google_cache")),
    )
    with op.batch_alter_table("audiobook_google_cache", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audiobook_google_cache_expires_at"), ["expires_at"], unique=False
        )

    op.create_table(
        "audiobook_refresh_cycles",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("job", sa.String(length=32), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stopped_at_book", sa.Integer(), nullable=True),
        sa.Column("stopped_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audiobook_refresh_cycles")),
    )
    with op.batch_alter_table("audiobook_refresh_cycles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audiobook_refresh_cycles_job"), ["job", "finished_at"], unique=False
        )

    op.create_table(
        "audiobook_series",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("name_key", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audiobook_series")),
        sa.UniqueConstraint("name_key", name=op.f("uq_audiobook_series_name_key")),
    )
    op.create_table(
        "audiobook_tasks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("task_name", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("flow_run_id", sa.String(length=36), nullable=True),
        sa.Column("scheduled_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("scheduled_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("actual_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actual_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_seconds", sa.Float(), nullable=True),
        sa.Column("items_processed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("items_succeeded", sa.Integer(), server_default="0", nullable=False),
        sa.Column("items_failed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("log_output", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audiobook_tasks")),
    )
    with op.batch_alter_table("audiobook_tasks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audiobook_tasks_actual_start"), ["actual_start"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_audiobook_tasks_task_name"), ["task_name", "actual_start"], unique=False
        )

    op.create_table(
        "audiobook_books",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("title_key", sa.String(length=255), nullable=False),
        sa.Column("authors", sa.JSON(), nullable=False),
        sa.Column("narrators", sa.JSON(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=True),
        sa.Column("series_position", sa.Float(), nullable=True),
        sa.Column("isbn_10", sa.String(length=10), nullable=True),
        sa.Column("isbn_13", sa.String(length=13), nullable=True),
        sa.Column("asin", sa.String(length=10), nullable=True),
        sa.Column("google_volume_id", sa.String(length=32), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("published_date", sa.String(length=10), nullable=True),
        sa.Column("publisher", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("cover_url", sa.Text(), nullable=True),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("origin_key", sa.String(length=512), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("metadata_checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("metadata_refreshed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["audiobook_series.id"],
            name=op.f("fk_audiobook_books_series_id_audiobook_series"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audiobook_books")),
        sa.UniqueConstraint("origin_key", name=op.f("uq_audiobook_books_origin_key")),
    )
    with op.batch_alter_table("audiobook_books", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audiobook_books_asin"), ["asin"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audiobook_books_google_volume_id"), ["google_volume_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_audiobook_books_isbn_10"), ["isbn_10"], unique=False)
        batch_op.create_index(batch_op.f("ix_audiobook_books_isbn_13"), ["isbn_13"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audiobook_books_series_id"), ["series_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_audiobook_books_title_key"), ["title_key"], unique=False
        )

    op.create_table(
        "audiobook_book_authors",
        sa.Column("book_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["audiobook_authors.id"],
            name=op.f("fk_audiobook_book_authors_author_id_audiobook_authors"),
        ),
        sa.ForeignKeyConstraint(
            ["book_id"],
            ["audiobook_books.id"],
            name=op.f("fk_audiobook_book_authors_book_id_audiobook_books"),
        ),
        sa.PrimaryKeyConstraint("book_id", "author_id", name=op.f("pk_audiobook_book_authors")),
    )
    with op.batch_alter_table("audiobook_book_authors", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audiobook_book_authors_author_id"), ["author_id"], unique=False
        )

    op.create_table(
        "audiobook_feed_items",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("feed", sa.String(length=64), nullable=False),
        sa.Column("item_key", sa.String(length=512), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("authors", sa.JSON(), nullable=False),
        sa.Column("series", sa.Text(), nullable=True),
        sa.Column("series_position", sa.Float(), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("isbn", sa.String(length=13), nullable=True),
        sa.Column("link", sa.Text(), nullable=True),
        sa.Column("genre", sa.String(length=64), nullable=True),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("book_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["book_id"],
            ["audiobook_books.id"],
            name=op.f("fk_audiobook_feed_items_book_id_audiobook_books"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audiobook_feed_items")),
        sa.UniqueConstraint("feed", "item_key", name=op.f("uq_audiobook_feed_items_feed")),
    )
    op.create_table(
        "audiobook_field_sources",
        sa.Column("book_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("locked", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["book_id"],
            ["audiobook_books.id"],
            name=op.f("fk_audiobook_field_sources_book_id_audiobook_books"),
        ),
        sa.PrimaryKeyConstraint("book_id", "field", name=op.f("pk_audiobook_field_sources")),
    )
    op.create_table(
        "audiobook_handoffs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("book_id", sa.Integer(), nullable=False),
        sa.Column("link", sa.Text(), nullable=False),
        sa.Column("link_key", sa.String(length=64), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["book_id"],
            ["audiobook_books.id"],
            name=op.f("fk_audiobook_handoffs_book_id_audiobook_books"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audiobook_handoffs")),
        sa.UniqueConstraint("link_key", name=op.f("uq_audiobook_handoffs_link_key")),
    )
    op.create_table(
        "audiobook_reviews",
        sa.Column("book_id", sa.Integer(), nullable=False),
        sa.Column("volume_id", sa.String(length=32), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("candidate", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolution", sa.String(length=16), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["book_id"],
            ["audiobook_books.id"],
            name=op.f("fk_audiobook_reviews_book_id_audiobook_books"),
        ),
        sa.PrimaryKeyConstraint("book_id", "volume_id", name=op.f("pk_audiobook_reviews")),
    )


def downgrade() -> None:
    op.drop_table("audiobook_reviews")
    op.drop_table("audiobook_handoffs")
    op.drop_table("audiobook_field_sources")
    op.drop_table("audiobook_feed_items")
    with op.batch_alter_table("audiobook_book_authors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audiobook_book_authors_author_id"))

    op.drop_table("audiobook_book_authors")
    with op.batch_alter_table("audiobook_books", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audiobook_books_title_key"))
        batch_op.drop_index(batch_op.f("ix_audiobook_books_series_id"))
        batch_op.drop_index(batch_op.f("ix_audiobook_books_isbn_13"))
        batch_op.drop_index(batch_op.f("ix_audiobook_books_isbn_10"))
        batch_op.drop_index(batch_op.f("ix_audiobook_books_google_volume_id"))
        batch_op.drop_index(batch_op.f("ix_audiobook_books_asin"))

    op.drop_table("audiobook_books")
    with op.batch_alter_table("audiobook_tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audiobook_tasks_task_name"))
        batch_op.drop_index(batch_op.f("ix_audiobook_tasks_actual_start"))

    op.drop_table("audiobook_tasks")
    op.drop_table("audiobook_series")
    with op.batch_alter_table("audiobook_refresh_cycles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audiobook_refresh_cycles_job"))

    op.drop_table("audiobook_refresh_cycles")
    with op.batch_alter_table("audiobook_google_cache", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audiobook_google_cache_expires_at"))

    op.drop_table("audiobook_google_cache")
    op.drop_table("audiobook_feed_state")
    with op.batch_alter_table("audiobook_failed_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audiobook_failed_attempts_task_name"))

    op.drop_table("audiobook_failed_attempts")
    op.drop_table("audiobook_authors")
    op.drop_table("audiobook_api_usage")
