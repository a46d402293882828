"""ISBN-10 / ISBN-13 and ASIN, checked: a digit typed wrong must not make two books
"match exactly"."""

from __future__ import annotations

import re

_ASIN = re.compile(r"^B0[0-9A-Z]{8}$")


def _digits(text: str) -> str:
    return re.sub(r"[\s\-]", "", text or "").upper()


def isbn13(text: str | None) -> str | None:
    """The ISBN-13 of an ISBN-10 or ISBN-13 text, or None when it is not a valid one."""
    raw = _digits(text or "")
    if re.fullmatch(r"\d{9}[\dX]", raw):
        if sum((10 - i) * (10 if c == "X" else int(c)) for i, c in enumerate(raw)) % 11:
            return None
        core = "978" + raw[:9]
        check = (10 - sum((3 if i % 2 else 1) * int(c) for i, c in enumerate(core)) % 10) % 10
        return core + str(check)
    if re.fullmatch(r"97[89]\d{10}", raw):
        if sum((3 if i % 2 else 1) * int(c) for i, c in enumerate(raw)) % 10:
            return None
        return raw
    return None


def isbn10(text: str | None) -> str | None:
    """The ISBN-10 of a valid ISBN (only 978- ISBN-13s have one), else None."""
    full = isbn13(text)
    if full is None or not full.startswith("978"):
        return None
    core = full[3:12]
    check = (11 - sum((10 - i) * int(c) for i, c in enumerate(core)) % 11) % 11
    return core + ("X" if check == 10 else str(check))


def asin(text: str | None) -> str | None:
    """An Audible / Amazon ASIN ("B0" and eight letters or digits), else None."""
    raw = _digits(text or "")
    return raw if _ASIN.match(raw) else None
