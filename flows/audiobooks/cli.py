"""`python -m flows.audiobooks.cli`: the library and the jobs' records from a shell.

The commands a user needs between runs: list and inspect books, correct a field
(the correction is the user's, so no Google refresh overwrites it), lock or unlock
fields, read the task records and their statistics, and import the library by hand.

The app database is `--db-url`, else `APP_DB_URL`, else the `app-db` block. A
request that cannot be met (no such book or field, a bad value) prints one line to
stderr and exits 2; a database that cannot be reached exits 1.

A command is a function `(engine, args, out) -> None` and a few lines in
`build_parser`; raise `CliError` (or `LibraryError`) to refuse.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Engine, exists, or_, select

from flows.audiobooks.isbn import asin, isbn10, isbn13
from flows.audiobooks.library import LibraryError, book, field_sources, set_lock, write_fields
from flows.audiobooks.names import fold
from flows.audiobooks.tables import (
    BOOK_FIELDS,
    STATUSES,
    audiobook_authors,
    audiobook_book_authors,
    audiobook_books,
    audiobook_series,
)
from flows.common.cli import on_app_db, table
from flows.common.db import DB_URL_ENV
from flows.common.errors import ConfigError
from flows.common.times import as_utc, utcnow

IMPORT_TASK = "library-import"  # the task record of an import run by hand
SHOW_WIDTH = 72  # ... in `show`, which prints the longer ones whole with --full
LIST_FIELDS = ("authors", "narrators")


class CliError(Exception):
    """A request the command refuses; its message is the one line printed."""


Command = Callable[[Engine, argparse.Namespace, TextIO], None]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m flows.audiobooks.cli", description="The audiobook library."
    )
    parser.add_argument(
        "--db-url", help=f"SQLAlchemy URL of the app database (default: ${DB_URL_ENV}, else app-db)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("books", help="list books")
    p.add_argument("--status", choices=STATUSES)
    p.add_argument("--search", metavar="TEXT", help="in titles, authors and series")
    p.add_argument("--limit", type=int, default=200)
    p.set_defaults(run=books)

    p = sub.add_parser("show", help="every field of a book: value, source, lock")
    p.add_argument("book_id", type=int, metavar="BOOK_ID")
    p.add_argument("--full", action="store_true", help="values uncut")
    p.set_defaults(run=show)

    p = sub.add_parser("set", help="set a field (as the user: no refresh overwrites it)")
    p.add_argument("book_id", type=int, metavar="BOOK_ID")
    p.add_argument("field", metavar="FIELD", help=", ".join(BOOK_FIELDS))
    p.add_argument("value", metavar="VALUE", help='lists comma-separated; "" clears')
    p.set_defaults(run=set_field)

    for name, locked in (("lock", True), ("unlock", False)):
        p = sub.add_parser(name, help=f"{name} fields of a book")
        p.add_argument("book_id", type=int, metavar="BOOK_ID")
        p.add_argument("fields", nargs="+", metavar="FIELD")
        p.set_defaults(run=lock if locked else unlock)

    p = sub.add_parser("tasks", help="recent task records and per-job statistics")
    p.add_argument("--days", type=float, default=7)
    p.add_argument("--limit", type=int, default=20)
    p.set_defaults(run=tasks)

    p = sub.add_parser("import", help="import the library folder tree now")
    p.add_argument("path", type=Path, metavar="PATH")
    p.set_defaults(run=import_folder)

    p = sub.add_parser("review", help="matches waiting for review: list, apply, reject")
    p.add_argument("action", choices=["list", "apply", "reject"])
    p.add_argument("book_id", type=int, nargs="?")
    p.add_argument("volume_id", nargs="?")
    p.set_defaults(run=review)
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    args = build_parser().parse_args(argv)
    out = out or sys.stdout
    return on_app_db(
        args.db_url,
        lambda engine: args.run(engine, args, out),
        (CliError, LibraryError, ConfigError),
    )


# --- books ------------------------------------------------------------------------------


def books(engine: Engine, args: argparse.Namespace, out: TextIO) -> None:
    b = audiobook_books
    query = select(b, audiobook_series.c.name.label("series")).select_from(
        b.outerjoin(audiobook_series)
    )
    if args.status:
        query = query.where(b.c.status == args.status)
    if args.search:
        text = fold(args.search)
        by_author = exists().where(
            (audiobook_book_authors.c.book_id == b.c.id)
            & (audiobook_book_authors.c.author_id == audiobook_authors.c.id)
            & audiobook_authors.c.name_key.contains(text, autoescape=True)
        )
        query = query.where(
            or_(
                b.c.title_key.contains(text, autoescape=True),
                audiobook_series.c.name_key.contains(text, autoescape=True),
                by_author,
            )
        )
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(b.c.id).limit(args.limit)).mappings().all()
    table(
        out,
        ("id", "status", "title", "authors", "series", "isbn_13", "refreshed"),
        [
            (
                r["id"],
                r["status"],
                r["title"],
                ", ".join(r["authors"] or []),
                _series(r["series"], r["series_position"]),
                r["isbn_13"],
                _day(r["metadata_refreshed_at"]),
            )
            for r in rows
        ],
    )
    print(f"{len(rows)} book(s)", file=out)


def _series(name: str | None, position: float | None) -> str:
    if not name:
        return ""
    return f"{name} #{_number(position)}" if position is not None else name


def _number(value: float) -> str:
    return f"{value:g}"


def _day(moment: Any) -> str:
    return as_utc(moment).strftime("%Y-%m-%d") if moment else ""


# --- show / set / lock ------------------------------------------------------------------


def _book(conn, book_id: int) -> dict[str, Any]:
    found = book(conn, book_id)
    if found is None:
        raise CliError(f"no book with id {book_id}")
    return found


def show(engine: Engine, args: argparse.Namespace, out: TextIO) -> None:
    with engine.connect() as conn:
        found = _book(conn, args.book_id)
        sources = field_sources(conn, args.book_id)
    print(f"book {found['id']}: {found['status']}, from {found['origin_key']}", file=out)
    rows = []
    for name in BOOK_FIELDS:
        source = sources.get(name)
        rows.append(
            (
                name,
                _shown(found.get(name)),
                source.source if source else "",
                "locked" if source and source.locked else "",
            )
        )
    table(out, ("field", "value", "source", "lock"), rows, width=SHOW_WIDTH)
    for label, column in (
        ("added", "added_at"),
        ("metadata checked", "metadata_checked_at"),
        ("metadata refreshed", "metadata_refreshed_at"),
    ):
        moment = as_utc(found.get(column))
        print(f"{label}: {moment.isoformat(timespec='seconds') if moment else 'never'}", file=out)
    if args.full:
        for name, value, _source, _lock in rows:
            if len(value) > SHOW_WIDTH or "\n" in value:
                print(f"\n{name}:\n{value}", file=out)


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(value)
    if isinstance(value, float):
        return _number(value)
    return str(value)


def parse_value(field: str, text: str) -> Any:
    """VALUE as the field holds it; CliError naming the field when it cannot."""
    text = text.strip()
    if field in LIST_FIELDS:
        return [p.strip() for p in text.split(",") if p.strip()]
    if not text:
        if field == "title":
            raise CliError("title cannot be empty")
        return None
    if field == "series_position":
        try:
            number = float(text)
        except ValueError:
            raise CliError(f"series_position must be a number, got {text!r}") from None
        if not 0 <= number < 100_000:
            raise CliError(f"series_position out of range: {text!r}")
        return number
    if field == "duration_seconds":
        return _duration(text)
    checks = {"isbn_13": isbn13, "isbn_10": isbn10, "asin": asin}
    if field in checks:
        checked = checks[field](text)
        if checked is None:
            raise CliError(f"{text!r} is not a valid {field}")
        return checked
    if field == "published_date" and not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", text):
        raise CliError(f"published_date must be YYYY, YYYY-MM or YYYY-MM-DD, got {text!r}")
    if field == "language":
        if not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?", text):
            raise CliError(f"language must be a code such as en or en-GB, got {text!r}")
        return text.lower()
    if field == "google_volume_id" and not re.fullmatch(r"[\w-]{1,32}", text):
        raise CliError(f"google_volume_id must be a volume id, got {text!r}")
    return text


def _duration(text: str) -> int:
    """Seconds, or H:MM:SS / MM:SS."""
    parts = text.split(":")
    if len(parts) <= 3 and all(p.isdigit() for p in parts):
        seconds = 0
        for part in parts:
            seconds = seconds * 60 + int(part)
        return seconds
    raise CliError(f"duration_seconds must be seconds or H:MM:SS, got {text!r}")


def _field(name: str) -> str:
    if name not in BOOK_FIELDS:
        raise CliError(f"no field {name!r}; fields: {', '.join(BOOK_FIELDS)}")
    return name


def set_field(engine: Engine, args: argparse.Namespace, out: TextIO) -> None:
    name = _field(args.field)
    value = parse_value(name, args.value)
    with engine.begin() as conn:
        _book(conn, args.book_id)
        if not write_fields(conn, args.book_id, {name: value}, "user"):
            raise CliError(f"{name} of book {args.book_id} is locked; unlock it first")
        shown = _shown(book(conn, args.book_id).get(name))
    print(f"book {args.book_id}: {name} = {shown!r} (source: user)", file=out)


def _set_locks(engine: Engine, args: argparse.Namespace, out: TextIO, locked: bool) -> None:
    names = [_field(f) for f in args.fields]
    with engine.begin() as conn:
        _book(conn, args.book_id)
        for name in names:
            set_lock(conn, args.book_id, name, locked)
    verb = "locked" if locked else "unlocked"
    print(f"book {args.book_id}: {verb} {', '.join(names)}", file=out)


def lock(engine: Engine, args: argparse.Namespace, out: TextIO) -> None:
    _set_locks(engine, args, out, True)


def unlock(engine: Engine, args: argparse.Namespace, out: TextIO) -> None:
    _set_locks(engine, args, out, False)


# --- tasks ------------------------------------------------------------------------------


def tasks(engine: Engine, args: argparse.Namespace, out: TextIO) -> None:
    from flows.audiobooks.taskrecords import recent, stats

    if args.days <= 0 or args.limit < 1:
        raise CliError("--days must be positive and --limit at least 1")
    since = utcnow() - timedelta(days=args.days)
    records = recent(engine, since, args.limit)
    print(f"task records since {since:%Y-%m-%d %H:%M} UTC (newest first):", file=out)
    table(
        out,
        ("id", "job", "status", "started", "seconds", "items", "ok", "failed", "error"),
        [
            (
                r["id"],
                r["task_name"],
                r["status"],
                f"{r['actual_start']:%Y-%m-%d %H:%M:%S}",
                _seconds(r["duration_seconds"]),
                r["items_processed"],
                r["items_succeeded"],
                r["items_failed"],
                r["error_message"] or "",
            )
            for r in records
        ],
    )
    print("\nper job:", file=out)
    table(
        out,
        ("job", "runs", "success", "items", "failed items", "mean s", "max s"),
        [
            (
                s.task_name,
                s.runs,
                f"{s.success_rate:.0%}" if s.success_rate is not None else "",
                s.items,
                s.items_failed,
                _seconds(s.mean_seconds),
                _seconds(s.max_seconds),
            )
            for s in stats(engine, since)
        ],
    )


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


# --- import -----------------------------------------------------------------------------


def import_folder(engine: Engine, args: argparse.Namespace, out: TextIO) -> None:
    from flows.audiobooks.library_import import check_root, import_library
    from flows.audiobooks.taskrecords import JobRun

    root = check_root(args.path)
    run = JobRun(engine, IMPORT_TASK)
    try:
        report = import_library(engine, root, run)
    except BaseException as exc:
        run.fail(exc)
        raise
    run.complete()
    print(report.summary, file=out)
    for item, error in report.failed:
        print(f"  failed: {item}: {error}", file=out)


# --- output -----------------------------------------------------------------------------


# --- review -----------------------------------------------------------------------------


def review(engine: Engine, args: argparse.Namespace, out: TextIO) -> None:
    """The review list: title/author matches below the threshold, written nowhere until
    a person applies them."""
    from flows.audiobooks.review import apply_review, open_reviews, reject_review

    if args.action == "list":
        rows = open_reviews(engine)
        for r in rows:
            title = r["candidate"].get("title", "?")
            print(
                f"{r['book_id']}\t{r['volume_id']}\t{r['score']:.0f}\t{r['title']} -> "
                f"{title}\t{r['reason']}",
                file=out,
            )
        print(f"{len(rows)} open review(s)", file=out)
        return
    if args.book_id is None or not args.volume_id:
        raise CliError(f"review {args.action} needs BOOK_ID and VOLUME_ID (see review list)")
    if args.action == "apply":
        written = apply_review(engine, args.book_id, args.volume_id)
        print(f"book {args.book_id}: applied {args.volume_id}: {', '.join(written)}", file=out)
    else:
        reject_review(engine, args.book_id, args.volume_id)
        print(f"book {args.book_id}: rejected {args.volume_id}", file=out)


if __name__ == "__main__":
    raise SystemExit(main())
