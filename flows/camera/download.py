"""One stream from listing to indexed files, in plain Python.

The flow runs `StreamDownloader.run` once per stream in a retried task; the
benchmark's seed-style loop calls the very same method with one download at a
time, so both measure the same work.

Order of writes for one image, so a crash at any line is redone without a
second download or a second row: fetch -> check -> file renamed into place ->
row in `camera_images`. A file left without its row by a crash is found on disk
by the next run and indexed without fetching it again.
"""

from __future__ import annotations

import bisect
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from blocks.camera import CameraPortal
from flows.camera.errors import PortalUnavailable, SessionExpired, StreamIncomplete
from flows.camera.fetch import ImageFetcher
from flows.camera.images import (
    EXTENSIONS,
    CheckedImage,
    ImageRejected,
    check_image,
    image_path,
    image_stem,
)
from flows.camera.portal import ListedImage, PortalBrowser
from flows.camera.records import ImageIndex, StoredImage
from flows.common.paths import atomic_write_bytes

FAILURES = Path("images", "_failures")


@dataclass
class StreamReport:
    """What one attempt at one stream did."""

    stream: str
    listed: int = 0
    new: int = 0
    backlog: int = 0  # new images beyond batch_size, left for the next run
    kept: int = 0
    bytes: int = 0
    recovered: int = 0  # files a crashed run wrote, indexed without a second fetch
    rejected: Counter[str] = field(default_factory=Counter)
    frozen_since: datetime | None = None
    logins: int = 0
    unreadable: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """One log line for this attempt."""
        refused = f", refused {dict(self.rejected)}" if self.rejected else ""
        return (
            f"listed {self.listed}, new {self.new}, kept {self.kept} ({self.bytes} bytes"
            f", {self.recovered} from disk){refused}, left for later {self.backlog}, "
            f"logins {self.logins}, failed {len(self.failed)}"
        )


def select_pending(
    listed: list[ListedImage], known: set[datetime], batch_size: int
) -> tuple[list[ListedImage], int]:
    """New images oldest first, at most `batch_size`, and how many are left over.

    Everything listed that the index does not know is new, not only what is newer
    than the last stored image: with concurrent downloads a later image can be
    kept while an earlier one failed, and that earlier one must not be skipped.
    """
    fresh = {img.captured_at: img for img in listed if img.captured_at not in known}
    ordered = [fresh[at] for at in sorted(fresh)]
    return ordered[:batch_size], max(0, len(ordered) - batch_size)


class StreamDownloader:
    """Lists a stream through the browser and keeps its new images."""

    def __init__(
        self,
        portal: CameraPortal,
        block_name: str,
        index: ImageIndex,
        data_dir: Path,
        concurrent_downloads: int = 3,
        batch_size: int = 50,
    ):
        self.portal = portal
        self.block_name = block_name
        self.index = index
        self.data_dir = data_dir
        self.concurrent_downloads = concurrent_downloads
        self.batch_size = batch_size

    @property
    def session_file(self) -> Path:
        return self.data_dir / "camera" / f"{self.block_name}.session.json"

    def run(self, stream: str) -> StreamReport:
        """One attempt; raises StreamIncomplete after keeping what it could."""
        report = StreamReport(stream)
        browser = PortalBrowser(
            self.portal, self.block_name, self.session_file, self.data_dir / FAILURES
        )
        try:
            with browser:
                listing = browser.list_images(stream)
                report.listed, report.unreadable = len(listing.images), listing.unreadable
                times = [img.captured_at for img in listing.images]
                known = self.index.known(stream, min(times)) if times else set()
                pending, report.backlog = select_pending(listing.images, known, self.batch_size)
                report.new = len(pending)
                if pending:
                    _Batch(self, browser, stream, pending, report).run()
        finally:
            report.logins = browser.logins
        latest = self.index.latest([stream])[stream]
        report.frozen_since = self.index.frozen_since(stream, latest)
        if report.failed:
            raise StreamIncomplete(
                f"{stream}: {len(report.failed)} of {report.new} new image(s) failed "
                f"({report.kept} kept); first: {report.failed[0]}"
            )
        return report


class _Batch:
    """The new images of one stream: fetched concurrently, settled in capture order.

    Settling in order is what lets a byte-identical repeat of the previous image
    be recognised (a frozen camera) before it is written.
    """

    def __init__(
        self,
        owner: StreamDownloader,
        browser: PortalBrowser,
        stream: str,
        pending: list[ListedImage],
        report: StreamReport,
    ):
        self.owner = owner
        self.index = owner.index
        self.browser = browser
        self.stream = stream
        self.pending = pending
        self.report = report
        first, last = pending[0].captured_at, pending[-1].captured_at
        before = self.index.previous(stream, first)
        kept = ([before] if before else []) + self.index.kept_between(stream, first, last)
        self.kept = [(k.captured_at, k.sha256) for k in kept]
        self.on_disk = self._files_on_disk()
        self.results: dict[datetime, tuple[object, bool]] = {}  # fetched, not yet settled
        self.done = 0  # pending[:done] are settled

    def run(self) -> None:
        fetcher = ImageFetcher(
            self.owner.portal, self.browser.cookies(), self.owner.concurrent_downloads
        )
        try:
            self._round(fetcher)
            if self.done < len(self.pending):  # the session expired: log in again, once
                self.browser.login(self.stream)
                fetcher.use_cookies(self.browser.cookies())
                self._round(fetcher)
            for img in self.pending[self.done :]:
                self.report.failed.append(f"{img.url}: the session expired twice")
        finally:
            fetcher.close()

    def _round(self, fetcher: ImageFetcher) -> None:
        """Fetch what is not fetched yet; settle in order up to the first image left out."""
        expired = threading.Event()
        todo = [i for i in self.pending[self.done :] if i.captured_at not in self.results]
        with ThreadPoolExecutor(self.owner.concurrent_downloads) as pool:
            for img, outcome in pool.map(lambda i: self._fetch(fetcher, i, expired), todo):
                if outcome is not None:
                    self.results[img.captured_at] = outcome
                while self.done < len(self.pending):
                    next_up = self.pending[self.done]
                    if next_up.captured_at not in self.results:
                        break
                    self._settle(next_up, *self.results.pop(next_up.captured_at))
                    self.done += 1

    def _fetch(
        self, fetcher: ImageFetcher, img: ListedImage, expired: threading.Event
    ) -> tuple[ListedImage, tuple[object, bool] | None]:
        """Runs in a pool thread; None means: not done, try again after a new login."""
        if expired.is_set():
            return img, None
        stem = image_stem(self.stream, img.captured_at).name
        if stem in self.on_disk:
            try:
                return img, (check_image(self.on_disk[stem].read_bytes()), True)
            except (OSError, ImageRejected):
                pass  # not a usable leftover: fetch it
        try:
            data, content_type = fetcher.get(img.url)
            return img, (check_image(data, content_type), False)
        except SessionExpired:
            expired.set()
            return img, None
        except (ImageRejected, PortalUnavailable) as exc:
            return img, (exc, False)

    def _settle(self, img: ListedImage, outcome: object, recovered: bool) -> None:
        """Keep, refuse or count as failed; runs on the stream's own thread, in order."""
        report = self.report
        if isinstance(outcome, PortalUnavailable):
            report.failed.append(str(outcome))
            return
        if isinstance(outcome, CheckedImage):
            previous = self._previous(img.captured_at)
            if previous is not None and previous[1] == outcome.sha256:
                outcome = ImageRejected(
                    "frozen", f"byte-identical to the image of {previous[0].isoformat()}"
                )
            else:
                self._keep(img, outcome, recovered)
                return
        assert isinstance(outcome, ImageRejected)
        self.index.reject(self.stream, img.captured_at, outcome.reason, outcome.detail, img.url)
        report.rejected[outcome.reason] += 1

    def _keep(self, img: ListedImage, image: CheckedImage, recovered: bool) -> None:
        path = image_path(self.stream, img.captured_at, image.ext)
        if not recovered:
            atomic_write_bytes(self.owner.data_dir / path, image.data)
        stored = StoredImage(
            self.stream, img.captured_at, path, image.sha256, len(image.data), image.width,
            image.height,
        )  # fmt: skip
        if self.index.add(stored):
            self.report.kept += 1
            self.report.recovered += recovered
            self.report.bytes += len(image.data)
        bisect.insort(self.kept, (img.captured_at, image.sha256))

    def _previous(self, at: datetime) -> tuple[datetime, str] | None:
        i = bisect.bisect_left(self.kept, (at, ""))
        return self.kept[i - 1] if i else None

    def _files_on_disk(self) -> dict[str, Path]:
        """Kept-looking files in the day folders of the pending images, by stem."""
        days = {
            self.owner.data_dir / image_stem(self.stream, img.captured_at).parent
            for img in self.pending
        }
        return {p.stem: p for day in days for p in _image_files(day)}


def _image_files(folder: Path) -> Iterator[Path]:
    if folder.is_dir():
        for p in folder.iterdir():
            if p.suffix[1:] in EXTENSIONS.values() and not p.name.startswith("."):
                yield p
