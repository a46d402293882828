"""The audiobook library and the jobs' records, in the app database.

Books, authors and series are the library. `audiobook_field_sources` says, per
field of a book, where its value came from and whether the user locked it: the
merge reads it before writing anything, which is how a wrong Google match can
never overwrite a value the user set or locked. Task records and failed attempts
are the seed's; failed attempts outlive the 30-day cleanup of task records.
The rest is what makes a re-run do no work twice: feed items by key, the feed's
validators, the Google Books answer cache and request count, refresh cycles,
review items and download hand-offs.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
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
    UniqueConstraint,
)

from flows.common.db import metadata

# The fields of a book whose value has a source; the merge walks these.
BOOK_FIELDS = (
    "title",
    "authors",
    "narrators",
    "series",
    "series_position",
    "isbn_10",
    "isbn_13",
    "asin",
    "google_volume_id",
    "language",
    "published_date",
    "publisher",
    "description",
    "cover_url",
    "duration_seconds",
)
SOURCES = ("opf", "folder", "feed", "google", "user")
STATUSES = ("owned", "wanted")

audiobook_authors = Table(
    "audiobook_authors",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", Text, nullable=False),
    Column("name_key", String(255), nullable=False, unique=True),  # normalised name
)

audiobook_series = Table(
    "audiobook_series",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", Text, nullable=False),
    Column("name_key", String(255), nullable=False, unique=True),
)

audiobook_books = Table(
    "audiobook_books",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("title", Text, nullable=False),
    Column("title_key", String(255), nullable=False, index=True),  # normalised title
    Column("authors", JSON, nullable=False),  # names in credit order
    Column("narrators", JSON, nullable=False),
    Column("series_id", Integer, ForeignKey("audiobook_series.id"), index=True),
    Column("series_position", Float),
    Column("isbn_10", String(10), index=True),
    Column("isbn_13", String(13), index=True),
    Column("asin", String(10), index=True),
    Column("google_volume_id", String(32), index=True),
    Column("language", String(16)),
    Column("published_date", String(10)),  # Google answers "2004", "2004-05" or a date
    Column("publisher", Text),
    Column("description", Text),
    Column("cover_url", Text),
    Column("duration_seconds", Integer),
    Column("status", String(8), nullable=False),  # owned | wanted
    Column("origin", String(16), nullable=False),  # library | feed | top10 | series | author
    # what identifies the book where it came from (the folder, the feed item, the volume):
    # importing the same folder or item again finds this row instead of adding one
    Column("origin_key", String(512), nullable=False, unique=True),
    Column("added_at", DateTime(timezone=True), nullable=False),
    Column("metadata_checked_at", DateTime(timezone=True)),  # asked Google, whatever it said
    Column("metadata_refreshed_at", DateTime(timezone=True)),  # a match was merged
)

audiobook_book_authors = Table(
    "audiobook_book_authors",
    metadata,
    Column("book_id", Integer, ForeignKey("audiobook_books.id"), primary_key=True),
    Column("author_id", Integer, ForeignKey("audiobook_authors.id"), primary_key=True),
    Column("position", Integer, nullable=False),
    Index(None, "author_id"),
)

audiobook_field_sources = Table(
    "audiobook_field_sources",
    metadata,
    Column("book_id", Integer, ForeignKey("audiobook_books.id"), primary_key=True),
    Column("field", String(32), primary_key=True),
    Column("source", String(8), nullable=False),  # one of SOURCES
    Column("locked", Boolean, nullable=False, server_default="0"),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

audiobook_tasks = Table(
    "audiobook_tasks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("task_name", String(32), nullable=False),
    Column("status", String(16), nullable=False),  # running | completed | failed | skipped
    Column("flow_run_id", String(36)),
    Column("scheduled_start", DateTime(timezone=True)),
    Column("scheduled_end", DateTime(timezone=True)),
    Column("actual_start", DateTime(timezone=True), nullable=False),
    Column("actual_end", DateTime(timezone=True)),
    Column("duration_seconds", Float),
    Column("items_processed", Integer, nullable=False, server_default="0"),
    Column("items_succeeded", Integer, nullable=False, server_default="0"),
    Column("items_failed", Integer, nullable=False, server_default="0"),
    Column("error_message", Text),
    Column("log_output", Text),
    Index(None, "task_name", "actual_start"),
    Index(None, "actual_start"),
)

# No foreign key to the task record: failed attempts are kept for good, their task
# records are not.
audiobook_failed_attempts = Table(
    "audiobook_failed_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("task_id", Integer),
    Column("task_name", String(32), nullable=False),
    Column("flow_run_id", String(36)),
    Column("item", Text, nullable=False),  # names what failed: a folder, a feed item, a book
    Column("error", Text, nullable=False),
    Column("attempted_at", DateTime(timezone=True), nullable=False),
    Index(None, "task_name", "attempted_at"),
)

audiobook_feed_items = Table(
    "audiobook_feed_items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("feed", String(64), nullable=False),  # "listings" or "top10:<genre>"
    Column("item_key", String(512), nullable=False),  # guid, else link, else title+author
    Column("title", Text, nullable=False),
    Column("authors", JSON, nullable=False),
    Column("series", Text),
    Column("series_position", Float),
    Column("language", String(16)),
    Column("isbn", String(13)),
    Column("link", Text),  # what a download client is handed
    Column("genre", String(64)),
    Column("rank", Integer),
    Column("published_at", DateTime(timezone=True)),
    Column("first_seen_at", DateTime(timezone=True), nullable=False),
    Column("book_id", Integer, ForeignKey("audiobook_books.id")),
    UniqueConstraint("feed", "item_key"),
)

audiobook_feed_state = Table(
    "audiobook_feed_state",
    metadata,
    Column("url_key", String(64), primary_key=True),  # sha256 of the URL fetched
    Column("etag", Text),
    Column("last_modified", Text),
    Column("fetched_at", DateTime(timezone=True), nullable=False),
)

audiobook_google_cache = Table(
    "audiobook_google_cache",
    metadata,
    Column("query_key", String(64), primary_key=True),  # sha256 of the request
    Column("query", Text, nullable=False),
    Column("answer", JSON, nullable=False),
    Column("fetched_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
)

# Requests per API key and quota day; the key itself is never stored, only a hash.
audiobook_api_usage = Table(
    "audiobook_api_usage",
    metadata,
    Column("key_id", String(16), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("requests", Integer, nullable=False, server_default="0"),
    Column("exhausted_at", DateTime(timezone=True)),  # Google said the day's quota is spent
)

# One refresh pass over the books a job covers; a run that stops at the quota leaves
# its cycle open, and the next run of the job continues it.
audiobook_refresh_cycles = Table(
    "audiobook_refresh_cycles",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job", String(32), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("stopped_at_book", Integer),  # where the last run of the cycle stopped
    Column("stopped_reason", Text),
    Index(None, "job", "finished_at"),
)

audiobook_reviews = Table(
    "audiobook_reviews",
    metadata,
    Column("book_id", Integer, ForeignKey("audiobook_books.id"), primary_key=True),
    Column("volume_id", String(32), primary_key=True),
    Column("score", Float, nullable=False),
    Column("reason", Text, nullable=False),
    Column("candidate", JSON, nullable=False),  # the volume's fields, as they would merge
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("resolution", String(16)),  # None (open) | applied | rejected
    Column("resolved_at", DateTime(timezone=True)),
)

audiobook_handoffs = Table(
    "audiobook_handoffs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("book_id", Integer, ForeignKey("audiobook_books.id"), nullable=False),
    Column("link", Text, nullable=False),
    Column("link_key", String(64), nullable=False, unique=True),  # sha256 of the link
    Column("client", String(64), nullable=False),  # the download-client block
    Column("status", String(16), nullable=False),  # claimed | added
    Column("claimed_at", DateTime(timezone=True), nullable=False),
    Column("added_at", DateTime(timezone=True)),
)

TABLES = (
    audiobook_authors,
    audiobook_series,
    audiobook_books,
    audiobook_book_authors,
    audiobook_field_sources,
    audiobook_tasks,
    audiobook_failed_attempts,
    audiobook_feed_items,
    audiobook_feed_state,
    audiobook_google_cache,
    audiobook_api_usage,
    audiobook_refresh_cycles,
    audiobook_reviews,
    audiobook_handoffs,
)
