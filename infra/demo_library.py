"""A small audiobook library on disk, the way Audiobookshelf and Calibre leave one:
what `make demo` imports and the tests build in tmp_path.

It holds one of each case the import meets: Calibre-style OPF 2 files (one with
an ISBN, one without any identifier), an OPF 3 file, a book with no OPF at all, an
OPF that does not parse, and a book with no ISBN and a one-word title. Mistborn
has books 1, 2 and 4, so series completion finds 3 missing. Audio files are a few
placeholder bytes; nothing reads them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class DemoBook:
    folder: str  # relative to the library root
    title: str
    authors: tuple[str, ...]
    series: str | None = None
    position: float | None = None
    isbn_13: str | None = None
    opf: str | None = None  # "opf2", "opf3", "broken" or None
    audio: str = "book.m4b"


BOOKS = (
    DemoBook(
        "Brandon Sanderson/Mistborn/1 - The Final Empire",
        "The Final Empire",
        ("Brandon Sanderson",),
        "Mistborn",
        1,
        isbn_13="9780765311788",
        opf="opf2",
        audio="The Final Empire.m4b",
    ),
    DemoBook(
        "Brandon Sanderson/Mistborn/2 - The Well of Ascension",
        "The Well of Ascension",
        ("Brandon Sanderson",),
        "Mistborn",
        2,
        opf="opf2",
        audio="The Well of Ascension.m4b",
    ),
    DemoBook(
        "Brandon Sanderson/Mistborn/4 - The Alloy of Law",
        "The Alloy of Law",
        ("Brandon Sanderson",),
        "Mistborn",
        4,
        opf="opf2",
        audio="The Alloy of Law.m4b",
    ),
    DemoBook(
        "Brandon Sanderson/The Stormlight Archive/1 - The Way of Kings",
        "The Way of Kings",
        ("Brandon Sanderson",),
        "The Stormlight Archive",
        1,
        opf="opf3",
        audio="The Way of Kings.m4b",
    ),
    DemoBook("Andy Weir/The Martian", "The Martian", ("Andy Weir",), audio="The Martian.mp3"),
    DemoBook("Andy Weir/Artemis", "Artemis", ("Andy Weir",), opf="broken", audio="Artemis.m4b"),
    DemoBook("Andy Weir/Egg", "Egg", ("Andy Weir",), audio="Egg.mp3"),
)

# What each OPF says beyond the folder names (the demo's own words, not publishers' blurbs).
_NARRATOR = "Michael Kramer"
_DESCRIPTIONS = {
    "The Final Empire": "<p>A crew of thieves plans to rob a god.</p><p>Book one of "
    "<b>Mistborn</b>.</p>",
    "The Well of Ascension": "<p>The god is gone; holding the city is harder.</p>",
    "The Alloy of Law": "<p>Three hundred years later, a lawman comes home.</p>",
    "The Way of Kings": "<p>A war on the Shattered Plains, and storms.</p>",
}

_OPF2 = """<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://www.idpf.org/2007/opf" unique-identifier="uuid_id" version="2.0">
  <metadata xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:opf="http://www.idpf.org/2007/opf">
    <dc:title>{title}</dc:title>
    <dc:creator opf:file-as="{file_as}" opf:role="aut">{author}</dc:creator>
    <dc:creator opf:role="nrt">{narrator}</dc:creator>
    <dc:identifier opf:scheme="uuid" id="uuid_id">{uuid}</dc:identifier>{isbn}
    <dc:publisher>Tor</dc:publisher>
    <dc:date>{date}</dc:date>
    <dc:language>eng</dc:language>
    <dc:description>{description}</dc:description>
    <meta name="calibre:series" content="{series}"/>
    <meta name="calibre:series_index" content="{position}"/>
  </metadata>
</package>
"""

_OPF3 = """<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="uid">
  <metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
    <dc:identifier id="uid">urn:uuid:{uuid}</dc:identifier>
    <dc:title id="t1">{title}</dc:title>
    <meta refines="#t1" property="title-type">main</meta>
    <dc:creator id="c1">{author}</dc:creator>
    <meta refines="#c1" property="role" scheme="marc:relators">aut</meta>
    <dc:creator id="c2">{narrator}</dc:creator>
    <meta refines="#c2" property="role" scheme="marc:relators">nrt</meta>
    <dc:creator id="c3">Kate Reading</dc:creator>
    <meta refines="#c3" property="role" scheme="marc:relators">nrt</meta>
    <dc:language>en</dc:language>
    <dc:publisher>Tor</dc:publisher>
    <dc:date>{date}</dc:date>
    <dc:description>{description}</dc:description>
    <meta property="belongs-to-collection" id="s1">{series}</meta>
    <meta refines="#s1" property="collection-type">series</meta>
    <meta refines="#s1" property="group-position">{position}</meta>
    <meta property="dcterms:modified">2024-01-01T00:00:00Z</meta>
  </metadata>
</package>
"""

# cut off mid-element, as a crashed writer leaves a file
_BROKEN = """<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="2.0">
  <metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
    <dc:title>Artemis</dc:title>
    <dc:creator opf:role="aut">Andy Weir
"""

_DATES = {
    "The Final Empire": "2006-07-17T00:00:00+00:00",
    "The Well of Ascension": "2007-08-21",
    "The Alloy of Law": "2011-11-08",
    "The Way of Kings": "2010-08-31",
}


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def opf_text(demo: DemoBook) -> str:
    """The metadata.opf written for `demo` (empty when it has none)."""
    if demo.opf is None:
        return ""
    if demo.opf == "broken":
        return _BROKEN
    author = demo.authors[0]
    first, _, last = author.rpartition(" ")
    isbn = (
        f'\n    <dc:identifier opf:scheme="ISBN">{demo.isbn_13}</dc:identifier>'
        if demo.isbn_13
        else ""
    )
    template = _OPF3 if demo.opf == "opf3" else _OPF2
    return template.format(
        title=_escape(demo.title),
        author=_escape(author),
        file_as=_escape(f"{last}, {first}"),
        narrator=_NARRATOR,
        uuid=str(uuid.uuid5(uuid.NAMESPACE_URL, f"demo-library:{demo.folder}")),
        isbn=isbn,
        date=_DATES[demo.title],
        description=_escape(_DESCRIPTIONS[demo.title]),
        series=_escape(demo.series or ""),
        position=f"{demo.position:.1f}" if demo.opf == "opf2" else f"{demo.position:g}",
    )


def build(root: Path) -> Path:
    """Write the demo library under `root` (created if need be) and return `root`.
    Writing it again over itself restores every file."""
    root.mkdir(parents=True, exist_ok=True)
    for demo in BOOKS:
        folder = root / demo.folder
        folder.mkdir(parents=True, exist_ok=True)
        (folder / demo.audio).write_bytes(b"\x00demo audio\x00")
        text = opf_text(demo)
        if text:
            (folder / "metadata.opf").write_text(text, encoding="utf-8")
    return root
