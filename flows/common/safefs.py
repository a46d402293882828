"""Deleting inside one folder without ever touching anything outside it.

Every retention job (camera images, rendered videos, audiobook covers) deletes files an
index or a clock says are done, in one folder under the data directory. What makes that
safe and cheap is the same for all of them, so it is said once, here:

* Nothing outside the root may ever be touched. Symlinks are never followed nor
  deleted; directories are opened one component at a time with `O_NOFOLLOW` and files
  are unlinked relative to that descriptor, so even a directory swapped for a symlink
  between planning and deleting cannot redirect an unlink. The root itself may be a
  symlink (e.g. to another disk): that is its location, not something found inside it.
* Deleting is irreversible, so a job plans the whole run before deleting anything, and
  `guard_share` refuses a plan that deletes more than a share of everything: a clock far
  in the future or the data directory pointing at the wrong mount would make most of a
  tree look expired or orphaned.
* A dry run reports from the same `Plan` the real run carries out, so its numbers are
  the real run's.
* A file that cannot be deleted is reported and the others still go: one bad file must
  not keep a disk full.
* A run on 100,000 files costs about what `find -mtime +30 -delete` costs: one
  `os.scandir` walk gives each entry's type without a `stat`, files the caller already
  knows from its index are not `stat`-ed at all, and unlinks are grouped per directory.

Paths are strings, '/'-separated and relative to the root's base (the data directory),
the way the workflows' rows store them: `Root(data_dir, "images")` holds paths like
`images/in_gate/2026/11/26/20261126T120000Z.jpg`.
"""

from __future__ import annotations

import errno
import os
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from flows.common.errors import PermanentError

_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_ROOT_FLAGS = os.O_RDONLY | os.O_DIRECTORY | _CLOEXEC  # the root may be a symlink
_DIR_FLAGS = _ROOT_FLAGS | os.O_NOFOLLOW  # nothing below it may be
_NOT_NAMES = {"", ".", ".."}  # components no plain path has
_GONE = {errno.ENOTEMPTY, errno.EEXIST, errno.ENOENT}  # rmdir races that are not errors

# Indirection so a test can make one unlink fail even when running as root.
_unlink = os.unlink


@dataclass(frozen=True)
class Root:
    """The one folder a job may delete in: `base / name`, its paths relative to `base`."""

    base: Path
    name: str  # '/'-separated, e.g. "images" or "audiobooks/covers"

    @property
    def path(self) -> Path:
        return Path(self.base, self.name)


class File(NamedTuple):
    """A regular file found by `walk`."""

    path: str
    size: int
    mtime: float


class Folder:
    """One walked folder: enough to tell whether a deletion leaves it empty."""

    __slots__ = ("empty_mtime", "entries", "listed")

    def __init__(self) -> None:
        self.entries = 0  # of any kind, as listed
        self.listed = True  # False: unreadable or vanished, so never removed
        self.empty_mtime: float | None = None  # its mtime, only if it was found empty


@dataclass
class Tree:
    """What one walk of a root found, none of it reached through a symlink."""

    root: Root
    files: list[File] = field(default_factory=list)  # regular files not in `known`
    present: set[str] = field(default_factory=set)  # `known` paths found as regular files
    dirs: dict[str, Folder] = field(default_factory=dict)  # the root and every folder below
    left_alone: dict[str, str] = field(default_factory=dict)  # symlinks, special files: kind
    failed: list[tuple[str, str]] = field(default_factory=list)  # (unlisted folder, why)


def walk(root: Root, known: Collection[str] = frozenset()) -> Tree:
    """List the root without following symlinks; `stat` only the files not in `known`.

    `known` holds the paths the caller already has sizes and ages for (its index): found
    as regular files they go to `present` without a `stat`, which on a cold cache is most
    of a walk's cost. A missing root is an empty tree.
    """
    tree = Tree(root)
    stack = [(root.name, str(root.path))]
    while stack:
        rel, path = stack.pop()
        info = tree.dirs.setdefault(rel, Folder())
        try:
            entries = os.scandir(path)
        except FileNotFoundError:
            if rel != root.name:  # vanished mid-walk; a missing root is an empty tree
                info.listed = False
            continue
        except OSError as exc:
            info.listed = False
            tree.failed.append((rel, f"cannot list ({exc.strerror}); left alone"))
            continue
        prefix = rel + "/"
        with entries:
            for entry in entries:
                info.entries += 1
                child = prefix + entry.name
                try:
                    if entry.is_symlink():
                        tree.left_alone[child] = "symlink"
                    elif entry.is_dir(follow_symlinks=False):
                        stack.append((child, entry.path))
                    elif entry.is_file(follow_symlinks=False):
                        if child in known:
                            tree.present.add(child)
                        else:
                            st = entry.stat(follow_symlinks=False)
                            tree.files.append(File(child, st.st_size, st.st_mtime))
                    else:
                        tree.left_alone[child] = "special file"
                except FileNotFoundError:  # deleted while listing: nothing left to do
                    info.entries -= 1
        if info.entries == 0 and rel != root.name:
            # An already-empty folder may have just been made for a file about to land
            # in it; `emptied_dirs` removes only old empty folders, so note its age.
            try:
                info.empty_mtime = os.lstat(path).st_mtime
            except OSError:
                info.listed = False
    return tree


def _below(root: Root, path: str) -> list[str] | None:
    """The components of `path` below the root, if it is written as a plain path in it."""
    top = root.name.split("/")
    parts = path.split("/")
    if parts[: len(top)] != top or any(p in _NOT_NAMES for p in parts[len(top) :]):
        return None  # absolute, `..`, or not under the root at all
    return parts[len(top) :]


class Containment:
    """Is a path a plain path inside the root, through no symlink?

    For paths from elsewhere (an index, a parameter); a walk finds only what is inside.
    The file itself is not looked at: a walk tells a regular file from a symlink, and an
    unlink never follows one. Decided per parent folder (one realpath each) because
    thousands of files share one day folder.
    """

    def __init__(self, root: Root):
        self.root = root
        self.root_real = os.path.realpath(root.path)
        self.cache: dict[str, bool] = {}

    def __call__(self, path: str) -> bool:
        parent, _, name = path.rpartition("/")
        if name in _NOT_NAMES:
            return False
        ok = self.cache.get(parent)
        if ok is None:
            ok = self.cache[parent] = self._check(parent)
        return ok

    def _check(self, parent: str) -> bool:
        parts = _below(self.root, parent)
        if parts is None:
            return False
        try:
            real = os.path.realpath(os.path.join(self.root.base, parent))
        except (OSError, ValueError):
            return False
        return real == os.path.join(self.root_real, *parts)


class DeletionRefused(PermanentError):
    """A plan would delete more than its share of everything; nothing was deleted.

    The message names the parameters every retention flow has for this,
    `max_delete_share` and `force`.
    """

    def __init__(
        self,
        planned: int,
        total: int,
        max_delete_share: float,
        what: str = "files",
        detail: str = "",
    ):
        self.planned = planned
        self.total = total
        self.max_delete_share = max_delete_share
        self.share = planned / total if total else 0.0
        context = f" ({detail})" if detail else ""
        super().__init__(
            f"refusing to delete {planned} of {total} {what} ({self.share:.1%}), more than "
            f"max_delete_share={max_delete_share:g}{context}. Nothing was deleted. Check the "
            "clock and that the data directory is the right mount; if the deletion is "
            "intended, rerun with force=true or raise max_delete_share."
        )


def guard_share(planned: int, total: int, max_delete_share: float, force: bool = False) -> float:
    """The share of `total` that `planned` is; above `max_delete_share` it is refused.

    `total` is everything the plan was chosen from (all of a tree, or all rows plus the
    unindexed files), so a wrong clock or mount shows as a large share. An empty tree
    has share 0 and is never refused. `force` lets an intended large deletion through.
    """
    share = planned / total if total else 0.0
    if share > max_delete_share and not force:
        raise DeletionRefused(planned, total, max_delete_share)
    return share


def emptied_dirs(
    tree: Tree, deleted: Iterable[str], min_depth: int, empty_before: float
) -> list[str]:
    """The folders that deleting `deleted` (paths found by the walk) leaves empty.

    Only folders at least `min_depth` below the root (its children are at depth 1; the
    root itself always stays), deepest first so that a month folder is empty by the time
    its turn comes. A folder the walk found empty goes only if it was last modified
    before `empty_before` (a timestamp), since a fresh one may be about to be filled.
    """
    removed_in: Counter[str] = Counter(path.rpartition("/")[0] for path in deleted)
    top = tree.root.name.count("/")
    emptied: list[str] = []
    for rel in sorted(tree.dirs, key=lambda r: r.count("/"), reverse=True):
        info = tree.dirs[rel]
        if rel.count("/") - top < max(min_depth, 1) or not info.listed:
            continue
        old_empty = info.empty_mtime is not None and info.empty_mtime < empty_before
        if info.entries - removed_in[rel] == 0 and (info.entries > 0 or old_empty):
            emptied.append(rel)
            removed_in[rel.rpartition("/")[0]] += 1
    return emptied


@dataclass
class Deletion:
    """What carrying out a plan did; for a dry run, what it would do."""

    files_deleted: int = 0
    bytes_freed: int = 0  # the planned sizes of the deleted files
    dirs_removed: int = 0
    kept: set[str] = field(default_factory=set)  # planned files still there after a failure
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file or folder path, why)


@dataclass(frozen=True)
class Plan:
    """Files to delete and the folders that leaves empty, fixed before anything is touched.

    `files` are (path, size) pairs from a walk of the root, or paths checked by
    `Containment`; `dirs` come from `emptied_dirs`. A path that is not a plain path below
    the root is refused even so.
    """

    root: Root
    files: Sequence[tuple[str, int]]
    dirs: Sequence[str] = ()

    def preview(self) -> Deletion:
        """The dry run: what `execute` reports when nothing fails."""
        return Deletion(
            files_deleted=len(self.files),
            bytes_freed=sum(size for _, size in self.files),
            dirs_removed=len(self.dirs),
        )

    def execute(self) -> Deletion:
        """Unlink the files folder by folder, then remove the emptied folders."""
        done = Deletion()
        by_dir: defaultdict[str, list[tuple[str, str, int]]] = defaultdict(list)
        for path, size in self.files:
            parent, _, name = path.rpartition("/")
            if name in _NOT_NAMES:
                done.kept.add(path)
                done.failed.append((path, "not a file name; left alone"))
            else:
                by_dir[parent].append((path, name, size))
        if not by_dir and not self.dirs:
            return done
        try:
            root_fd = os.open(self.root.path, _ROOT_FLAGS)
        except OSError as exc:
            done.kept.update(path for path, _ in self.files)
            done.failed.append((self.root.name, f"cannot open ({exc.strerror}); nothing deleted"))
            return done
        try:
            for parent, items in by_dir.items():
                self._unlink_in(root_fd, parent, items, done)
            for rel in self.dirs:
                self._remove_dir(root_fd, rel, done)
        finally:
            os.close(root_fd)
        return done

    def _unlink_in(
        self, root_fd: int, parent: str, items: list[tuple[str, str, int]], done: Deletion
    ) -> None:
        try:
            fd = self._open_dir(root_fd, parent)
        except OSError as exc:
            done.kept.update(path for path, _, _ in items)
            done.failed.append((parent, f"cannot open ({exc.strerror}); {len(items)} file(s) kept"))
            return
        try:
            for path, name, size in items:
                try:
                    _unlink(name, dir_fd=fd)
                except FileNotFoundError:
                    pass  # gone already, which is what was wanted
                except OSError as exc:
                    done.kept.add(path)
                    done.failed.append((path, exc.strerror or str(exc)))
                else:
                    done.files_deleted += 1
                    done.bytes_freed += size
        finally:
            os.close(fd)

    def _remove_dir(self, root_fd: int, rel: str, done: Deletion) -> None:
        parent, _, name = rel.rpartition("/")
        try:
            fd = self._open_dir(root_fd, parent)
            try:
                os.rmdir(name, dir_fd=fd)
            finally:
                os.close(fd)
        except OSError as exc:
            if exc.errno not in _GONE:  # not empty after all: a failed unlink, a new file
                done.failed.append((rel, f"cannot remove folder ({exc.strerror})"))
            return
        done.dirs_removed += 1

    def _open_dir(self, root_fd: int, rel: str) -> int:
        """A descriptor for `rel` reached from the root without following any symlink."""
        parts = _below(self.root, rel)
        if parts is None:
            raise NotADirectoryError(errno.ENOTDIR, "not a plain path inside the root")
        fd = os.dup(root_fd)
        for part in parts:
            try:
                child = os.open(part, _DIR_FLAGS, dir_fd=fd)
            finally:
                os.close(fd)
            fd = child
        return fd
