"""metadata.opf as Audiobookshelf and Calibre write it: OPF 2, OPF 3, identifiers, bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.audiobooks.opf import OpfError, parse_opf, read_opf, strip_html
from flows.audiobooks.tables import BOOK_FIELDS

CALIBRE_OPF2 = """<?xml version='1.0' encoding='utf-8'?>
<package xmlns="http://www.idpf.org/2007/opf" unique-identifier="uuid_id" version="2.0">
  <metadata xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:opf="http://www.idpf.org/2007/opf">
    <dc:identifier opf:scheme="calibre" id="calibre_id">42</dc:identifier>
    <dc:identifier opf:scheme="uuid" id="uuid_id">7d1c3c5e-0000-4000-8000-0001</dc:identifier>
    <dc:title>The Final Empire</dc:title>
    <dc:creator opf:file-as="Sanderson, Brandon" opf:role="aut">Brandon Sanderson</dc:creator>
    <dc:creator opf:role="nrt">Michael Kramer</dc:creator>
    <dc:creator opf:role="edt">Moshe Feder</dc:creator>
    <dc:contributor opf:file-as="calibre" opf:role="bkp">calibre (7.4.0)</dc:contributor>
    <dc:date>2006-07-17T04:00:00+00:00</dc:date>
    <dc:description>&lt;div&gt;&lt;p&gt;A crew of thieves &amp;amp; a god.&lt;/p&gt;
      &lt;p&gt;Book &lt;b&gt;one&lt;/b&gt;.&lt;/p&gt;&lt;/div&gt;</dc:description>
    <dc:publisher>Tor Books</dc:publisher>
    <dc:identifier opf:scheme="ISBN">978-0-7653-1178-8</dc:identifier>
    <dc:identifier opf:scheme="ASIN">B002UZMLXM</dc:identifier>
    <dc:language>eng</dc:language>
    <meta name="calibre:series" content="Mistborn"/>
    <meta name="calibre:series_index" content="1.0"/>
    <meta name="calibre:timestamp" content="2024-02-03T10:00:00+00:00"/>
  </metadata>
  <guide><reference type="cover" title="Cover" href="cover.jpg"/></guide>
</package>
"""

OPF3 = """<?xml version="1.0" encoding="UTF-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="uid">
  <metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
    <dc:identifier id="uid">urn:uuid:0b8f0c52-1111-4000-8000-000000000002</dc:identifier>
    <dc:identifier>urn:isbn:9780765326355</dc:identifier>
    <dc:title id="sub">Book One of the Stormlight Archive</dc:title>
    <meta refines="#sub" property="title-type">subtitle</meta>
    <dc:title id="main">The Way of Kings</dc:title>
    <meta refines="#main" property="title-type">main</meta>
    <dc:creator id="c1">Brandon Sanderson</dc:creator>
    <meta refines="#c1" property="role" scheme="marc:relators">aut</meta>
    <dc:creator id="c2">Michael Kramer</dc:creator>
    <meta refines="#c2" property="role" scheme="marc:relators">nrt</meta>
    <dc:creator id="c3">Kate Reading</dc:creator>
    <meta refines="#c3" property="role" scheme="marc:relators">nrt</meta>
    <dc:language>en-US</dc:language>
    <dc:date>2010-08</dc:date>
    <meta property="belongs-to-collection" id="set">Cosmere</meta>
    <meta refines="#set" property="collection-type">set</meta>
    <meta property="belongs-to-collection" id="s1">The Stormlight Archive</meta>
    <meta refines="#s1" property="collection-type">series</meta>
    <meta refines="#s1" property="group-position">1</meta>
    <meta property="dcterms:modified">2024-01-01T00:00:00Z</meta>
  </metadata>
</package>
"""


def opf2_with(identifiers: str) -> str:
    return f"""<package xmlns="http://www.idpf.org/2007/opf" version="2.0">
      <metadata xmlns:dc="http://purl.org/dc/elements/1.1/"
                xmlns:opf="http://www.idpf.org/2007/opf">
        <dc:title>Some Book</dc:title>{identifiers}
      </metadata></package>"""


def test_calibre_opf2_gives_every_field_it_holds():
    book = parse_opf(CALIBRE_OPF2, "metadata.opf")
    assert book.fields == {
        "title": "The Final Empire",
        "authors": ["Brandon Sanderson"],
        "narrators": ["Michael Kramer"],  # the editor and calibre itself are not narrators
        "isbn_13": "9780765311788",
        "isbn_10": "076531178X",
        "asin": "B002UZMLXM",
        "language": "en",
        "publisher": "Tor Books",
        "published_date": "2006-07-17",
        "description": "A crew of thieves & a god.\n\nBook one.",
        "series": "Mistborn",
        "series_position": 1.0,
    }
    assert set(book.fields) <= set(BOOK_FIELDS)
    assert book.notes == ()


def test_opf3_roles_titles_and_series_through_refines():
    book = parse_opf(OPF3, "metadata.opf")
    assert book.fields["title"] == "The Way of Kings"  # the main title, not the subtitle
    assert book.fields["authors"] == ["Brandon Sanderson"]
    assert book.fields["narrators"] == ["Michael Kramer", "Kate Reading"]
    assert book.fields["isbn_13"] == "9780765326355"
    assert book.fields["language"] == "en"
    assert book.fields["published_date"] == "2010-08"
    # the collection typed "series" wins over the first collection (a set)
    assert book.fields["series"] == "The Stormlight Archive"
    assert book.fields["series_position"] == 1.0


def test_a_creator_without_a_role_is_an_author():
    book = parse_opf(
        """<package version="2.0"><metadata>
        <title>Egg</title><creator>Andy Weir</creator></metadata></package>""",
        "x.opf",
    )
    assert book.fields == {"title": "Egg", "authors": ["Andy Weir"]}


@pytest.mark.parametrize(
    ("identifiers", "expected"),
    [
        ('<dc:identifier opf:scheme="ISBN">0-7653-1178-X</dc:identifier>', "9780765311788"),
        ("<dc:identifier>urn:isbn:978-0-7653-1178-8</dc:identifier>", "9780765311788"),
        ("<dc:identifier>isbn:9780765311788</dc:identifier>", "9780765311788"),  # calibre OPF3
        (
            '<dc:identifier id="i">9780765311788</dc:identifier>'
            '<meta refines="#i" property="identifier-type" scheme="onix:codelist5">15</meta>',
            "9780765311788",
        ),
    ],
)
def test_isbn_in_each_spelling(identifiers, expected):
    assert parse_opf(opf2_with(identifiers), "m.opf").fields["isbn_13"] == expected


def test_a_wrong_check_digit_is_not_taken_and_is_noted():
    book = parse_opf(
        opf2_with('<dc:identifier opf:scheme="ISBN">9780765311789</dc:identifier>'), "m.opf"
    )
    assert "isbn_13" not in book.fields
    assert "isbn_10" not in book.fields
    assert book.notes == ("identifier '9780765311789' is not a valid ISBN; ignored",)


@pytest.mark.parametrize(
    "identifier",
    [
        '<dc:identifier opf:scheme="AMAZON">B002UZMLXM</dc:identifier>',
        "<dc:identifier>urn:asin:B002UZMLXM</dc:identifier>",
        "<dc:identifier>amazon:B002UZMLXM</dc:identifier>",
    ],
)
def test_asin_in_each_spelling(identifier):
    assert parse_opf(opf2_with(identifier), "m.opf").fields["asin"] == "B002UZMLXM"


def test_uuid_and_calibre_ids_are_not_book_identifiers():
    book = parse_opf(
        opf2_with(
            "<dc:identifier>urn:uuid:0b8f0c52-1111-4000-8000-000000000002</dc:identifier>"
            '<dc:identifier opf:scheme="calibre">17</dc:identifier>'
            '<dc:identifier opf:scheme="MOBI-ASIN">not-an-asin</dc:identifier>'
        ),
        "m.opf",
    )
    assert book.fields == {"title": "Some Book"}
    assert book.notes == ("identifier 'not-an-asin' is not an ASIN; ignored",)


def test_calibre_unknown_date_and_modification_dates_are_not_publication_dates():
    book = parse_opf(
        opf2_with(
            '<dc:date opf:event="modification">2024-01-01</dc:date>'
            "<dc:date>0101-01-01T00:00:00+00:00</dc:date>"
        ),
        "m.opf",
    )
    assert "published_date" not in book.fields


def test_a_series_position_that_is_not_a_number_is_noted():
    book = parse_opf(
        opf2_with(
            '<meta name="calibre:series" content="Mistborn"/>'
            '<meta name="calibre:series_index" content="first"/>'
        ),
        "m.opf",
    )
    assert book.fields["series"] == "Mistborn"
    assert "series_position" not in book.fields
    assert book.notes == ("series position 'first' is not a number; ignored",)


def test_broken_xml_is_an_error_naming_the_file(tmp_path: Path):
    path = tmp_path / "Andy Weir" / "Artemis" / "metadata.opf"
    path.parent.mkdir(parents=True)
    path.write_text("<package><metadata><dc:title>Artemis</dc:title>")
    with pytest.raises(OpfError) as caught:
        read_opf(path)
    assert str(caught.value).startswith(f"{path}: not well-formed XML")


def test_another_document_is_not_an_opf():
    with pytest.raises(
        OpfError, match=r"^cover\.xml: not an OPF package document \(root is <html>"
    ):
        parse_opf("<html><body/></html>", "cover.xml")


def test_entity_declarations_are_refused_before_any_expansion():
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE package [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        "<package><metadata><title>&b;</title></metadata></package>"
    )
    with pytest.raises(OpfError, match=r"^m\.opf: declares the entity 'a'"):
        parse_opf(bomb, "m.opf")


def test_external_entities_are_never_fetched(tmp_path: Path):
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read")
    doc = (
        f'<?xml version="1.0"?><!DOCTYPE package [<!ENTITY x SYSTEM "file://{secret}">]>'
        "<package><metadata><title>&x;</title></metadata></package>"
    )
    with pytest.raises(OpfError):
        parse_opf(doc, "m.opf")


def test_an_unreadable_or_huge_file_is_an_error_naming_it(tmp_path: Path):
    with pytest.raises(OpfError, match=r"missing\.opf: cannot read"):
        read_opf(tmp_path / "missing.opf")
    huge = tmp_path / "huge.opf"
    huge.write_bytes(b"<package>" + b" " * 2_000_001 + b"</package>")
    with pytest.raises(OpfError, match=r"huge\.opf: larger than"):
        read_opf(huge)


def test_strip_html_keeps_paragraphs_and_decodes_entities():
    assert strip_html("<p>One &amp; two</p>\n<p>Three<br/>four</p>") == (
        "One & two\n\nThree\n\nfour"
    )
    assert strip_html("plain   text") == "plain text"
