"""Cookie scan: scans per minute over the sandbox's consent sites with the shipped defaults.

A fresh sandbox; its `demo` seed gives the URL template, host map and secure origins.
Shared browser: `scan_domain` from `max_parallel` threads at once (as Prefect's task
runner calls it), over `--rounds` rounds of every site, one process-wide browser
(started before the clock: one warm-up scan). Fresh browser: one site at a time, a new
browser (pool) for each scan, launch included in the time.
speedup_vs_fresh_browser = shared rate / fresh rate. Peak RSS: the sum of the
resident memory of the browser's processes (Chromium and its children; RSS, and PSS
which does not count shared pages twice), sampled every 0.2 s during the shared run.

    .venv/bin/python bench/cookie_scan.py [--rounds 3] [--max-parallel N]

The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from blocks.cookie_scan import CookieScanner
from flows.common.outbound import OutboundPolicy
from flows.cookie_scan import browser_pool
from flows.cookie_scan.config import DomainConfig
from flows.cookie_scan.scanner import scan_domain
from infra.sandbox.core.client import Sandbox
from infra.sandbox.services.consent import sites


def config_for(site) -> DomainConfig:
    return DomainConfig(
        domain_config_id=site.domain_config_id,
        domain=site.domain,
        allow_deep_scan=site.depth > 0,
        max_pages=len(site.pages),
        scan_depth=site.depth,
        accept_selector=site.accept_selector,
    )


def browser_rss() -> tuple[int, int]:
    """Resident bytes (RSS, and PSS: shared pages split between their users, so the sum
    is not inflated by what Chromium's processes share) of this process's Chromium
    processes (every descendant named chrom*: browser, renderers, GPU, network), /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    names: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            ppid, pages = int(fields[1]), int(fields[21])
            with open(f"/proc/{entry}/comm") as fh:
                names[int(entry)] = fh.read().strip()
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
        rss[int(entry)] = pages * os.sysconf("SC_PAGE_SIZE")
    total, pss, stack = 0, 0, [os.getpid()]
    while stack:
        pid = stack.pop()
        if "chrom" in names.get(pid, ""):
            total += rss.get(pid, 0)
            pss += _pss(pid)
        stack.extend(children.get(pid, []))
    return total, pss


def _pss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def run_shared(configs, scanner, policy, shots: Path, rounds: int) -> dict:
    pool = browser_pool.get_pool()
    scan_domain(configs[0], scanner, policy, shots)  # warm-up: browser started
    peak, stop = [0, 0], threading.Event()

    def sample():
        while not stop.is_set():
            rss, pss = browser_rss()
            peak[0], peak[1] = max(peak[0], rss), max(peak[1], pss)
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    work = [c for _ in range(rounds) for c in configs]
    started = time.perf_counter()
    with ThreadPoolExecutor(scanner.max_parallel) as threads:
        reports = list(threads.map(lambda c: scan_domain(c, scanner, policy, shots), work))
    elapsed = time.perf_counter() - started
    stop.set()
    sampler.join()
    failed = [r.domain for r in reports if r.status != "completed"]
    launches = pool.launches
    browser_pool.close_pool()
    return {
        "scans": len(work),
        "seconds": round(elapsed, 2),
        "failed": failed,
        "launches": launches,
        "peak_rss": peak[0],
        "peak_pss": peak[1],
    }


def run_fresh(configs, scanner, policy, shots: Path) -> dict:
    started = time.perf_counter()
    failed = []
    for config in configs:
        report = scan_domain(config, scanner, policy, shots)
        if report.status != "completed":
            failed.append(report.domain)
        browser_pool.close_pool()  # the next scan starts its own browser
    return {
        "scans": len(configs),
        "seconds": round(time.perf_counter() - started, 2),
        "failed": failed,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--max-parallel", type=int, default=None, help="override the default (exploring)"
    )
    args = parser.parse_args()
    with Sandbox.start() as sandbox, tempfile.TemporaryDirectory() as tmp:
        env = sandbox.seed("demo")["env"]
        scanner = CookieScanner(
            url_template=env["COOKIE_SCAN_URL_TEMPLATE"],
            host_map=env["COOKIE_SCAN_HOST_MAP"].split(","),
            secure_origins=env.get("COOKIE_SCAN_SECURE_ORIGINS", "").split(","),
        )  # every other field: the shipped default
        if args.max_parallel:
            scanner = scanner.model_copy(update={"max_parallel": args.max_parallel})
        policy = OutboundPolicy.parse([f"127.0.0.1:{sandbox.port}"])
        configs = [config_for(site) for site in sites.SITES]
        shared = run_shared(configs, scanner, policy, Path(tmp), args.rounds)
        print("shared browser:", shared, flush=True)
        fresh = run_fresh(configs, scanner, policy, Path(tmp))
        print("fresh browser per site:", fresh, flush=True)
    shared_rate = shared["scans"] / shared["seconds"] * 60
    fresh_rate = fresh["scans"] / fresh["seconds"] * 60
    print(
        json.dumps(
            {
                "scans_per_minute": round(shared_rate, 1),
                "speedup_vs_fresh_browser": round(shared_rate / fresh_rate, 2),
                "peak_browser_rss_mb": round(shared["peak_rss"] / 2**20, 1),
                "peak_browser_pss_mb": round(shared["peak_pss"] / 2**20, 1),
                "fresh_scans_per_minute": round(fresh_rate, 1),
                "scans": shared["scans"],
                "failed_scans": shared["failed"] + fresh["failed"],
                "settle_seconds": scanner.settle_seconds,
                "max_parallel": scanner.max_parallel,
            }
        )
    )


if __name__ == "__main__":
    main()
