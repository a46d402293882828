"""Keys that make two spellings of one title, author or series compare equal.

"The Way of Kings (Unabridged)", "Way of Kings, The" and "the way of kings" are
one book to a reader; the keys are what the library's unique columns, the
matching and the folding of editions compare.
"""

from __future__ import annotations

import re
import unicodedata

# Edition and format markers that name the same work: dropped from title keys.
_MARKERS = re.compile(
    r"[\(\[](?:unabridged|abridged|dramati[sz]ed[^\)\]]*|audiobook|audio ?cd|"
    r"[^\)\]]*edition|book \d+|a novel|[^\)\]]*series[^\)\]]*)[\)\]]",
    re.IGNORECASE,
)
_SUFFIX = re.compile(r"\s*[:\-]\s*(?:a novel|unabridged|an audiobook)\s*$", re.IGNORECASE)
_ARTICLE_AT_END = re.compile(r",\s*(the|a|an)$", re.IGNORECASE)
_LEADING_ARTICLE = re.compile(r"^(the|a|an)\s+")


def fold(text: str) -> str:
    """Lower case, accents off, punctuation to spaces, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    plain = plain.replace("&", " and ").replace("'", "").replace("\u2019", "")
    return " ".join(re.sub(r"[^\w]+", " ", plain).split())


def title_key(title: str) -> str:
    """One key for every edition of a title."""
    text = _MARKERS.sub(" ", title)
    text = _SUFFIX.sub("", text.strip())
    text = _ARTICLE_AT_END.sub("", text.strip())
    return _LEADING_ARTICLE.sub("", fold(text))[:255]


def name_key(name: str) -> str:
    """One key for an author or series name: "Sanderson, Brandon" is "Brandon Sanderson"."""
    text = name.strip()
    if text.count(",") == 1:
        last, first = (part.strip() for part in text.split(","))
        if first and " " not in last:
            text = f"{first} {last}"
    return fold(text)[:255]
