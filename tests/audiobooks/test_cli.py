"""The audiobook CLI against a migrated SQLite file, through `main(argv)` and as a process."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from flows.audiobooks.cli import main
from flows.audiobooks.library import book, field_sources
from infra.demo_library import build

FINAL_EMPIRE_ID = 4  # import order: Andy Weir's three books, then Sanderson's
ROOT = Path(__file__).resolve().parents[2]


class Cli:
    def __init__(self, db, capsys: pytest.CaptureFixture[str]):
        self.db = db
        self.capsys = capsys

    def __call__(self, *argv: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        out = io.StringIO()
        code = main(["--db-url", self.db.url, *argv], out=out)
        return code, out.getvalue(), self.capsys.readouterr().err


@pytest.fixture
def cli(local_app_db, capsys) -> Cli:
    return Cli(local_app_db, capsys)


@pytest.fixture
def imported(cli: Cli, tmp_path: Path) -> Cli:
    code, out, _ = cli("import", str(build(tmp_path / "library")))
    assert code == 0
    assert out.splitlines()[0] == ("library: 7 book(s): 7 added, 0 updated, 0 unchanged; 1 failed")
    return cli


def test_import_prints_the_summary_and_the_failures(imported: Cli):
    code, out, _ = imported("books")
    assert code == 0
    assert out.splitlines()[-1] == "7 book(s)"


def test_books_lists_and_filters(imported: Cli):
    _, out, _ = imported("books")
    lines = out.splitlines()
    assert lines[0].split() == [
        "id", "status", "title", "authors", "series", "isbn_13", "refreshed",
    ]  # fmt: skip
    final_empire = next(line for line in lines if "The Final Empire" in line)
    assert final_empire.split() == [
        str(FINAL_EMPIRE_ID), "owned", "The", "Final", "Empire", "Brandon", "Sanderson",
        "Mistborn", "#1", "9780765311788",
    ]  # fmt: skip

    _, out, _ = imported("books", "--search", "sanderson")  # an author
    assert out.splitlines()[-1] == "4 book(s)"
    _, out, _ = imported("books", "--search", "MISTBORN")  # a series
    assert out.splitlines()[-1] == "3 book(s)"
    _, out, _ = imported("books", "--search", "martian")  # a title
    assert out.splitlines()[-1] == "1 book(s)"
    _, out, _ = imported("books", "--status", "wanted")
    assert out.splitlines()[-1] == "0 book(s)"
    _, out, _ = imported("books", "--search", "100%_")  # LIKE wildcards are text
    assert out.splitlines()[-1] == "0 book(s)"


def test_show_prints_every_field_with_source_and_lock(imported: Cli):
    imported("lock", str(FINAL_EMPIRE_ID), "isbn_13")
    code, out, _ = imported("show", str(FINAL_EMPIRE_ID))
    assert code == 0
    rows = {line.split()[0]: line for line in out.splitlines()[2:17]}
    assert len(rows) == 15
    assert rows["isbn_13"].split() == ["isbn_13", "9780765311788", "opf", "locked"]
    assert rows["series_position"].split() == ["series_position", "1", "opf"]
    assert rows["cover_url"].split() == ["cover_url"]  # no value, no source
    assert "metadata refreshed: never" in out


def test_set_records_the_user_as_source_and_parses_values(imported: Cli, local_app_db):
    book_id = str(FINAL_EMPIRE_ID)
    assert imported("set", book_id, "title", "The Final Empire (Tenth Anniversary)")[0] == 0
    assert imported("set", book_id, "narrators", "Michael Kramer, Kate Reading")[0] == 0
    assert imported("set", book_id, "series_position", "1.5")[0] == 0
    code, out, _ = imported("set", book_id, "duration_seconds", "24:39:00")
    assert (code, out) == (0, "book 4: duration_seconds = '88740' (source: user)\n")
    assert imported("set", book_id, "isbn_10", "0-7653-1178-X")[0] == 0
    assert imported("set", book_id, "publisher", "")[0] == 0  # "" clears

    with local_app_db.engine.connect() as conn:
        found = book(conn, FINAL_EMPIRE_ID)
        sources = field_sources(conn, FINAL_EMPIRE_ID)
    assert found["title"] == "The Final Empire (Tenth Anniversary)"
    assert found["narrators"] == ["Michael Kramer", "Kate Reading"]
    assert found["series_position"] == 1.5
    assert found["duration_seconds"] == 88740
    assert found["isbn_10"] == "076531178X"
    assert found["publisher"] is None
    for name in ("title", "narrators", "series_position", "duration_seconds", "publisher"):
        assert sources[name].source == "user"


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (("show", "999"), "error: no book with id 999"),
        (("set", "999", "title", "X"), "error: no book with id 999"),
        (("set", "4", "colour", "red"), "error: no field 'colour'; fields: title, authors,"),
        (("set", "4", "isbn_13", "9780765311789"), "error: '9780765311789' is not a valid isbn_13"),
        (("set", "4", "series_position", "two"), "error: series_position must be a number"),
        (("set", "4", "duration_seconds", "1h"), "error: duration_seconds must be seconds"),
        (("set", "4", "published_date", "July 2006"), "error: published_date must be YYYY"),
        (("set", "4", "title", " "), "error: title cannot be empty"),
        (("lock", "4", "title", "colour"), "error: no field 'colour'"),
        (("unlock", "999", "title"), "error: no book with id 999"),
        (("import", "/nonexistent/library"), "error: library root '/nonexistent/library' is not"),
        (("tasks", "--days", "0"), "error: --days must be positive"),
    ],
)
def test_a_request_that_cannot_be_met_is_one_line_and_exit_2(imported: Cli, argv, error):
    code, out, err = imported(*argv)
    assert code == 2
    assert out == ""
    assert err.startswith(error)
    assert err.count("\n") == 1


def test_lock_refuses_a_user_edit_until_unlocked(imported: Cli, local_app_db):
    code, out, _ = imported("lock", "4", "title", "publisher")
    assert (code, out) == (0, "book 4: locked title, publisher\n")
    code, _, err = imported("set", "4", "title", "Wrong")
    assert (code, err) == (2, "error: title of book 4 is locked; unlock it first\n")
    assert imported("unlock", "4", "title")[0] == 0
    assert imported("set", "4", "title", "Right")[0] == 0
    with local_app_db.engine.connect() as conn:
        sources = field_sources(conn, 4)
        assert book(conn, 4)["title"] == "Right"
    assert sources["publisher"].locked and not sources["title"].locked


def test_a_failed_lock_changes_nothing(imported: Cli, local_app_db):
    assert imported("lock", "4", "title", "nonsense")[0] == 2
    with local_app_db.engine.connect() as conn:
        assert not field_sources(conn, 4)["title"].locked


def test_tasks_prints_records_and_per_job_statistics(imported: Cli, tmp_path: Path):
    imported("import", str(tmp_path / "library"))
    code, out, _ = imported("tasks", "--days", "1")
    assert code == 0
    records, per_job = out.split("\nper job:\n")
    lines = records.splitlines()
    assert lines[1].split() == [
        "id", "job", "status", "started", "seconds", "items", "ok", "failed", "error",
    ]  # fmt: skip
    assert len(lines) == 4  # two imports
    assert lines[2].split()[1:3] == ["library-import", "completed"]
    assert lines[2].split()[-3:] == ["7", "6", "1"]
    job = per_job.splitlines()
    assert " ".join(job[0].split()) == "job runs success items failed items mean s max s"
    assert job[1].split()[:5] == ["library-import", "2", "100%", "14", "2"]

    _, out, _ = imported("tasks", "--limit", "1")
    assert len(out.split("\nper job:\n")[0].splitlines()) == 3


def test_runs_as_a_module_with_the_database_from_the_environment(local_app_db, tmp_path):
    env = {**os.environ, "APP_DB_URL": local_app_db.url, "PYTHONPATH": str(ROOT)}
    build(tmp_path / "library")
    done = subprocess.run(
        [sys.executable, "-m", "flows.audiobooks.cli", "import", str(tmp_path / "library")],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("library: 7 book(s): 7 added")

    done = subprocess.run(
        [sys.executable, "-m", "flows.audiobooks.cli", "show", "42"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert (done.returncode, done.stdout, done.stderr) == (2, "", "error: no book with id 42\n")


def test_an_unmigrated_database_is_one_line_and_exit_1(tmp_path, capsys):
    code = main(["--db-url", f"sqlite:///{tmp_path / 'empty.db'}", "books"], out=io.StringIO())
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("error: app database sqlite:///")
    assert "no such table: audiobook_books" in err
    assert err.count("\n") == 1


def test_review_lists_applies_and_rejects_doubtful_matches(imported: Cli, local_app_db):
    from flows.audiobooks.matching import Decision
    from flows.audiobooks.review import propose
    from infra.sandbox.services.googlebooks.client import volume

    engine = local_app_db.engine
    candidate = {**volume("The Final Empire", ["Brandon Sanderson"]), "id": "vol-a"}
    other = {**volume("The Final Empire: A Graphic Novel", ["Brandon Sanderson"]), "id": "vol-b"}
    with engine.begin() as conn:
        propose(conn, FINAL_EMPIRE_ID, Decision("review", candidate, 80.0, "title score 80"))
        propose(conn, FINAL_EMPIRE_ID, Decision("review", other, 70.0, "title score 70"))

    code, out, _ = imported("review", "list")
    assert code == 0 and "vol-a" in out and "vol-b" in out and "2 open review(s)" in out

    code, _, err = imported("review", "apply", str(FINAL_EMPIRE_ID))
    assert code == 2 and "needs BOOK_ID and VOLUME_ID" in err
    assert imported("review", "apply", str(FINAL_EMPIRE_ID), "vol-a")[0] == 0
    assert imported("review", "reject", str(FINAL_EMPIRE_ID), "vol-b")[0] == 0
    assert "0 open review(s)" in imported("review", "list")[1]
    with engine.connect() as conn:
        assert book(conn, FINAL_EMPIRE_ID)["google_volume_id"] == "vol-a"  # applied, not vol-b
        assert field_sources(conn, FINAL_EMPIRE_ID)["google_volume_id"].source == "google"
