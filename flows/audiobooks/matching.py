"""Which volume of a Google Books answer, if any, is this book, and how sure we are.

- Exact: the book's ISBN (compared as ISBN-13) or ASIN is among the volume's
  `industryIdentifiers`. An `isbn:` search can answer with another edition, so the
  answer's identifiers are checked; the search having been by ISBN proves nothing.
- Title / author: rapidfuzz's token_sort_ratio of the normalised titles
  (`names.title_key`, of the volume's title and of title + subtitle, the better one)
  must reach TITLE_THRESHOLD, an author of the book must be among the volume's
  (`names.name_key`, AUTHOR_THRESHOLD), and the languages must agree when both are
  known. Only then is the volume applied.
- A one-word title ("Artemis") says too little for a fuzzy score: it needs the exact
  title key and an agreeing author.
- Anything short of that but plausible (title score at least REVIEW_FLOOR, and no author
  known to disagree) goes to the review list; nothing is written for it.
- A book that has an ISBN and got only other editions is never applied automatically
  (their ISBNs would replace the book's): at best it is a review item.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from rapidfuzz import fuzz

from flows.audiobooks.isbn import asin, isbn13
from flows.audiobooks.names import name_key, title_key

#: A title / author match is applied at or above this title score (0..100): a typo or
#: an edition marker passes, another book of the series ("The Well of Ascension" vs
#: "The Hero of Ages", about 50) does not.
TITLE_THRESHOLD = 90.0
#: Below the threshold but at least this: a candidate for the review list.
REVIEW_FLOOR = 60.0
#: Two author names agree at or above this score ("J.R.R. Tolkien" / "J. R. R. Tolkien").
AUTHOR_THRESHOLD = 85.0

Kind = Literal["exact", "match", "review", "none"]
_LANGUAGES = {"eng": "en", "ger": "de", "deu": "de", "fre": "fr", "fra": "fr", "spa": "es"}
_LANG_NAMES = {"english": "en", "german": "de", "deutsch": "de", "french": "fr", "spanish": "es"}


@dataclass(frozen=True)
class Decision:
    kind: Kind
    volume: dict[str, Any] | None = None
    score: float = 0.0
    reason: str = ""

    @property
    def volume_id(self) -> str | None:
        return self.volume.get("id") if self.volume else None


def language(code: str | None) -> str | None:
    """ "en", "eng", "en-US", "English" -> "en"; None when unknown."""
    text = (code or "").strip().lower()
    if not text:
        return None
    if text in _LANG_NAMES:
        return _LANG_NAMES[text]
    base = text.replace("_", "-").split("-")[0]
    return _LANGUAGES.get(base, base if len(base) == 2 else None)


def identifiers(volume: Mapping[str, Any]) -> tuple[set[str], set[str]]:
    """(ISBN-13s, other identifiers upper-cased) of a volume."""
    isbns: set[str] = set()
    others: set[str] = set()
    for entry in (volume.get("volumeInfo") or {}).get("industryIdentifiers") or []:
        value = str(entry.get("identifier") or "")
        if entry.get("type") in ("ISBN_10", "ISBN_13"):
            if found := isbn13(value):
                isbns.add(found)
        else:
            others.add(value.upper().split(":")[-1])
    return isbns, others


def title_score(title: str, volume: Mapping[str, Any]) -> float:
    info = volume.get("volumeInfo") or {}
    mine = title_key(title)
    theirs = [title_key(info.get("title") or "")]
    if info.get("subtitle"):
        theirs.append(title_key(f"{info.get('title') or ''}: {info['subtitle']}"))
    return max(fuzz.token_sort_ratio(mine, t) for t in theirs if t) if any(theirs) else 0.0


def authors_agree(authors: list[str], volume: Mapping[str, Any]) -> bool | None:
    """True/False, or None when either side names no author."""
    mine = [name_key(a) for a in authors or [] if a and a.strip()]
    theirs = [name_key(a) for a in (volume.get("volumeInfo") or {}).get("authors") or [] if a]
    if not mine or not theirs:
        return None
    return any(fuzz.token_sort_ratio(a, b) >= AUTHOR_THRESHOLD for a in mine for b in theirs)


def decide(book: Mapping[str, Any], answer: Mapping[str, Any]) -> Decision:
    """The decision for one book (title, authors, language, isbn_13/isbn_10, asin) and
    the answer its search got."""
    items = [v for v in answer.get("items") or [] if isinstance(v, dict) and v.get("id")]
    if not items:
        return Decision("none", reason="Google Books answered no items")
    book_isbn = isbn13(book.get("isbn_13")) or isbn13(book.get("isbn_10"))
    book_asin = asin(book.get("asin"))
    for volume in items:
        isbns, others = identifiers(volume)
        if book_isbn and book_isbn in isbns:
            return Decision("exact", volume, 100.0, f"ISBN {book_isbn}")
        if book_asin and book_asin in others:
            return Decision("exact", volume, 100.0, f"ASIN {book_asin}")

    one_word = len(title_key(book.get("title") or "").split()) == 1
    my_lang = language(book.get("language"))
    best: tuple[tuple[int, float], Decision] | None = None
    for volume in items:
        score = title_score(book.get("title") or "", volume)
        agree = authors_agree(book.get("authors") or [], volume)
        their_lang = language((volume.get("volumeInfo") or {}).get("language"))
        problems = []
        if score < TITLE_THRESHOLD:
            problems.append(f"title score {score:.0f} < {TITLE_THRESHOLD:.0f}")
        if one_word and title_key(book.get("title") or "") != title_key(
            (volume.get("volumeInfo") or {}).get("title") or ""
        ):
            problems.append("a one-word title needs the exact title")
        if agree is not True:
            problems.append("authors differ" if agree is False else "no author to compare")
        if my_lang and their_lang and my_lang != their_lang:
            problems.append(f"language {my_lang} vs {their_lang}")
        if book_isbn:
            isbns, _ = identifiers(volume)
            shown = ", ".join(sorted(isbns)) or "none"
            problems.append(f"another edition (ISBN {book_isbn} not among its ISBNs: {shown})")
        if not problems:
            decision = Decision("match", volume, score, f"title score {score:.0f}, authors agree")
            rank = (2, score)
        elif score >= REVIEW_FLOOR and agree is not False:
            decision = Decision("review", volume, score, "; ".join(problems))
            rank = (1, score)
        else:
            decision = Decision("none", None, score, "; ".join(problems))
            rank = (0, score)
        if best is None or rank > best[0]:
            best = (rank, decision)
    assert best is not None
    decision = best[1]
    if decision.kind == "none":
        return Decision("none", None, decision.score, f"no plausible volume ({decision.reason})")
    return decision
