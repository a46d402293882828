"""Merging a volume: its fields through the library's writes, locked and user-set fields
kept, unchanged values not rewritten, the refresh times stamped."""

from __future__ import annotations

from flows.audiobooks import library
from flows.audiobooks.merge import apply_values, volume_values
from infra.sandbox.services.googlebooks.client import volume
from tests.audiobooks.books_helpers import add_book

HAIL_MARY = {
    **volume(
        "Project Hail Mary",
        ["Andy Weir"],
        isbn_13="9780593135204",
        publisher="Ballantine Books",
        publishedDate="2021-05-04",
        description="A lone astronaut.",
        imageLinks={"thumbnail": "http://books.google.com/c?id=1", "large": "http://x/large"},
    ),
    "id": "hailmary1",
}


def test_volume_values() -> None:
    assert volume_values(HAIL_MARY) == {
        "title": "Project Hail Mary",
        "authors": ["Andy Weir"],
        "publisher": "Ballantine Books",
        "published_date": "2021-05-04",
        "description": "A lone astronaut.",
        "language": "en",
        "google_volume_id": "hailmary1",
        "isbn_13": "9780593135204",
        "isbn_10": "0593135202",
        "cover_url": "https://x/large",
    }


def test_locked_and_user_fields_survive_and_sources_recorded(app_db) -> None:
    book_id = add_book(app_db, "Hail Mary", ["Andy Weir"], publisher="My Publisher")
    with app_db.begin() as conn:
        library.write_fields(conn, book_id, {"description": "My own words"}, "user")
        library.set_lock(conn, book_id, "publisher", True)
        written = apply_values(conn, library.book(conn, book_id), volume_values(HAIL_MARY))
        after = library.book(conn, book_id)
        sources = library.field_sources(conn, book_id)
    assert "publisher" not in written and "description" not in written
    assert after["publisher"] == "My Publisher" and after["description"] == "My own words"
    assert after["title"] == "Project Hail Mary" and sources["title"].source == "google"
    assert after["metadata_refreshed_at"] is not None and after["metadata_checked_at"] is not None
    with app_db.begin() as conn:
        again = apply_values(conn, library.book(conn, book_id), volume_values(HAIL_MARY))
    assert again == []  # nothing new: nothing written
