"""Author completion: an author's other books become wanted.

For each author of an owned book, Google Books is searched `inauthor:"<name>"`, page by
page (40 a page), until a page brings no items: `totalItems` promises more than paging
reaches, so it is never trusted. Volumes are kept when the author agrees and the
language is one asked for (by default the languages of that author's owned books).
Editions fold by normalised title (`names.title_key`, of the title and of title +
subtitle), and titles the library has for that author, owned or wanted, are skipped.
A wanted book's origin key is the author and the title key, so a re-run adds nothing
twice. Every page goes through the same budget and cache as the refresh.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select

from flows.audiobooks import library
from flows.audiobooks.googlebooks import MAX_RESULTS, Books, Search
from flows.audiobooks.matching import authors_agree, language
from flows.audiobooks.merge import volume_values
from flows.audiobooks.names import name_key, title_key
from flows.audiobooks.tables import audiobook_authors, audiobook_book_authors, audiobook_books

MAX_PAGES = 10  # 400 volumes per author and language: past that Google's answers are noise


@dataclass(frozen=True)
class AuthorPlan:
    name: str
    languages: tuple[str, ...]  # empty: any language


@dataclass
class AuthorReport:
    author: str
    added: list[str] = field(default_factory=list)
    skipped: int = 0
    pages: int = 0
    requests: int = 0


def authors_to_complete(engine: Engine, languages: Sequence[str] | None = None) -> list[AuthorPlan]:
    """Every author of an owned book, with the languages to search in: `languages` when
    given, else the languages of that author's owned books (none known: any)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(audiobook_authors.c.name, audiobook_books.c.language)
            .join(
                audiobook_book_authors, audiobook_book_authors.c.author_id == audiobook_authors.c.id
            )
            .join(audiobook_books, audiobook_books.c.id == audiobook_book_authors.c.book_id)
            .where(audiobook_books.c.status == "owned")
            .order_by(audiobook_authors.c.name)
        ).all()
    found: dict[str, set[str]] = {}
    for name, lang in rows:
        found.setdefault(name, set())
        if code := language(lang):
            found[name].add(code)
    chosen = tuple(sorted({c for c in (language(x) for x in languages or []) if c}))
    return [AuthorPlan(n, chosen or tuple(sorted(langs))) for n, langs in found.items()]


def _known_titles(engine: Engine, author: str) -> set[str]:
    """Title keys of the author's books in the library, owned or wanted."""
    with engine.connect() as conn:
        return set(
            conn.execute(
                select(audiobook_books.c.title_key)
                .join(
                    audiobook_book_authors, audiobook_book_authors.c.book_id == audiobook_books.c.id
                )
                .join(
                    audiobook_authors, audiobook_authors.c.id == audiobook_book_authors.c.author_id
                )
                .where(audiobook_authors.c.name_key == name_key(author))
            ).scalars()
        )


def _keys(volume: dict[str, Any]) -> set[str]:
    info = volume.get("volumeInfo") or {}
    keys = {title_key(info.get("title") or "")}
    if info.get("subtitle"):
        keys.add(title_key(f"{info.get('title') or ''}: {info['subtitle']}"))
    return keys - {""}


def volumes_of(books: Books, plan: AuthorPlan, report: AuthorReport) -> list[dict[str, Any]]:
    """Every volume Google lists for the author, per language, until a page is empty."""
    found: list[dict[str, Any]] = []
    author = plan.name.replace('"', " ").strip()
    for lang in plan.languages or (None,):
        for page in range(MAX_PAGES):
            search = Search(
                f'inauthor:"{author}"',
                start_index=page * MAX_RESULTS,
                max_results=MAX_RESULTS,
                lang=lang,
            )
            answer, asked = books.answer(search)
            report.pages += 1
            report.requests += int(asked)
            items = [v for v in answer.get("items") or [] if isinstance(v, dict)]
            if not items:
                break
            found += items
    return found


def complete_author(engine: Engine, books: Books, plan: AuthorPlan) -> AuthorReport:
    """Add the author's books the library lacks as wanted; returns what was added.

    Raises QuotaExhausted / ConfigError / TransientError as `Books.answer` does.
    """
    report = AuthorReport(plan.name)
    known = _known_titles(engine, plan.name)
    seen: set[str] = set()
    for volume in volumes_of(books, plan, report):
        info = volume.get("volumeInfo") or {}
        keys = _keys(volume)
        lang = language(info.get("language"))
        if (
            not keys
            or authors_agree([plan.name], volume) is not True
            or (plan.languages and lang not in plan.languages)
            or keys & (known | seen)
        ):
            report.skipped += 1
            continue
        seen |= keys
        key = title_key(info.get("title") or "")
        values = volume_values(volume)
        with engine.begin() as conn:
            _, added = library.add_book(
                conn,
                values,
                status="wanted",
                origin="author",
                origin_key=f"author:{name_key(plan.name)}:{key}"[:512],
                source="google",
            )
        if added:
            report.added.append(values["title"])
    return report
