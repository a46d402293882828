"""Metadata refresh: the product's refresh against the same books asked one request at a
time, and a second run inside the cache window.

2,000 books (three in four with an ISBN, the rest found by title and author) and their
2,000 volumes in the sandbox's Google Books, every HTTP request to it delayed by 100 ms,
a key whose budget covers every run. Each side starts from a fresh SQLite app database
(no cached answers):

- sequential: the product's own refresh engine (`metadata.refresh`, the same search,
  budget, cache, matching and merge) with one request in flight, no Prefect;
- first: the `audiobook-metadata-full` flow under the Prefect test harness, with the
  block's default `max_in_flight` (8);
- second: the same flow again, right after: every answer is in the cache.

speedup_vs_sequential = sequential time / first flow time; second_run_requests = what
the sandbox received during the second run; second_over_first_time = second / first
flow time. `--sequential-books N` times the baseline on the first N books only and
scales it to all of them (said in the output as `sequential_extrapolated`).

    .venv/bin/python bench/metadata.py [--books 2000] [--latency-ms 100]
                                       [--sequential-books N]

The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

from prefect.testing.utilities import prefect_test_harness
from pydantic import SecretStr
from sqlalchemy import Engine, insert

from blocks.audiobooks import GoogleBooks
from flows.audiobooks import metadata
from flows.audiobooks.flow import audiobook_metadata_full
from flows.audiobooks.googlebooks import connect
from flows.audiobooks.names import title_key
from flows.audiobooks.tables import audiobook_books
from flows.common.db import connector, engine_from_url, migrate
from flows.common.times import utcnow
from infra.sandbox.core.client import Sandbox
from infra.sandbox.services.googlebooks.client import volume

KEY = "bench-books-key"
WORDS = "amber basalt cedar dune ember fjord glacier harbor iris juniper kestrel lagoon".split()  # noqa: SIM905


def isbn(i: int) -> str:
    core = f"978{100000000 + i:09d}"
    check = (10 - sum((3 if n % 2 else 1) * int(c) for n, c in enumerate(core)) % 10) % 10
    return core + str(check)


def title(i: int) -> str:
    return f"The {WORDS[i % 12].title()} {WORDS[(i // 12) % 12].title()} Chronicle {i}"


def author(i: int) -> str:
    return f"Author {WORDS[i % 7].title()} {i % 97}"


def volumes(count: int) -> list[dict]:
    return [
        volume(
            title(i),
            [author(i)],
            isbn_13=isbn(i),
            volume_id=f"bench{i:06d}",
            publisher="Bench House",
            publishedDate="2020-01-01",
            description=f"Volume {i} of the benchmark.",
        )
        for i in range(count)
    ]


def library(engine: Engine, count: int) -> None:
    """The books, inserted in one statement (the import is not what is measured)."""
    now = utcnow()
    rows = [
        {
            "title": title(i),
            "title_key": title_key(title(i)),
            "authors": [author(i)],
            "narrators": [],
            "isbn_13": isbn(i) if i % 4 else None,
            "status": "owned",
            "origin": "library",
            "origin_key": f"bench:{i}",
            "added_at": now,
        }
        for i in range(count)
    ]
    with engine.begin() as conn:
        conn.execute(insert(audiobook_books), rows)


def fresh_db(folder: Path, name: str, count: int) -> tuple[str, Engine]:
    url = f"sqlite:///{folder / name}.db"
    engine = engine_from_url(url)
    migrate(engine)
    library(engine, count)
    return url, engine


def block(sb: Sandbox) -> GoogleBooks:
    return GoogleBooks(
        api_key=SecretStr(KEY),
        base_url=sb.googlebooks.base_url,
        batch_uri=sb.googlebooks.batch_uri,
        daily_quota=1_000_000,
    )


def measure_sequential(sb: Sandbox, folder: Path, count: int, sample: int) -> dict:
    _, engine = fresh_db(folder, "sequential", sample)
    books = connect(block(sb), "google-books", engine)
    start = time.perf_counter()
    _, tally = metadata.refresh(engine, books, "metadata-full", max_in_flight=1)
    elapsed = time.perf_counter() - start
    assert len(tally.done) == sample, tally.summary()
    return {
        "sequential_seconds": round(elapsed * count / sample, 2),
        "sequential_measured_books": sample,
        "sequential_extrapolated": sample != count,
    }


def measure_flow(sb: Sandbox, folder: Path, count: int) -> dict:
    url, _ = fresh_db(folder, "flow", count)
    with prefect_test_harness(server_startup_timeout=120):
        block_name = f"google-books-{uuid.uuid4().hex[:6]}"
        block(sb).save(block_name)
        db_block = f"app-db-{uuid.uuid4().hex[:6]}"
        connector(url).save(db_block)
        timings, requests, data = [], [], []
        for _ in range(2):
            before = sb.googlebooks.api_requests()
            start = time.perf_counter()
            state = audiobook_metadata_full(
                google_books_block=block_name, app_db_block=db_block, return_state=True
            )
            timings.append(time.perf_counter() - start)
            assert state.is_completed(), state.message
            requests.append(sb.googlebooks.api_requests() - before)
            data.append(state.result())
    assert data[0]["checked"] == count and data[1]["checked"] == count, data
    return {
        "first_seconds": round(timings[0], 2),
        "second_seconds": round(timings[1], 3),
        "first_run_requests": requests[0],
        "second_run_requests": requests[1],
        "first_run": {k: data[0][k] for k in ("exact", "matched", "review", "unmatched")},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--books", type=int, default=2000)
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--sequential-books", type=int, default=None)
    args = parser.parse_args()
    sample = min(args.sequential_books or args.books, args.books)
    with Sandbox.start() as sb, tempfile.TemporaryDirectory() as tmp:
        sb.googlebooks.add_key(KEY, daily_quota=10_000_000)
        vols = volumes(args.books)
        for start in range(0, len(vols), 500):
            sb.googlebooks.add_volumes(*vols[start : start + 500])
        sb.googlebooks.settings(latency_ms=args.latency_ms)
        folder = Path(tmp)
        flow = measure_flow(sb, folder, args.books)
        print(f"flow: {flow}", flush=True)
        sequential = measure_sequential(sb, folder, args.books, sample)
        print(f"sequential: {sequential}", flush=True)
    result = {
        "speedup_vs_sequential": round(sequential["sequential_seconds"] / flow["first_seconds"], 2),
        "second_run_requests": flow["second_run_requests"],
        "second_over_first_time": round(flow["second_seconds"] / flow["first_seconds"], 4),
        "books": args.books,
        "latency_ms": args.latency_ms,
        **sequential,
        **flow,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
