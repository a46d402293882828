"""The review list: open items, applying one (through the library's rules), rejecting
one for good."""

from __future__ import annotations

import pytest

from flows.audiobooks import library
from flows.audiobooks.matching import Decision
from flows.audiobooks.review import apply_review, open_reviews, propose, reject_review
from infra.sandbox.services.googlebooks.client import volume
from tests.audiobooks.books_helpers import add_book


def _decision(volume_id: str, title: str) -> Decision:
    return Decision("review", {**volume(title, ["Andy Weir"]), "id": volume_id}, 75.0, "why")


def test_apply_and_reject(app_db) -> None:
    book_id = add_book(app_db, "Martian", ["Andy Weir"])
    with app_db.begin() as conn:
        library.set_lock(conn, book_id, "authors", True)
        assert propose(conn, book_id, _decision("a", "The Martian"))
        assert propose(conn, book_id, _decision("b", "The Martian Chronicles"))
        assert not propose(conn, book_id, _decision("a", "The Martian"))  # once per pair
    items = open_reviews(app_db)
    assert [(i["volume_id"], i["title"], i["score"]) for i in items] == [
        ("a", "Martian", 75.0),
        ("b", "Martian", 75.0),
    ]
    assert items[0]["candidate"]["title"] == "The Martian"
    written = apply_review(app_db, book_id, "a")
    assert "title" in written and "authors" not in written
    reject_review(app_db, book_id, "b")
    assert open_reviews(app_db) == []
    with app_db.begin() as conn:
        assert library.book(conn, book_id)["title"] == "The Martian"
        assert not propose(conn, book_id, _decision("b", "The Martian Chronicles"))
    with pytest.raises(library.LibraryError, match="already rejected"):
        reject_review(app_db, book_id, "b")
    with pytest.raises(library.LibraryError, match="no review item"):
        apply_review(app_db, book_id, "zzz")
