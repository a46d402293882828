"""The library as the user keeps it on disk: Author/Series/Title (or Author/Title)
folders of audio files, with a `metadata.opf` where Audiobookshelf or Calibre wrote one.

A book folder is a folder holding audio files or a metadata.opf (or disc folders,
"CD 1", "Disc 2", holding audio). The OPF is read first; the folder names give
what it does not: the title (a "1 - ", "Book 1 - " or "01. " prefix is the series
position), the series from the middle folder, the author from the top one. Every
field records where it came from ("opf" or "folder").

A re-import is cheap and safe to run daily: a book is found again by its folder
(origin key `library:<relative path>`), and only fields that the files themselves
set earlier (source opf or folder) and whose value changed are written. A value
Google Books or the user set, or a locked field, is never touched; a value that
vanished from the files is not cleared either (a half-written OPF must not wipe a
book). A folder that holds a book the library only wanted (series or author
completion, the catalogue) makes that book owned instead of adding a second one.

Nothing outside the root is read: symlinked folders are not followed, and a
symlinked metadata.opf is read only when it points inside the root.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.exc import InterfaceError, OperationalError

from flows.audiobooks.library import add_book, book, field_sources, writable, write_fields
from flows.audiobooks.names import name_key, title_key
from flows.audiobooks.opf import OpfError, parse_position, read_opf
from flows.audiobooks.tables import (
    audiobook_authors,
    audiobook_book_authors,
    audiobook_books,
)
from flows.audiobooks.taskrecords import JobRun
from flows.common.errors import ConfigError

AUDIO_SUFFIXES = frozenset({".mp3", ".m4b", ".m4a", ".flac", ".ogg", ".opus", ".aac"})
OPF_NAME = "metadata.opf"
ORIGIN = "library"
IMPORT_SOURCES = ("opf", "folder")  # the sources a re-import may replace
ORIGIN_KEY_LIMIT = 512  # audiobook_books.origin_key
REPORT_ROWS = 50  # books listed in the artifact; the counts cover all of them

_DISC = re.compile(r"^(?:cd|disc|disk|part)\s*\d+$", re.IGNORECASE)
# "1 - Title", "Book 1 - Title", "01. Title", "Vol. 2: Title", "1.5 - Title"; at most three
# digits, so "2001 - A Space Odyssey" or "1984" stay titles
_POSITION = re.compile(
    r"^(?:(?:book|bk\.?|vol(?:ume)?\.?|part|#)\s*)?(\d{1,3}(?:\.\d+)?)"
    r"\s*(?:[-\u2013\u2014]|[.:)](?=\s))\s*(?P<title>\S.*)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class BookFolder:
    relative: str  # '/'-separated, relative to the root
    path: Path
    opf: Path | None = None
    opf_refused: str | None = None  # why the metadata.opf there is not read


@dataclass
class LibraryWalk:
    books: list[BookFolder] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (relative path, why)
    skipped: list[str] = field(default_factory=list)  # what was not followed, and why


def walk_library(root: Path) -> LibraryWalk:
    """Every book folder under `root`, in name order; a book folder's subfolders are
    its own (discs), not books. Hidden and `@`-folders (Synology's @eaDir) are skipped."""
    root_real = root.resolve()
    found = LibraryWalk()
    stack: list[tuple[Path, str]] = [(root, "")]
    while stack:
        folder, relative = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            found.unreadable.append((relative or ".", f"cannot list the folder: {_why(exc)}"))
            continue
        audio = False
        opf: os.DirEntry | None = None
        subfolders: list[os.DirEntry] = []
        for entry in entries:
            if entry.name.startswith((".", "@")):
                continue
            try:
                if entry.name.lower() == OPF_NAME and entry.is_file():
                    opf = entry
                elif Path(entry.name).suffix.lower() in AUDIO_SUFFIXES and entry.is_file():
                    audio = True  # only the name counts: audio is never read
                elif entry.is_symlink():
                    if entry.is_dir():
                        found.skipped.append(
                            f"{_join(relative, entry.name)}: a symlink; not followed"
                        )
                elif entry.is_dir(follow_symlinks=False):
                    subfolders.append(entry)
            except OSError as exc:
                found.unreadable.append((_join(relative, entry.name), _why(exc)))
        if not audio and opf is None and relative:
            audio = any(_DISC.match(d.name) and _holds_audio(Path(d.path)) for d in subfolders)
        if (audio or opf is not None) and relative:
            found.books.append(_book_folder(root_real, folder, relative, opf))
            continue
        if audio or opf is not None:
            found.skipped.append(". (the root): audio files here belong in a book folder")
        stack.extend((Path(d.path), _join(relative, d.name)) for d in reversed(subfolders))
    return found


def _book_folder(
    root_real: Path, folder: Path, relative: str, opf: os.DirEntry | None
) -> BookFolder:
    if opf is None:
        return BookFolder(relative, folder)
    path = Path(opf.path)
    if opf.is_symlink() and not path.resolve().is_relative_to(root_real):
        return BookFolder(relative, folder, path, "a symlink out of the library root; not read")
    return BookFolder(relative, folder, path)


def _holds_audio(folder: Path) -> bool:
    try:
        with os.scandir(folder) as listing:
            return any(
                Path(e.name).suffix.lower() in AUDIO_SUFFIXES and e.is_file() for e in listing
            )
    except OSError:
        return False


def _join(relative: str, name: str) -> str:
    return f"{relative}/{name}" if relative else name


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


def split_position(name: str) -> tuple[float | None, str]:
    """A title folder's name as (series position, title): "1 - The Final Empire" is
    (1.0, "The Final Empire"); a name without a position prefix is (None, name)."""
    match = _POSITION.match(name.strip())
    if not match:
        return None, name.strip()
    return parse_position(match.group(1)), match.group("title").strip()


def split_authors(name: str) -> list[str]:
    """An author folder's name as names: "A & B", "A; B", "A, B" are two;
    "Sanderson, Brandon" is one, "Brandon Sanderson"."""
    names: list[str] = []
    for part in re.split(r"\s*(?:;|&)\s*", name.strip()):
        pieces = [p.strip() for p in part.split(",") if p.strip()]
        if len(pieces) == 2 and " " not in pieces[0]:
            names.append(f"{pieces[1]} {pieces[0]}")
        else:
            names.extend(pieces)
    return names


def folder_fields(relative: str) -> dict[str, Any]:
    """What the folder names say: Author/Series/Title, Author/Title or Title (deeper
    trees, such as Genre/Author/Series/Title, are read from the last three names)."""
    parts = relative.split("/")
    position, title = split_position(parts[-1])
    found: dict[str, Any] = {"title": title or parts[-1]}
    if len(parts) >= 2:
        found["authors"] = split_authors(parts[-3] if len(parts) >= 3 else parts[-2])
    if len(parts) >= 3:
        found["series"] = parts[-2].strip()
        if position is not None:
            found["series_position"] = position
    return found


def merged_fields(folder: dict[str, Any], opf: dict[str, Any]) -> dict[str, tuple[Any, str]]:
    """field -> (value, source): the OPF's value where it has one, else the folder's.

    A folder's position belongs to the folder's series: when the OPF names another
    series without a position, the folder's position is dropped.
    """
    found = {f: (v, "folder") for f, v in folder.items() if v not in (None, "", [])}
    found.update({f: (v, "opf") for f, v in opf.items() if v not in (None, "", [])})
    if (
        "series" in opf
        and "series_position" not in opf
        and name_key(opf["series"]) != name_key(folder.get("series") or "")
    ):
        found.pop("series_position", None)
    return found


def origin_key(relative: str) -> str:
    """`library:<relative path>`; names are NFC so a share mounted from macOS (NFD
    names) finds the same books, and a path too long for the column ends in its hash."""
    text = unicodedata.normalize("NFC", relative)
    key = f"{ORIGIN}:{text}"
    if len(key) <= ORIGIN_KEY_LIMIT:
        return key
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    return f"{key[: ORIGIN_KEY_LIMIT - 17]}#{digest}"


@dataclass
class ImportReport:
    """What an import did, per book folder; `summary` is the run's one line."""

    root: str
    added: list[str] = field(default_factory=list)
    updated: dict[str, list[str]] = field(default_factory=dict)  # relative path -> fields
    unchanged: list[str] = field(default_factory=list)
    now_owned: list[str] = field(default_factory=list)  # wanted books found in the library
    failed: list[tuple[str, str]] = field(default_factory=list)  # (item, error)
    skipped: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # imported before, folder gone now

    @property
    def books(self) -> int:
        return len(self.added) + len(self.updated) + len(self.unchanged)

    @property
    def summary(self) -> str:
        text = (
            f"library: {self.books} book(s): {len(self.added)} added, "
            f"{len(self.updated)} updated, {len(self.unchanged)} unchanged; "
            f"{len(self.failed)} failed"
        )
        if self.now_owned:
            text += f"; {len(self.now_owned)} wanted book(s) now owned"
        if self.missing:
            text += f"; {len(self.missing)} folder(s) gone"
        return text

    def markdown(self) -> str:
        """The artifact's tables: the books that changed, then what failed."""
        from flows.common.artifacts import markdown_table

        changed = [(p, "added", "") for p in self.added]
        changed += [(p, "updated", ", ".join(f)) for p, f in self.updated.items()]
        changed.sort()
        parts = [f"Library root: `{self.root}`"]
        if changed:
            parts.append(markdown_table(("folder", "change", "fields"), changed[:REPORT_ROWS]))
            if len(changed) > REPORT_ROWS:
                parts.append(f"... and {len(changed) - REPORT_ROWS} more")
        if self.failed:
            parts.append("Failed:\n\n" + markdown_table(("item", "error"), self.failed))
        if self.now_owned:
            parts.append("Wanted books now owned: " + ", ".join(self.now_owned))
        if self.missing:
            parts.append(
                "Imported before but no longer on disk (kept): " + ", ".join(self.missing[:20])
            )
        if self.skipped:
            parts.append("Not followed: " + "; ".join(self.skipped[:20]))
        return "\n\n".join(parts)

    def data(self) -> dict[str, Any]:
        return {
            "added": len(self.added),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "failed": len(self.failed),
            "now_owned": len(self.now_owned),
        }


def check_root(root: Path | str) -> Path:
    """The library root as a Path; ConfigError naming it when it is not a folder
    (a missing mount must fail the run, not look like an empty library)."""
    path = Path(root).expanduser()
    if not path.is_dir():
        raise ConfigError(f"library root {str(path)!r} is not a folder")
    return path


def import_library(engine: Engine, root: Path, run: JobRun) -> ImportReport:
    """Import every book folder under `root` into the library (one transaction per
    book). A broken metadata.opf or an unreadable folder is a failed attempt naming
    it, and the rest goes on; the book of a broken OPF is imported from its names."""
    root = check_root(root)
    report = ImportReport(root=str(root))
    walked = walk_library(root)
    report.skipped = walked.skipped
    for line in walked.skipped:
        run.log(f"skipped: {line}")
    for relative, why in walked.unreadable:
        report.failed.append((relative, why))
        run.failure(relative, why)
    seen: set[str] = set()
    for folder in walked.books:
        seen.add(origin_key(folder.relative))
        opf_failure = _import_folder(engine, folder, run, report)
        if opf_failure is not None:
            report.failed.append(opf_failure)
            run.failure(*opf_failure)
    report.missing = _missing(engine, seen) if not walked.unreadable else []
    return report


def _import_folder(
    engine: Engine, folder: BookFolder, run: JobRun, report: ImportReport
) -> tuple[str, str] | None:
    """Import one book; returns the OPF's failure (item, error) when it had one."""
    opf_fields: dict[str, Any] = {}
    opf_failure: tuple[str, str] | None = None
    if folder.opf is not None:
        opf_item = _join(folder.relative, folder.opf.name)
        if folder.opf_refused:
            opf_failure = (opf_item, folder.opf_refused)
        else:
            try:
                parsed = read_opf(folder.opf)
            except OpfError as exc:
                opf_failure = (opf_item, str(exc).replace(str(folder.opf), opf_item, 1))
            else:
                opf_fields = parsed.fields
                for note in parsed.notes:
                    run.log(f"{opf_item}: {note}")
    values = merged_fields(folder_fields(folder.relative), opf_fields)
    try:
        with engine.begin() as conn:
            action, changed = _store(
                conn, origin_key(folder.relative), values, keep_opf=opf_failure is not None
            )
    except (OperationalError, InterfaceError):
        raise  # the database itself is gone: every book would fail the same way
    except Exception as exc:  # one bad book must not sink the import
        report.failed.append((folder.relative, f"{type(exc).__name__}: {exc}"))
        run.failure(folder.relative, exc)
        return opf_failure
    if action == "added":
        report.added.append(folder.relative)
    elif action == "owned":
        report.now_owned.append(folder.relative)
        report.updated[folder.relative] = ["status", *changed]
    elif changed:
        report.updated[folder.relative] = changed
    else:
        report.unchanged.append(folder.relative)
    if opf_failure is None:
        run.ok()
    return opf_failure


def _store(
    conn: Connection, key: str, values: dict[str, tuple[Any, str]], *, keep_opf: bool
) -> tuple[str, list[str]]:
    """("added" | "owned" | "found", fields written) for one book folder."""
    book_id = conn.execute(
        select(audiobook_books.c.id).where(audiobook_books.c.origin_key == key)
    ).scalar()
    action = "found"
    if book_id is None:
        book_id = _wanted_match(conn, values)
        if book_id is None:
            book_id, _ = add_book(
                conn,
                {f: v for f, (v, _src) in values.items()},
                status="owned",
                origin=ORIGIN,
                origin_key=key,
                source="folder",
            )
            opf_values = {f: v for f, (v, src) in values.items() if src == "opf"}
            if opf_values:
                write_fields(conn, book_id, opf_values, "opf")
            return "added", sorted(values)
        conn.execute(
            update(audiobook_books)
            .where(audiobook_books.c.id == book_id)
            .values(status="owned", origin=ORIGIN, origin_key=key)
        )
        action = "owned"
    return action, _update(conn, book_id, values, keep_opf=keep_opf)


def _update(
    conn: Connection, book_id: int, values: dict[str, tuple[Any, str]], *, keep_opf: bool
) -> list[str]:
    """Write the fields the files set before (or nobody set) whose value changed.

    With `keep_opf` (the OPF did not parse this time) a field the OPF set stays as it
    is: the folder names must not replace what a good OPF said.
    """
    current = book(conn, book_id) or {}
    sources = field_sources(conn, book_id)
    by_source: dict[str, dict[str, Any]] = {}
    for name, (value, source) in values.items():
        now = sources.get(name)
        if now is not None and now.source not in IMPORT_SOURCES:
            continue  # Google's, the feed's or the user's
        if not writable(now, source) or (keep_opf and now is not None and now.source == "opf"):
            continue
        if _same(name, current.get(name), value):
            continue
        by_source.setdefault(source, {})[name] = value
    written: list[str] = []
    for source, group in by_source.items():
        written += write_fields(conn, book_id, group, source)
    return sorted(written)


def _same(name: str, old: Any, new: Any) -> bool:
    if name == "series":
        return bool(old) and name_key(old) == name_key(new)
    if name in ("authors", "narrators"):
        return [a.strip() for a in old or []] == [a.strip() for a in new or []]
    if name == "series_position":
        return old is not None and abs(float(old) - float(new)) < 1e-9
    return old == new


def _wanted_match(conn: Connection, values: dict[str, tuple[Any, str]]) -> int | None:
    """A wanted book this folder holds: same ISBN-13 or ASIN, or same title and an
    author in common (a title alone is not enough: "Egg" is many books)."""
    wanted = audiobook_books.c.status == "wanted"
    for column in ("isbn_13", "asin"):
        if column in values:
            found = conn.execute(
                select(audiobook_books.c.id)
                .where(wanted & (audiobook_books.c[column] == values[column][0]))
                .order_by(audiobook_books.c.id)
            ).scalar()
            if found is not None:
                return found
    authors = {name_key(a) for a in values.get("authors", ([], ""))[0]}
    if not authors:
        return None
    return conn.execute(
        select(audiobook_books.c.id)
        .join(audiobook_book_authors, audiobook_book_authors.c.book_id == audiobook_books.c.id)
        .join(audiobook_authors, audiobook_authors.c.id == audiobook_book_authors.c.author_id)
        .where(
            wanted
            & (audiobook_books.c.title_key == title_key(values["title"][0]))
            & audiobook_authors.c.name_key.in_(authors)
        )
        .order_by(audiobook_books.c.id)
    ).scalar()


def _missing(engine: Engine, seen: set[str]) -> list[str]:
    with engine.connect() as conn:
        keys = conn.execute(
            select(audiobook_books.c.origin_key).where(audiobook_books.c.origin == ORIGIN)
        ).scalars()
        return sorted(k.removeprefix(f"{ORIGIN}:") for k in keys if k not in seen)
