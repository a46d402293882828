"""Saved links: the Prefect flow against a plain loop over the same processor.

200 links on the sandbox, every sandbox request delayed by 20 ms (Notion and
media alike). Both sides start from an empty data directory and app database,
so both download all 200 files; the difference is what Prefect costs per item.

    .venv/bin/python bench/saved_links.py [--links 200] [--latency-ms 20]

The last line is one JSON object: ratio_vs_plain_loop (flow time / loop time),
overhead_ms_per_item, and the raw timings.
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
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

from prefect.testing.utilities import prefect_test_harness
from prefect.variables import Variable
from pydantic import SecretStr

from blocks.notion import NotionLinksSource
from flows.common.db import connector, engine_from_url, migrate
from flows.common.outbound import OutboundPolicy
from flows.common.settings import OUTBOUND_ALLOW
from flows.saved_links.download import Downloader
from flows.saved_links.errors import LinkError
from flows.saved_links.flow import saved_links
from flows.saved_links.notion_source import NotionSource
from flows.saved_links.processor import LinkProcessor
from flows.saved_links.records import LinkStore, MediaStore
from infra.sandbox.core.client import Sandbox


class Side:
    """One side's own Notion database, data directory and app database."""

    def __init__(self, sb: Sandbox, work: Path, name: str, links: int):
        token = f"bench-{uuid.uuid4().hex}"
        rows = [{"url": sb.media.url(f"files/{name}-{i}.mp4")} for i in range(links)]
        made = sb.notion.create_database(rows, token=token)
        self.block = NotionLinksSource(
            token=SecretStr(token), database_id=made["database_id"], base_url=sb.notion.base_url
        )
        self.data_dir = work / name / "data"
        self.db_path = work / name / "app.db"
        self.engine = engine_from_url(f"sqlite:///{self.db_path}")
        migrate(self.engine)
        # the links point at the sandbox, on loopback: allowed as the demo allows it
        self.allowed = urlsplit(sb.base_url).netloc
        self.policy = OutboundPolicy.parse([self.allowed])


def plain_loop(side: Side) -> dict[str, int]:
    """What a cron script would do: the same processor, no orchestration."""
    source = NotionSource(side.block, "bench").open()
    downloader = Downloader(side.data_dir, MediaStore(side.engine), side.policy)
    processor = LinkProcessor(source, LinkStore(side.engine), downloader, str(uuid.uuid4()))
    counts = {"done": 0, "failed": 0}
    for row in source.candidates():
        try:
            outcome = processor.process(row)
        except LinkError as exc:
            outcome = processor.fail(row, exc)
        counts[outcome.outcome] += 1
    return counts


def flow_run(side: Side, name: str) -> dict[str, int]:
    side.block.save(f"bench-{name}", overwrite=True)
    connector(f"sqlite:///{side.db_path}").save(f"bench-db-{name}", overwrite=True)
    os.environ["AUTOMATIONS_DATA_DIR"] = str(side.data_dir)
    Variable.set(OUTBOUND_ALLOW, [side.allowed], overwrite=True)
    return saved_links(
        pause_seconds=0, source_block=f"bench-{name}", app_db_block=f"bench-db-{name}"
    )


def timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--links", type=int, default=200)
    parser.add_argument("--latency-ms", type=int, default=20)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, Sandbox.start() as sb, prefect_test_harness(120):
        work = Path(tmp)
        # warm both paths (extractor tables, imports, the harness's first runs)
        flow_run(Side(sb, work, "warm-flow", 3), "warm")
        plain_loop(Side(sb, work, "warm-loop", 3))

        loop_side = Side(sb, work, "loop", args.links)
        flow_side = Side(sb, work, "flow", args.links)
        sb.add_fault(r"^/(notion|media)/", delay_ms=args.latency_ms)
        loop_s, loop_counts = timed(plain_loop, loop_side)
        flow_s, flow_counts = timed(flow_run, flow_side, "main")
        sb.clear_faults()

    if loop_counts["done"] != args.links or flow_counts["done"] != args.links:
        sys.exit(f"not every link was downloaded: loop {loop_counts}, flow {flow_counts}")
    print(f"plain loop: {loop_s:.2f} s   flow: {flow_s:.2f} s   ({args.links} links)")
    print(
        json.dumps(
            {
                "benchmark": "saved_links",
                "links": args.links,
                "latency_ms": args.latency_ms,
                "loop_seconds": round(loop_s, 3),
                "flow_seconds": round(flow_s, 3),
                "ratio_vs_plain_loop": round(flow_s / loop_s, 3),
                "overhead_ms_per_item": round((flow_s - loop_s) / args.links * 1000, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
