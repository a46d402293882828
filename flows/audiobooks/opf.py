"""A book's fields from the `metadata.opf` beside its audio files.

Audiobookshelf and Calibre write this OPF package document (2.0, or 3.0 in newer
Calibre) when a user edits a book; it is the best description of a book the user
owns, better than any folder name, so the library import reads it first.

The two versions say the same things differently: OPF 2 puts a creator's role and an
identifier's scheme in `opf:` attributes and the series in Calibre's `<meta name=...>`;
OPF 3 says both through `<meta refines="#id" property=...>` and calls a series a
`belongs-to-collection`. Writers are loose about namespaces, so elements and
attributes are matched by local name.

The file comes from a folder anyone may have written to: entity declarations are
refused (no entity expansion bombs; ElementTree never fetches external ones), the
size is capped, and an identifier is only taken once its check digit is right.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from xml.parsers import expat

from flows.audiobooks.isbn import asin, isbn10, isbn13
from flows.common.errors import PermanentError

MAX_BYTES = 2_000_000  # an OPF is a few kilobytes; anything this big is not one

# marc:relators codes (OPF 2 `opf:role`, OPF 3 `role` meta) the library keeps
AUTHOR_ROLES = {"aut", "author"}
NARRATOR_ROLES = {"nrt", "narrator", "prf"}

# ONIX code list 5, which OPF 3 names through `identifier-type`: 02 ISBN-10, 15 ISBN-13
_ONIX_ISBN = {"02", "15"}

# ISO 639-2 and English names of the languages most audiobooks are in -> ISO 639-1,
# the form Google Books answers with (the matching compares languages)
_LANGUAGES = {
    "eng": "en", "english": "en", "ger": "de", "deu": "de", "german": "de",
    "fre": "fr", "fra": "fr", "french": "fr", "spa": "es", "spanish": "es",
    "ita": "it", "italian": "it", "dut": "nl", "nld": "nl", "dutch": "nl",
    "por": "pt", "portuguese": "pt", "rus": "ru", "russian": "ru", "jpn": "ja",
    "japanese": "ja", "chi": "zh", "zho": "zh", "chinese": "zh", "swe": "sv",
    "swedish": "sv", "nor": "no", "nob": "nb", "norwegian": "no", "dan": "da",
    "danish": "da", "fin": "fi", "finnish": "fi", "pol": "pl", "polish": "pl",
}  # fmt: skip

_DATE = re.compile(r"^(\d{4})(-\d{2})?(-\d{2})?")
_BLOCK_TAGS = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "blockquote"}


class OpfError(PermanentError):
    """A metadata.opf that cannot be read as one; the message names the file."""


@dataclass(frozen=True)
class OpfBook:
    """What an OPF says about a book: `fields` keyed as `tables.BOOK_FIELDS` (only the
    ones it gives), and `notes` on what it gave that was not taken (a bad ISBN)."""

    fields: dict[str, Any]
    notes: tuple[str, ...] = field(default=())


def read_opf(path: Path) -> OpfBook:
    """The book described by the OPF file at `path`; OpfError naming it otherwise."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise OpfError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise OpfError(f"{path}: larger than {MAX_BYTES} bytes; not a metadata.opf")
    return parse_opf(data, str(path))


def parse_opf(data: bytes | str, name: str) -> OpfBook:
    """The book described by an OPF document; `name` is what errors call it."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    root = _parse_xml(data, name)
    if _local(root.tag) != "package":
        raise OpfError(f"{name}: not an OPF package document (root is <{_local(root.tag)}>)")
    meta = next((e for e in root.iter() if _local(e.tag) == "metadata"), root)
    return _Reader(meta).book()


def _parse_xml(data: bytes, name: str) -> ET.Element:
    """ElementTree's tree, after a pass that refuses entity declarations (ElementTree
    itself would expand internal ones without bound)."""

    def refuse(entity: str, *_: object) -> None:
        raise OpfError(f"{name}: declares the entity {entity!r}; entities are not allowed")

    guard = expat.ParserCreate()
    guard.EntityDeclHandler = refuse
    try:
        guard.Parse(data, True)
        return ET.fromstring(data)
    except (expat.ExpatError, ET.ParseError) as exc:
        raise OpfError(f"{name}: not well-formed XML: {exc}") from None


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def _attr(element: ET.Element, local: str) -> str:
    """An attribute by local name, whatever prefix or namespace the writer gave it."""
    for key, value in element.attrib.items():
        if _local(key) == local:
            return value.strip()
    return ""


def _text(element: ET.Element) -> str:
    return " ".join("".join(element.itertext()).split())


class _Reader:
    def __init__(self, meta: ET.Element) -> None:
        self.elements = list(meta.iter())
        self.notes: list[str] = []
        # OPF 3: <meta refines="#id" property="role">nrt</meta> and its kin
        self.refines: dict[str, dict[str, str]] = {}
        self.named: dict[str, str] = {}  # OPF 2: <meta name=... content=...>
        for e in self.elements:
            if _local(e.tag) != "meta":
                continue
            if _attr(e, "refines"):
                target = _attr(e, "refines").lstrip("#")
                self.refines.setdefault(target, {}).setdefault(_attr(e, "property"), _text(e))
            elif _attr(e, "name"):
                self.named.setdefault(_attr(e, "name"), _attr(e, "content"))

    def _all(self, local: str) -> list[ET.Element]:
        return [e for e in self.elements if _local(e.tag) == local]

    def _refined(self, element: ET.Element, prop: str) -> str:
        return self.refines.get(_attr(element, "id"), {}).get(prop, "")

    def book(self) -> OpfBook:
        found: dict[str, Any] = {}
        title = self._title()
        if title:
            found["title"] = title
        authors, narrators = self._creators()
        if authors:
            found["authors"] = authors
        if narrators:
            found["narrators"] = narrators
        found.update(self._identifiers())
        for local, key in (("language", "language"), ("publisher", "publisher")):
            values = [_text(e) for e in self._all(local) if _text(e)]
            if values:
                found[key] = _language(values[0]) if key == "language" else values[0]
        date = self._date()
        if date:
            found["published_date"] = date
        descriptions = ["".join(e.itertext()) for e in self._all("description")]
        description = next((d for d in map(strip_html, descriptions) if d), "")
        if description:
            found["description"] = description
        found.update(self._series())
        return OpfBook(found, tuple(self.notes))

    def _title(self) -> str:
        titles = [e for e in self._all("title") if _text(e)]
        main = [e for e in titles if self._refined(e, "title-type") == "main"]
        return _text((main or titles)[0]) if titles else ""

    def _creators(self) -> tuple[list[str], list[str]]:
        authors: list[str] = []
        narrators: list[str] = []
        for e in self._all("creator"):
            name = _text(e)
            role = (_attr(e, "role") or self._refined(e, "role") or "aut").lower()
            if not name:
                continue
            if role in AUTHOR_ROLES and name not in authors:
                authors.append(name)
            elif role in NARRATOR_ROLES and name not in narrators:
                narrators.append(name)
        return authors, narrators

    def _identifiers(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for e in self._all("identifier"):
            raw = _text(e)
            scheme = (_attr(e, "scheme") or "").lower()
            value = raw
            prefix = re.match(r"^(?:urn:)?([a-z][a-z0-9_-]*):(.*)$", raw, re.IGNORECASE)
            if prefix and not scheme:
                scheme, value = prefix.group(1).lower(), prefix.group(2).strip()
            if not scheme and self._refined(e, "identifier-type") in _ONIX_ISBN:
                scheme = "isbn"
            if scheme == "isbn":
                full = isbn13(value)
                if full is None:
                    self.notes.append(f"identifier {raw!r} is not a valid ISBN; ignored")
                    continue
                found.setdefault("isbn_13", full)
                short = isbn10(full)
                if short:
                    found.setdefault("isbn_10", short)
            elif scheme in ("asin", "amazon", "mobi-asin", "audible", "audible_asin"):
                checked = asin(value)
                if checked is None:
                    self.notes.append(f"identifier {raw!r} is not an ASIN; ignored")
                    continue
                found.setdefault("asin", checked)
            elif scheme in ("google", "google_volume_id") and re.fullmatch(r"[\w-]{1,32}", value):
                found.setdefault("google_volume_id", value)
        return found

    def _date(self) -> str:
        # OPF 2 may date the file's creation and modification too; those are not the book's
        dates = self._all("date")
        for e in (d for d in dates if _attr(d, "event").lower() in ("", "publication")):
            match = _DATE.match(_text(e))
            # Calibre writes year 101 for "unknown"
            if match and int(match.group(1)) >= 1000:
                return match.group(0)
        return ""

    def _series(self) -> dict[str, Any]:
        name = self.named.get("calibre:series", "").strip()
        position = self.named.get("calibre:series_index", "")
        if not name:
            collections = [
                e for e in self._all("meta") if _attr(e, "property") == "belongs-to-collection"
            ]
            series = [e for e in collections if self._refined(e, "collection-type") == "series"]
            chosen = (series or collections or [None])[0]
            if chosen is not None:
                name = _text(chosen)
                position = self._refined(chosen, "group-position")
        if not name:
            return {}
        found: dict[str, Any] = {"series": name}
        number = parse_position(position)
        if number is not None:
            found["series_position"] = number
        elif position.strip():
            self.notes.append(f"series position {position!r} is not a number; ignored")
        return found


def parse_position(text: str | None) -> float | None:
    """A series position as written ("1", "1.0", "2.5"); None when it is not one."""
    try:
        number = float((text or "").strip())
    except ValueError:
        return None
    return number if 0 <= number < 100_000 else None


def _language(text: str) -> str:
    lowered = text.strip().lower()
    primary = re.split(r"[-_]", lowered, maxsplit=1)[0]
    return _LANGUAGES.get(lowered) or _LANGUAGES.get(primary) or primary[:16]


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def strip_html(text: str) -> str:
    """A description as plain text: tags off, entities decoded, one blank line
    between paragraphs (Calibre stores descriptions as HTML)."""
    parser = _TextOnly()
    parser.feed(text)
    parser.close()
    joined = html.unescape("".join(parser.parts))
    paragraphs = (" ".join(p.split()) for p in joined.split("\n"))
    return "\n\n".join(p for p in paragraphs if p)
