"""Camera: the download flow against the seed's loop, and retention cleanup against find.

Download: 300 images over two streams of the sandbox portal, every image request delayed
by 50 ms. The seed's loop (one stream at a time, one image at a time, through the same
browser, HTTP client, checks and index) against the `camera-download` flow under the
Prefect test harness (streams as concurrent tasks, 3 downloads at a time per stream). Each
side starts from an empty data directory, app database and browser session.
speedup_vs_sequential = loop time / flow time. fraction_of_bound = images per second while
fetching over the ideal streams x concurrency / latency, where the rate is the sum of each
stream's images over its own span (first request to last answer, from the sandbox's
request log).
fraction_of_bound_union divides by the span from the first stream's first request to the
last stream's last answer (the streams' browsers start a little apart), and
fraction_of_bound_end_to_end by the whole flow run (browser start, login, listing and
Prefect included).

Cleanup: retention cleanup against `find -mtime +30 -delete` on the same tree.

Two identical trees of expired images (2 streams, one image per 10 minutes, 256-1024
bytes each, modified over 31 days ago) are built in a temp dir before either is timed,
so both run on warm caches. One is cleared by `clean_images(..., CleanupPolicy(
retention_days=30, force=True))` with its rows in a migrated SQLite app database, the
other by `find <images> -mtime +30 -delete`. Afterwards both trees and the table must be
empty, or the script exits non-zero.

Unlinking dominates both, and on a VM disk its speed drifts: the build is synced and left
to settle first, and cleanup goes first, so any penalty of going first counts against it.

    .venv/bin/python bench/camera.py [--images 300] [--latency-ms 50] [--files 100000]
                                     [--settle 5] [--dir /on/the/data/disk]

The last line is one JSON object: speedup_vs_sequential, fraction_of_bound,
cleanup_ratio_vs_find and the raw timings. Each measurement is its own `measure_*`
function, merged in main().
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

from prefect.testing.utilities import prefect_test_harness
from pydantic import SecretStr
from sqlalchemy import Engine, func, insert, select

from blocks.camera import CameraPortal
from flows.camera.cleanup import CleanupPolicy, clean_images
from flows.camera.download import FAILURES
from flows.camera.fetch import ImageFetcher
from flows.camera.flow import camera_download
from flows.camera.images import check_image, image_path
from flows.camera.portal import PortalBrowser
from flows.camera.records import ImageIndex, StoredImage, camera_images
from flows.common.db import connector, engine_from_url, migrate
from flows.common.paths import atomic_write_bytes
from infra.sandbox.core.client import Sandbox

STREAMS = ("in_gate", "out_gate")
PORTAL_NOW = "2026-11-26T12:00:00Z"
STEP = timedelta(minutes=10)
INSERT_BATCH = 5000


def build_trees(files: int, roots: list[Path], newest: datetime) -> list[dict]:
    """Write the same expired images under every root; returns their index rows.

    File i belongs to stream i % 2 and was captured (and last modified) (i // 2) steps
    before `newest`, so 100,000 files span about 350 days.
    """
    rows: list[dict] = []
    made: set[str] = set()
    for i in range(files):
        stream = STREAMS[i % len(STREAMS)]
        at = newest - (i // len(STREAMS)) * STEP
        folder = f"images/{stream}/{at:%Y/%m/%d}"
        path = f"{folder}/{at:%Y%m%dT%H%M%SZ}.jpg"
        size = 256 + (i * 7919) % 769
        content = bytes([i % 251]) * size
        stamp = at.timestamp()
        for root in roots:
            if folder not in made:
                (root / folder).mkdir(parents=True, exist_ok=True)
            target = root / path
            with open(target, "wb") as fh:
                fh.write(content)
            os.utime(target, (stamp, stamp))
        made.add(folder)
        rows.append(
            {
                "stream": stream,
                "captured_at": at,
                "path": path,
                "sha256": f"{i:064x}",
                "bytes": size,
                "width": 640,
                "height": 480,
                "stored_at": at,
            }
        )
    return rows


def index(engine: Engine, rows: list[dict]) -> None:
    with engine.begin() as conn:
        for start in range(0, len(rows), INSERT_BATCH):
            conn.execute(insert(camera_images), rows[start : start + INSERT_BATCH])


def count_files(root: Path) -> int:
    return sum(len(names) for _, _, names in os.walk(root))


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def measure_cleanup(files: int, base_dir: str | None = None, settle: float = 5.0) -> dict:
    """Seconds for find and for clean_images on identical trees of `files` expired images."""
    with tempfile.TemporaryDirectory(prefix="bench-camera-", dir=base_dir) as tmp:
        work = Path(tmp)
        find_data, clean_data = work / "find" / "data", work / "clean" / "data"
        engine = engine_from_url(f"sqlite:///{work / 'clean' / 'app.db'}")
        try:
            migrate(engine)
            now = datetime.now(UTC).replace(microsecond=0)
            rows = build_trees(files, [find_data, clean_data], now - timedelta(days=32))
            index(engine, rows)
            del rows
            os.sync()  # write-back of the build must not land in either timing
            time.sleep(settle)

            policy = CleanupPolicy(retention_days=30, force=True)
            clean_s, report = timed(clean_images, engine, clean_data, now, policy)
            find_s, _ = timed(
                subprocess.run,
                ["find", str(find_data / "images"), "-mtime", "+30", "-delete"],
                check=True,
            )

            left_find = count_files(find_data / "images")
            left_clean = count_files(clean_data / "images")
            with engine.connect() as conn:
                left_rows = conn.execute(
                    select(func.count()).select_from(camera_images)
                ).scalar_one()
        finally:
            engine.dispose()
    if left_find or left_clean or left_rows or report.errors:
        raise RuntimeError(
            f"not everything was deleted: find left {left_find} file(s), cleanup left "
            f"{left_clean} file(s) and {left_rows} row(s), errors {report.errors[:5]}"
        )
    if report.files_deleted != files or report.rows_deleted != files:
        raise RuntimeError(f"cleanup deleted the wrong amount: {report.summary()}")
    return {
        "cleanup_files": files,
        "find_seconds": round(find_s, 3),
        "cleanup_seconds": round(clean_s, 3),
        "cleanup_ratio_vs_find": round(clean_s / find_s, 3),
    }


class Side:
    """One side's own data directory, app database and portal block."""

    def __init__(self, sb: Sandbox, work: Path, name: str):
        self.name = name
        self.data_dir = work / name / "data"
        self.db_path = work / name / "app.db"
        self.engine = engine_from_url(f"sqlite:///{self.db_path}")
        migrate(self.engine)
        self.portal = CameraPortal(
            base_url=sb.camera.base_url,
            username="bench",
            password=SecretStr("bench-pass"),
            streams=list(STREAMS),
        )

    def kept(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(camera_images)).scalar_one()


def seed_loop(side: Side) -> int:
    """The seed's job: one stream after the other, one image after the other."""
    index = ImageIndex(side.engine)
    session = side.data_dir / "camera" / "loop.session.json"
    kept = 0
    for stream in STREAMS:
        with PortalBrowser(side.portal, "loop", session, side.data_dir / FAILURES) as browser:
            listing = browser.list_images(stream)
            fetcher = ImageFetcher(side.portal, browser.cookies(), concurrency=1)
            for img in sorted(listing.images, key=lambda i: i.captured_at):
                data, content_type = fetcher.get(img.url)
                image = check_image(data, content_type)
                path = image_path(stream, img.captured_at, image.ext)
                atomic_write_bytes(side.data_dir / path, data)
                kept += index.add(
                    StoredImage(
                        stream,
                        img.captured_at,
                        path,
                        image.sha256,
                        len(data),
                        image.width,
                        image.height,
                    )
                )
            fetcher.close()
    return kept


def flow_run(side: Side, concurrency: int) -> int:
    side.portal.save(f"bench-portal-{side.name}", overwrite=True)
    connector(f"sqlite:///{side.db_path}").save(f"bench-db-{side.name}", overwrite=True)
    os.environ["AUTOMATIONS_DATA_DIR"] = str(side.data_dir)
    result = camera_download(
        concurrent_downloads=concurrency,
        batch_size=1000,
        portal_block=f"bench-portal-{side.name}",
        app_db_block=f"bench-db-{side.name}",
    )
    return int(result["kept"])


def fetch_spans(sb: Sandbox) -> dict[str, tuple[int, float, float]]:
    """Per stream: images served, and the first request and last answer (epoch seconds),
    as the portal saw them."""
    spans: dict[str, tuple[int, float, float]] = {}
    for stream in STREAMS:
        hits = [r for r in sb.requests(rf"^/camera/images/{stream}/") if r["status"] == 200]
        starts = [datetime.fromisoformat(r["at"].replace("Z", "+00:00")).timestamp() for r in hits]
        ends = [t + r["duration_ms"] / 1000 for t, r in zip(starts, hits, strict=True)]
        spans[stream] = (len(hits), min(starts), max(ends))
    return spans


def measure_download(images: int, latency_ms: int, concurrency: int = 3) -> dict:
    """The flow against the seed's loop on the same portal, in one run."""
    window = images // len(STREAMS)
    streams = {s: {"window": window} for s in STREAMS}
    with (
        tempfile.TemporaryDirectory(prefix="bench-camera-") as tmp,
        Sandbox.start() as sb,
        prefect_test_harness(120),
    ):
        work = Path(tmp)
        sb.camera.portal(streams, username="bench", password="bench-pass", now=PORTAL_NOW)
        for stream in STREAMS:  # the portal renders every JPEG once, before any timing
            sb.camera.frames(stream)
        flow_run(Side(sb, work, "warm-flow"), concurrency)  # imports, browser, harness
        seed_loop(Side(sb, work, "warm-loop"))

        loop_side, flow_side = Side(sb, work, "loop"), Side(sb, work, "flow")
        sb.add_fault(r"^/camera/images/", delay_ms=latency_ms)
        loop_s, loop_kept = timed(seed_loop, loop_side)
        sb.clear_requests()
        flow_s, flow_kept = timed(flow_run, flow_side, concurrency)
        spans = fetch_spans(sb)
        sb.clear_faults()
    expected = window * len(STREAMS)
    if loop_kept != expected or flow_kept != expected or flow_side.kept() != expected:
        raise RuntimeError(f"not every image was kept: loop {loop_kept}, flow {flow_kept}")
    bound = len(STREAMS) * concurrency / (latency_ms / 1000)  # images per second
    # streams fetch side by side, each at its own rate; their browsers start a few
    # hundred ms apart, which the union of the spans and the end-to-end figure show
    rate = sum(n / (end - start) for n, start, end in spans.values())
    union = max(e for _, _, e in spans.values()) - min(s for _, s, _ in spans.values())
    return {
        "images": expected,
        "latency_ms": latency_ms,
        "loop_seconds": round(loop_s, 3),
        "flow_seconds": round(flow_s, 3),
        "fetch_seconds": round(union, 3),
        "speedup_vs_sequential": round(loop_s / flow_s, 3),
        "fraction_of_bound": round(rate / bound, 3),
        "fraction_of_bound_union": round(expected / union / bound, 3),
        "fraction_of_bound_end_to_end": round(expected / flow_s / bound, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=300)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--settle", type=float, default=5.0, help="seconds idle before timing")
    parser.add_argument("--dir", default=None, help="where the temp trees go (default: TMPDIR)")
    args = parser.parse_args()

    try:
        download = measure_download(args.images, args.latency_ms)
        print(
            f"seed loop: {download['loop_seconds']:.2f} s   flow: {download['flow_seconds']:.2f} s"
            f"   fetching: {download['fetch_seconds']:.2f} s   ({args.images} images)"
        )
        cleanup = measure_cleanup(args.files, args.dir, args.settle)
        print(
            f"find: {cleanup['find_seconds']:.2f} s   cleanup: {cleanup['cleanup_seconds']:.2f} s"
            f"   ({args.files} files)"
        )
    except RuntimeError as exc:
        sys.exit(str(exc))
    print(json.dumps({"benchmark": "camera", **download, **cleanup}))


if __name__ == "__main__":
    main()
