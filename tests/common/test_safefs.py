"""The safe-filesystem helpers on generated trees in tmp_path: no cameras, no databases.

The trees look like what a second retention job would clean: rendered videos under
`data/videos/<channel>/<yyyy>/<mm>/`, deleted when older than a number of days.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from flows.common import safefs
from flows.common.errors import PermanentError
from flows.common.safefs import (
    Containment,
    DeletionRefused,
    Plan,
    Root,
    emptied_dirs,
    guard_share,
    walk,
)

DAY = 86400
NOW = time.time()


def put(base: Path, rel: str, age_days: float = 0, size: int = 10) -> Path:
    """A file `age_days` old (its mtime), relative to `base`."""
    target = base / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(b"v" * size)
    stamp = NOW - age_days * DAY
    os.utime(target, (stamp, stamp))
    return target


def age(path: Path, days: float) -> None:
    stamp = NOW - days * DAY
    os.utime(path, (stamp, stamp), follow_symlinks=False)


def everything(path: Path) -> set[str]:
    """Every entry below `path` (files, folders, symlinks), without following links."""
    found = set()
    for dirpath, dirnames, filenames in os.walk(path):
        found |= {Path(dirpath, n).relative_to(path).as_posix() for n in dirnames + filenames}
    return found


@pytest.fixture
def data(tmp_path: Path) -> Path:
    (tmp_path / "data" / "videos").mkdir(parents=True)
    return tmp_path / "data"


@pytest.fixture
def root(data: Path) -> Root:
    return Root(data, "videos")


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the data directory, full of old files nothing may delete."""
    folder = tmp_path / "outside"
    for name in ("a.mp4", "b.mp4"):
        put(folder, name, age_days=400)
    return folder


def old_files_plan(root: Root, max_age_days: float, min_depth: int = 2) -> Plan:
    """The video job: files older than `max_age_days`, and the folders that leaves empty."""
    tree = walk(root)
    cutoff = NOW - max_age_days * DAY
    old = [(f.path, f.size) for f in tree.files if f.mtime < cutoff]
    return Plan(root, old, emptied_dirs(tree, (p for p, _ in old), min_depth, cutoff))


def test_the_walk_lists_regular_files_with_size_and_mtime(root, data):
    put(data, "videos/news/2026/01/a.mp4", age_days=40, size=300)
    put(data, "videos/news/2026/02/b.mp4", age_days=3, size=20)
    os.mkfifo(data / "videos/news/pipe")
    tree = walk(root)
    files = {f.path: (f.size, round((NOW - f.mtime) / DAY)) for f in tree.files}
    assert files == {"videos/news/2026/01/a.mp4": (300, 40), "videos/news/2026/02/b.mp4": (20, 3)}
    assert tree.left_alone == {"videos/news/pipe": "special file"}
    assert set(tree.dirs) == {
        "videos",
        "videos/news",
        "videos/news/2026",
        "videos/news/2026/01",
        "videos/news/2026/02",
    }
    assert tree.present == set() and tree.failed == []


def test_known_files_are_listed_as_present_without_a_stat(root, data, monkeypatch):
    put(data, "videos/covers/known.jpg", age_days=90)
    put(data, "videos/covers/stray.jpg", age_days=90)
    stats: list[str] = []
    real_stat = os.DirEntry.stat

    class Entry:  # os.DirEntry cannot be patched; wrap scandir's entries instead
        def __init__(self, entry):
            self._entry = entry

        def __getattr__(self, name):
            return getattr(self._entry, name)

        def stat(self, **kw):
            stats.append(self._entry.name)
            return real_stat(self._entry, **kw)

    real_scandir = os.scandir

    class Listing:
        def __init__(self, path):
            self._it = real_scandir(path)

        def __iter__(self):
            return (Entry(e) for e in self._it)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self._it.close()

    monkeypatch.setattr(safefs.os, "scandir", Listing)
    tree = walk(root, known={"videos/covers/known.jpg", "videos/covers/gone.jpg"})
    assert tree.present == {"videos/covers/known.jpg"}
    assert [f.path for f in tree.files] == ["videos/covers/stray.jpg"]
    assert stats == ["stray.jpg"]


def test_a_missing_root_is_an_empty_tree(tmp_path):
    root = Root(tmp_path, "nothing-here")
    tree = walk(root)
    assert (tree.files, tree.failed, tree.left_alone) == ([], [], {})  # no error either
    assert Plan(root, []).execute() == safefs.Deletion()


def test_a_folder_that_cannot_be_listed_is_reported_and_never_removed(root, data, monkeypatch):
    put(data, "videos/news/2026/01/a.mp4", age_days=90)
    put(data, "videos/news/2026/02/b.mp4", age_days=90)
    real_scandir = os.scandir

    def scandir(path):
        if str(path).endswith("2026/02"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(safefs.os, "scandir", scandir)
    tree = walk(root)
    assert tree.failed == [("videos/news/2026/02", "cannot list (Permission denied); left alone")]
    plan = old_files_plan(root, 30)
    assert plan.dirs == ["videos/news/2026/01"]  # not 2026/02, nor 2026, which keeps it
    monkeypatch.undo()
    plan.execute()
    assert (data / "videos/news/2026/02/b.mp4").exists()


def test_symlinks_to_outside_are_neither_followed_nor_deleted(root, data, outside):
    put(data, "videos/news/2026/01/old.mp4", age_days=90)
    day = data / "videos/news/2026/01"
    (day / "folder-link").symlink_to(outside, target_is_directory=True)
    (day / "file-link.mp4").symlink_to(outside / "a.mp4")
    (data / "videos/news/2026/02").symlink_to(outside, target_is_directory=True)
    for link in ("2026/01/folder-link", "2026/01/file-link.mp4", "2026/02"):
        age(data / "videos/news" / link, 400)

    tree = walk(root)
    assert [f.path for f in tree.files] == ["videos/news/2026/01/old.mp4"]
    assert tree.left_alone == {
        "videos/news/2026/01/folder-link": "symlink",
        "videos/news/2026/01/file-link.mp4": "symlink",
        "videos/news/2026/02": "symlink",
    }
    done = old_files_plan(root, 30).execute()
    assert everything(outside) == {"a.mp4", "b.mp4"}
    assert (outside / "a.mp4").read_bytes() == b"v" * 10
    assert all((day / name).is_symlink() for name in ("folder-link", "file-link.mp4"))
    assert (data / "videos/news/2026/02").is_symlink()
    assert not (day / "old.mp4").exists()
    assert (done.files_deleted, done.dirs_removed, done.failed) == (1, 0, [])


def test_a_path_through_a_symlinked_folder_is_refused_even_if_planned(root, data, outside):
    (data / "videos/news").mkdir()
    (data / "videos/news/link").symlink_to(outside, target_is_directory=True)
    through = "videos/news/link/a.mp4"  # as an index might claim
    assert not Containment(root)(through)

    done = Plan(root, [(through, 10)]).execute()
    assert everything(outside) == {"a.mp4", "b.mp4"}
    assert done.kept == {through} and done.files_deleted == 0
    ((where, why),) = done.failed
    assert where == "videos/news/link" and why.startswith("cannot open (")


@pytest.mark.parametrize(
    "path",
    [
        "videos/news/../../outside/a.mp4",
        "videos/../videos/news/a.mp4",
        "videos/news/./a.mp4",
        "videos/news/",
        "videos/news/..",
        "videos//a.mp4",
        "/etc/passwd",
        "../outside/a.mp4",
        "videosX/a.mp4",
        "other/a.mp4",
        "videos",
    ],
)
def test_containment_refuses_dotdot_absolute_and_foreign_paths(root, data, outside, path):
    put(data, "videos/news/a.mp4")
    assert not Containment(root)(path)
    done = Plan(root, [(path, 10)]).execute()  # an executor refuses it on its own too
    assert done.kept == {path} and done.files_deleted == 0
    assert everything(outside) == {"a.mp4", "b.mp4"}
    assert (data / "videos/news/a.mp4").exists()


def test_containment_accepts_plain_paths_and_a_root_that_is_a_symlink(tmp_path):
    disk = tmp_path / "other-disk" / "videos"
    put(disk, "news/2026/01/a.mp4")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "videos").symlink_to(disk, target_is_directory=True)
    root = Root(tmp_path / "data", "videos")
    inside = Containment(root)
    assert inside("videos/news/2026/01/a.mp4")
    assert inside("videos/news/2026/01/not-there-yet.mp4")  # the file itself is not looked at
    assert inside("videos/top.mp4")

    done = Plan(root, [("videos/news/2026/01/a.mp4", 10)]).execute()
    assert done.files_deleted == 1 and not (disk / "news/2026/01/a.mp4").exists()


def test_a_nested_root_holds_paths_under_its_whole_name(tmp_path):
    root = Root(tmp_path, "audiobooks/covers")
    put(tmp_path, "audiobooks/covers/ab/1.jpg", age_days=90)
    put(tmp_path, "audiobooks/books/1.m4b", age_days=90)
    tree = walk(root, known={"audiobooks/covers/ab/1.jpg"})
    assert tree.present == {"audiobooks/covers/ab/1.jpg"} and tree.files == []
    inside = Containment(root)
    assert inside("audiobooks/covers/ab/1.jpg")
    assert not inside("audiobooks/books/1.m4b") and not inside("audiobooks/1.jpg")
    plan = Plan(root, [("audiobooks/covers/ab/1.jpg", 10)], emptied_dirs(tree, [], 1, NOW))
    assert plan.execute().files_deleted == 1
    assert (tmp_path / "audiobooks/books/1.m4b").exists()


def test_a_folder_swapped_for_a_symlink_after_planning_cannot_redirect_an_unlink(
    root, data, outside
):
    put(data, "videos/news/2026/01/a.mp4", age_days=90)
    put(data, "videos/news/2026/01/b.mp4", age_days=90)
    put(data, "videos/news/2026/02/c.mp4", age_days=90)
    plan = old_files_plan(root, 30)
    assert sorted(plan.dirs) == ["videos/news/2026", "videos/news/2026/01", "videos/news/2026/02"]

    # Between planning and deleting, someone moves the month folder away and puts a
    # symlink to a folder holding files of the same names in its place.
    os.rename(data / "videos/news/2026/01", data / "moved-away")
    (data / "videos/news/2026/01").symlink_to(outside, target_is_directory=True)
    done = plan.execute()

    assert everything(outside) == {"a.mp4", "b.mp4"}
    assert everything(data / "moved-away") == {"a.mp4", "b.mp4"}
    assert (data / "videos/news/2026/01").is_symlink()
    assert not (data / "videos/news/2026/02").exists()  # the untouched month still goes
    assert done.kept == {"videos/news/2026/01/a.mp4", "videos/news/2026/01/b.mp4"}
    (folder, unlinks), (same_folder, rmdir) = done.failed
    assert folder == same_folder == "videos/news/2026/01"
    assert unlinks.startswith("cannot open (") and unlinks.endswith("; 2 file(s) kept")
    assert rmdir == "cannot remove folder (Not a directory)"  # rmdir does not follow either
    assert (done.files_deleted, done.dirs_removed) == (1, 1)  # c.mp4 and 2026/02


def test_a_failing_unlink_is_reported_and_the_rest_go_on(root, data, monkeypatch):
    for name in ("a", "b", "c"):
        put(data, f"videos/news/2026/01/{name}.mp4", age_days=90, size=100)
    real_unlink = safefs._unlink

    def unlink(name, *, dir_fd):
        if name == "b.mp4":
            raise PermissionError(13, "Permission denied")
        real_unlink(name, dir_fd=dir_fd)

    monkeypatch.setattr(safefs, "_unlink", unlink)
    done = old_files_plan(root, 30).execute()
    assert everything(data / "videos/news") == {"2026", "2026/01", "2026/01/b.mp4"}
    assert done.failed == [("videos/news/2026/01/b.mp4", "Permission denied")]
    assert done.kept == {"videos/news/2026/01/b.mp4"}
    assert (done.files_deleted, done.bytes_freed, done.dirs_removed) == (2, 200, 0)


def test_a_file_already_gone_is_neither_counted_nor_an_error(root, data):
    put(data, "videos/news/a.mp4", age_days=90)
    plan = old_files_plan(root, 30)
    (data / "videos/news/a.mp4").unlink()
    done = plan.execute()
    assert (done.files_deleted, done.kept, done.failed) == (0, set(), [])


def test_a_dry_run_deletes_nothing_and_reports_what_the_run_does(root, data):
    put(data, "videos/news/2025/12/a.mp4", age_days=90, size=300)
    put(data, "videos/news/2026/01/b.mp4", age_days=45, size=200)
    put(data, "videos/news/2026/01/c.mp4", age_days=2, size=50)
    put(data, "videos/talks/2025/11/d.mp4", age_days=120, size=70)
    (data / "videos/news/2025/10").mkdir()
    age(data / "videos/news/2025/10", 100)
    before = everything(data)

    dry = old_files_plan(root, 30).preview()
    assert everything(data) == before
    real = old_files_plan(root, 30).execute()
    assert dry == real
    assert (real.files_deleted, real.bytes_freed, real.dirs_removed) == (3, 570, 5)
    assert everything(data / "videos") == {
        "news",
        "news/2026",
        "news/2026/01",
        "news/2026/01/c.mp4",
        "talks",
    }


def test_old_empty_folders_go_and_fresh_ones_stay(root, data):
    for rel, days in [
        ("videos/news/2025/07", 100),  # empty for long: goes, and 2025 with it
        ("videos/news/2026/11", 0),  # just made for a render about to land: stays
        ("videos/talks", 100),  # at depth 1, below the min_depth: stays
    ]:
        (data / rel).mkdir(parents=True)
        age(data / rel, days)
    age(data / "videos/news/2025", 100)
    tree = walk(root)
    dirs = emptied_dirs(tree, [], min_depth=2, empty_before=NOW - 30 * DAY)
    assert dirs == ["videos/news/2025/07", "videos/news/2025"]  # deepest first
    assert Plan(root, [], dirs).execute().dirs_removed == 2
    assert everything(data / "videos") == {"news", "news/2026", "news/2026/11", "talks"}


def test_the_root_is_never_an_emptied_folder(root, data):
    put(data, "videos/a.mp4", age_days=90)
    assert old_files_plan(root, 30, min_depth=0).dirs == []
    assert (data / "videos").is_dir()


def test_the_share_guard_refuses_above_the_cap_and_passes_with_force():
    with pytest.raises(DeletionRefused) as refused:
        guard_share(3, 10, 0.25)
    assert isinstance(refused.value, PermanentError)
    message = str(refused.value)
    assert "refusing to delete 3 of 10 files (30.0%)" in message
    assert "max_delete_share=0.25" in message and "force=true" in message
    assert (refused.value.planned, refused.value.total, refused.value.share) == (3, 10, 0.3)
    assert guard_share(3, 10, 0.25, force=True) == 0.3
    assert guard_share(25, 100, 0.25) == 0.25  # at the cap is within it
    assert guard_share(0, 0, 0.25) == 0.0  # an empty tree is never refused


def test_a_refused_plan_deletes_nothing(root, data):
    for i in range(4):
        put(data, f"videos/news/{i}.mp4", age_days=90)
    tree = walk(root)
    old = [(f.path, f.size) for f in tree.files]
    with pytest.raises(DeletionRefused, match="4 of 4 files"):
        guard_share(len(old), len(tree.files), 0.5)
    assert len(everything(data / "videos/news")) == 4
