"""Matching decisions: exact only on identifiers the answer really carries, title/author
only above the threshold with authors and language agreeing, the rest to review."""

from __future__ import annotations

from flows.audiobooks.matching import TITLE_THRESHOLD, decide, language
from infra.sandbox.services.googlebooks.client import volume


def _answer(*volumes: dict, ids: tuple[str, ...] = ()) -> dict:
    items = [{**v, "id": ids[i] if i < len(ids) else f"v{i}"} for i, v in enumerate(volumes)]
    return {"kind": "books#volumes", "totalItems": len(items), "items": items}


MARTIAN = {"title": "The Martian", "authors": ["Andy Weir"], "language": "en"}


def test_exact_isbn_only_when_the_answer_carries_it() -> None:
    book = {**MARTIAN, "isbn_10": "0804139024"}
    same = decide(book, _answer(volume("The Martian", ["Andy Weir"], isbn_13="9780804139021")))
    assert same.kind == "exact" and same.volume_id == "v0"
    other_edition = _answer(volume("The Martian", ["Andy Weir"], isbn_13="9780553418026"))
    decision = decide(book, other_edition)
    assert decision.kind == "review" and "another edition" in decision.reason


def test_exact_asin_among_other_identifiers() -> None:
    v = volume("The Martian", ["Andy Weir"])
    v["volumeInfo"]["industryIdentifiers"] = [{"type": "OTHER", "identifier": "ASIN:B00EMXBDMA"}]
    assert decide({**MARTIAN, "asin": "B00EMXBDMA"}, _answer(v)).kind == "exact"


def test_title_match_needs_threshold_authors_and_language() -> None:
    good = decide(
        {**MARTIAN, "title": "The Martian (Unabridged)"},
        _answer(volume("Martian, The", ["Weir, Andy"])),
    )
    assert good.kind == "match" and good.score >= TITLE_THRESHOLD
    german = decide(MARTIAN, _answer(volume("The Martian", ["Andy Weir"], language="de")))
    assert german.kind == "review" and "language en vs de" in german.reason
    other_author = decide(MARTIAN, _answer(volume("The Martian", ["Someone Else"])))
    assert other_author.kind == "none"
    fuzzy = decide(
        {"title": "The Way of Kings", "authors": ["Brandon Sanderson"]},
        _answer(volume("The Way of Kings, Part One", ["Brandon Sanderson"])),
    )
    assert fuzzy.kind == "review" and fuzzy.score < TITLE_THRESHOLD


def test_best_candidate_wins_and_no_items_is_no_match() -> None:
    answer = _answer(
        volume("The Martian Chronicles", ["Ray Bradbury"]),
        volume("The Martian", ["Andy Weir"]),
        ids=("bradbury", "weir"),
    )
    assert decide(MARTIAN, answer).volume_id == "weir"
    empty = decide(MARTIAN, {"kind": "books#volumes", "totalItems": 0})
    assert empty.kind == "none" and "no items" in empty.reason


def test_one_word_title_is_never_guessed() -> None:
    book = {"title": "Artemis", "authors": ["Andy Weir"]}
    assert decide(book, _answer(volume("Artemis", ["Andy Weir"]))).kind == "match"
    near = decide(book, _answer(volume("Artemis Fowl", ["Andy Weir"])))
    assert near.kind in ("review", "none") and near.kind != "match"
    typo = decide(book, _answer(volume("Artemus", ["Andy Weir"])))
    assert typo.kind != "match"
    nobody = decide({"title": "Artemis", "authors": []}, _answer(volume("Artemis", ["Andy Weir"])))
    assert nobody.kind == "review" and "no author" in nobody.reason


def test_language_codes() -> None:
    assert [language(x) for x in ("en", "eng", "en-US", "English", "", "xyz")] == [
        "en",
        "en",
        "en",
        "en",
        None,
        None,
    ]
