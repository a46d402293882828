"""The library import on real folder trees, against SQLite and PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from flows.audiobooks.library import add_book, book, field_sources, set_lock, write_fields
from flows.audiobooks.library_import import (
    folder_fields,
    import_library,
    split_authors,
    split_position,
    walk_library,
)
from flows.audiobooks.tables import audiobook_books, audiobook_failed_attempts
from flows.audiobooks.taskrecords import JobRun
from flows.common.errors import ConfigError
from infra.demo_library import BOOKS, build

FINAL_EMPIRE = "Brandon Sanderson/Mistborn/1 - The Final Empire"


def run_import(engine: Engine, root: Path):
    run = JobRun(engine, "source-sync")
    report = import_library(engine, root, run)
    run.complete()
    return report, run


def book_at(engine: Engine, relative: str) -> dict:
    with engine.connect() as conn:
        book_id = conn.execute(
            select(audiobook_books.c.id).where(
                audiobook_books.c.origin_key == f"library:{relative}"
            )
        ).scalar_one()
        return {**book(conn, book_id), "sources": field_sources(conn, book_id)}


def book_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(audiobook_books)).scalar_one()


def failed_items(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(audiobook_failed_attempts.c.item, audiobook_failed_attempts.c.error).order_by(
                audiobook_failed_attempts.c.id
            )
        )
        return [tuple(r) for r in rows]


def write_opf(folder: Path, body: str) -> None:
    (folder / "metadata.opf").write_text(
        '<package xmlns="http://www.idpf.org/2007/opf" version="2.0">'
        '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:opf="http://www.idpf.org/2007/opf">' + body + "</metadata></package>"
    )


# --- folder names (no database) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("1 - The Final Empire", (1.0, "The Final Empire")),
        ("Book 2 - The Well of Ascension", (2.0, "The Well of Ascension")),
        ("01. The Way of Kings", (1.0, "The Way of Kings")),
        ("Vol. 3: Oathbringer", (3.0, "Oathbringer")),
        ("2.5 - Edgedancer", (2.5, "Edgedancer")),
        ("#4 - The Alloy of Law", (4.0, "The Alloy of Law")),
        ("1984", (None, "1984")),
        ("2001 - A Space Odyssey", (None, "2001 - A Space Odyssey")),
        ("3:10 to Yuma", (None, "3:10 to Yuma")),
        ("Egg", (None, "Egg")),
    ],
)
def test_title_folder_names(name, expected):
    assert split_position(name) == expected


def test_author_folder_names():
    assert split_authors("Brandon Sanderson") == ["Brandon Sanderson"]
    assert split_authors("Sanderson, Brandon") == ["Brandon Sanderson"]
    assert split_authors("Terry Pratchett & Neil Gaiman") == ["Terry Pratchett", "Neil Gaiman"]
    assert split_authors("Douglas Preston; Lincoln Child") == ["Douglas Preston", "Lincoln Child"]


def test_layouts():
    assert folder_fields("Andy Weir/The Martian") == {
        "title": "The Martian",
        "authors": ["Andy Weir"],
    }
    assert folder_fields("Brandon Sanderson/Mistborn/2 - The Well of Ascension") == {
        "title": "The Well of Ascension",
        "authors": ["Brandon Sanderson"],
        "series": "Mistborn",
        "series_position": 2.0,
    }
    # a position without a series folder says nothing; the prefix still leaves the title
    assert folder_fields("Andy Weir/1 - Project Hail Mary") == {
        "title": "Project Hail Mary",
        "authors": ["Andy Weir"],
    }
    assert folder_fields("Loose Book") == {"title": "Loose Book"}
    assert folder_fields("Fantasy/Brandon Sanderson/Mistborn/1 - The Final Empire") == {
        "title": "The Final Empire",
        "authors": ["Brandon Sanderson"],
        "series": "Mistborn",
        "series_position": 1.0,
    }


def test_walk_finds_book_folders_and_only_those(tmp_path: Path):
    root = tmp_path / "library"
    for folder, files in {
        "Andy Weir/The Martian": ["a.mp3", "cover.jpg"],
        "Andy Weir/Notes": ["readme.txt"],  # no audio, no opf: not a book
        "Andy Weir/Artemis": ["metadata.opf"],  # an opf alone makes a book
        "Neil Gaiman/American Gods/CD 1": ["01.mp3"],  # disc folders: the parent is the book
        "Neil Gaiman/American Gods/CD 2": ["01.mp3"],
        "Neil Gaiman/Good Omens/extras/deep": ["x.flac"],  # under a book folder? no: a book
        ".Trash/Old/Book": ["x.mp3"],
        "@eaDir/Thumbs": ["x.mp3"],
    }.items():
        (root / folder).mkdir(parents=True)
        for name in files:
            (root / folder / name).write_bytes(b"x")
    (root / "stray.mp3").write_bytes(b"x")
    walked = walk_library(root)
    assert [b.relative for b in walked.books] == [
        "Andy Weir/Artemis",
        "Andy Weir/The Martian",
        "Neil Gaiman/American Gods",
        "Neil Gaiman/Good Omens/extras/deep",
    ]
    assert walked.skipped == [". (the root): audio files here belong in a book folder"]


def test_a_missing_root_fails_the_run_instead_of_looking_empty(local_app_db, tmp_path: Path):
    run = JobRun(local_app_db.engine, "source-sync")
    with pytest.raises(ConfigError, match=r"library root .*nowhere.* is not a folder"):
        import_library(local_app_db.engine, tmp_path / "nowhere", run)


# --- the import, on both databases ------------------------------------------------------


def test_demo_library_imports_every_book_and_names_the_broken_opf(app_db: Engine, tmp_path):
    root = build(tmp_path / "library")
    report, run = run_import(app_db, root)

    assert sorted(report.added) == sorted(b.folder for b in BOOKS)
    assert report.failed == [
        (
            "Andy Weir/Artemis/metadata.opf",
            "Andy Weir/Artemis/metadata.opf: not well-formed XML: no element found: line 6, "
            "column 0",
        )
    ]
    assert report.summary == "library: 7 book(s): 7 added, 0 updated, 0 unchanged; 1 failed"
    assert (run.processed, run.succeeded, run.failed) == (7, 6, 1)
    assert failed_items(app_db) == [report.failed[0]]

    final_empire = book_at(app_db, FINAL_EMPIRE)
    assert final_empire["title"] == "The Final Empire"
    assert final_empire["isbn_13"] == "9780765311788"
    assert final_empire["narrators"] == ["Michael Kramer"]
    assert (final_empire["series"], final_empire["series_position"]) == ("Mistborn", 1.0)
    assert final_empire["status"] == "owned"
    assert final_empire["origin"] == "library"
    assert {f: s.source for f, s in final_empire["sources"].items()} == {
        f: "opf"
        for f in (
            "title",
            "authors",
            "narrators",
            "isbn_13",
            "isbn_10",
            "language",
            "publisher",
            "published_date",
            "description",
            "series",
            "series_position",
        )
    }

    kings = book_at(app_db, "Brandon Sanderson/The Stormlight Archive/1 - The Way of Kings")
    assert kings["narrators"] == ["Michael Kramer", "Kate Reading"]
    assert (kings["series"], kings["series_position"]) == ("The Stormlight Archive", 1.0)

    # the broken OPF's book, from its folder names only
    artemis = book_at(app_db, "Andy Weir/Artemis")
    assert (artemis["title"], artemis["authors"], artemis["series"]) == (
        "Artemis",
        ["Andy Weir"],
        None,
    )
    assert {f: s.source for f, s in artemis["sources"].items()} == {
        "title": "folder",
        "authors": "folder",
    }
    egg = book_at(app_db, "Andy Weir/Egg")
    assert (egg["title"], egg["isbn_13"]) == ("Egg", None)


def test_a_second_import_changes_nothing(app_db: Engine, tmp_path):
    root = build(tmp_path / "library")
    run_import(app_db, root)
    before = {b.folder: book_at(app_db, b.folder) for b in BOOKS}

    report, _ = run_import(app_db, root)

    assert report.added == [] and report.updated == {}
    assert len(report.unchanged) == 7
    assert book_count(app_db) == 7
    assert {b.folder: book_at(app_db, b.folder) for b in BOOKS} == before


def test_a_changed_opf_updates_only_what_the_files_set(app_db: Engine, tmp_path):
    root = build(tmp_path / "library")
    run_import(app_db, root)
    first = book_at(app_db, FINAL_EMPIRE)
    with app_db.begin() as conn:
        write_fields(conn, first["id"], {"description": "Google's words."}, "google")
        write_fields(conn, first["id"], {"narrators": ["The User's Narrator"]}, "user")
        set_lock(conn, first["id"], "publisher", True)  # locked while its source is the OPF

    folder = root / FINAL_EMPIRE
    write_opf(
        folder,
        "<dc:title>The Final Empire</dc:title>"
        '<dc:creator opf:role="aut">Brandon Sanderson</dc:creator>'
        '<dc:creator opf:role="nrt">Somebody Else</dc:creator>'
        "<dc:description>New words from the OPF.</dc:description>"
        "<dc:publisher>Another Publisher</dc:publisher>"
        "<dc:date>2006-07-25</dc:date>"
        '<dc:identifier opf:scheme="ISBN">9780765311788</dc:identifier>'
        '<meta name="calibre:series" content="Mistborn"/>'
        '<meta name="calibre:series_index" content="1"/>',
    )
    report, _ = run_import(app_db, root)

    assert report.updated == {FINAL_EMPIRE: ["published_date"]}
    assert len(report.unchanged) == 6
    after = book_at(app_db, FINAL_EMPIRE)
    assert after["published_date"] == "2006-07-25"
    assert after["description"] == "Google's words."
    assert after["narrators"] == ["The User's Narrator"]
    assert after["publisher"] == "Tor"
    assert after["sources"]["description"].source == "google"
    assert after["sources"]["narrators"].source == "user"
    assert after["sources"]["publisher"].locked
    # language vanished from the OPF: kept, not cleared
    assert after["language"] == "en"


def test_a_renamed_title_folder_part_and_a_new_opf_replace_folder_values(app_db, tmp_path):
    root = tmp_path / "library"
    martian = root / "Andy Weir" / "The Martian"
    martian.mkdir(parents=True)
    (martian / "book.mp3").write_bytes(b"x")
    run_import(app_db, root)
    assert book_at(app_db, "Andy Weir/The Martian")["sources"]["title"].source == "folder"

    write_opf(
        martian,
        "<dc:title>The Martian: A Novel</dc:title>"
        '<dc:identifier opf:scheme="ISBN">9780553418026</dc:identifier>',
    )
    report, _ = run_import(app_db, root)

    assert report.updated == {"Andy Weir/The Martian": ["isbn_10", "isbn_13", "title"]}
    after = book_at(app_db, "Andy Weir/The Martian")
    assert after["title"] == "The Martian: A Novel"
    assert after["sources"]["title"].source == "opf"
    assert after["sources"]["authors"].source == "folder"  # the OPF names no author


def test_a_user_set_field_survives_a_reimport_of_a_changed_folder(app_db, tmp_path):
    root = build(tmp_path / "library")
    run_import(app_db, root)
    egg = book_at(app_db, "Andy Weir/Egg")
    with app_db.begin() as conn:
        write_fields(conn, egg["id"], {"title": "The Egg"}, "user")
    write_opf(root / "Andy Weir" / "Egg", "<dc:title>Egg (Unabridged)</dc:title>")

    report, _ = run_import(app_db, root)

    assert "Andy Weir/Egg" not in report.updated
    assert book_at(app_db, "Andy Weir/Egg")["title"] == "The Egg"


def test_a_broken_opf_never_lets_folder_names_replace_what_a_good_one_said(app_db, tmp_path):
    root = build(tmp_path / "library")
    run_import(app_db, root)
    (root / FINAL_EMPIRE / "metadata.opf").write_text("<package><metadata>")

    report, _ = run_import(app_db, root)

    assert FINAL_EMPIRE in report.unchanged
    assert [item for item, _ in report.failed] == [
        "Andy Weir/Artemis/metadata.opf",
        f"{FINAL_EMPIRE}/metadata.opf",
    ]
    after = book_at(app_db, FINAL_EMPIRE)
    assert after["isbn_13"] == "9780765311788"
    assert after["sources"]["title"].source == "opf"


def test_a_wanted_book_found_in_the_library_becomes_owned(app_db, tmp_path):
    with app_db.begin() as conn:
        wanted_id, _ = add_book(
            conn,
            {
                "title": "The Hero of Ages",
                "authors": ["Brandon Sanderson"],
                "series": "Mistborn",
                "series_position": 3,
            },
            status="wanted",
            origin="series",
            origin_key="series:mistborn:3",
            source="feed",
        )
        add_book(  # same title, another author: not this book
            conn,
            {"title": "Egg", "authors": ["Somebody Else"]},
            status="wanted",
            origin="author",
            origin_key="author:egg",
            source="feed",
        )
    root = build(tmp_path / "library")
    hero = root / "Brandon Sanderson" / "Mistborn" / "3 - The Hero of Ages"
    hero.mkdir()
    (hero / "book.m4b").write_bytes(b"x")

    report, _ = run_import(app_db, root)

    relative = "Brandon Sanderson/Mistborn/3 - The Hero of Ages"
    assert report.now_owned == [relative]
    assert "1 wanted book(s) now owned" in report.summary
    owned = book_at(app_db, relative)
    assert owned["id"] == wanted_id
    assert owned["status"] == "owned"
    assert book_count(app_db) == 9  # 7 demo books, the claimed one, the other Egg
    assert book_at(app_db, "Andy Weir/Egg")["id"] != wanted_id


def test_symlinks_out_of_the_root_are_not_followed(app_db, tmp_path):
    outside = tmp_path / "elsewhere"
    (outside / "Secret Book").mkdir(parents=True)
    (outside / "Secret Book" / "book.mp3").write_bytes(b"x")
    (outside / "secret.opf").write_text(
        "<package><metadata><title>Leaked</title></metadata></package>"
    )
    root = tmp_path / "library"
    (root / "Andy Weir" / "The Martian").mkdir(parents=True)
    (root / "Andy Weir" / "The Martian" / "book.mp3").write_bytes(b"x")
    (root / "Andy Weir" / "Linked").symlink_to(outside / "Secret Book")
    (root / "Linked Author").symlink_to(outside)
    (root / "Andy Weir" / "The Martian" / "metadata.opf").symlink_to(outside / "secret.opf")

    report, _ = run_import(app_db, root)

    assert report.added == ["Andy Weir/The Martian"]
    assert book_at(app_db, "Andy Weir/The Martian")["title"] == "The Martian"  # not "Leaked"
    assert report.failed == [
        (
            "Andy Weir/The Martian/metadata.opf",
            "a symlink out of the library root; not read",
        )
    ]
    assert sorted(report.skipped) == [
        "Andy Weir/Linked: a symlink; not followed",
        "Linked Author: a symlink; not followed",
    ]
    assert book_count(app_db) == 1


def test_an_unreadable_folder_is_a_failure_and_the_rest_imports(
    app_db, tmp_path, monkeypatch: pytest.MonkeyPatch
):
    root = build(tmp_path / "library")
    blocked = root / "Brandon Sanderson" / "Mistborn"
    real_scandir = os.scandir

    def scandir(path):  # tests run as root, where chmod 000 does not stop a read
        if Path(path) == blocked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    report, _ = run_import(app_db, root)

    assert ("Brandon Sanderson/Mistborn", "cannot list the folder: Permission denied") in (
        report.failed
    )
    assert len(report.added) == 4  # Stormlight and three of Andy Weir's
    assert report.missing == []


def test_the_report_lists_folders_gone_since_the_last_import(app_db, tmp_path):
    root = build(tmp_path / "library")
    run_import(app_db, root)
    for child in (root / "Andy Weir" / "Egg").iterdir():
        child.unlink()
    (root / "Andy Weir" / "Egg").rmdir()

    report, _ = run_import(app_db, root)

    assert report.missing == ["Andy Weir/Egg"]
    assert report.summary.endswith("; 1 folder(s) gone")
    assert book_count(app_db) == 7  # kept: the user may have moved it to another disk
