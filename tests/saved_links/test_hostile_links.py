"""Saved links as an attacker and a failing machine would try them: links into the
network, redirects there, hosts that trickle, refuse or never answer, a full disk."""

from __future__ import annotations

import http.server
import os
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest
from prefect.settings import PREFECT_API_URL

from flows.saved_links.flow import saved_links


@contextmanager
def inside_host() -> Iterator[tuple[str, list[str]]]:
    """A service on loopback that is not allowed, recording any request it gets."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"the camera password")

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()


def error_of(setup, page_id: str) -> str:
    return setup.prop_text(page_id, "Error")


def test_links_into_the_network_are_refused_at_once_and_nothing_is_sent(links, sb, data_dir):
    api = PREFECT_API_URL.value()
    secrets = f"{api}/block_types/slug/camera-portal/block_documents/name/x?include_secrets=true"
    with inside_host() as (inside, hits):
        setup = links(
            [
                {"url": secrets},  # the Prefect API of this very harness
                {"url": "http://169.254.169.254/latest/meta-data/iam/"},
                {"url": f"{inside}/private"},
                {"url": f"http://localhost:{urlsplit(inside).port}/private"},
                {"url": sb.media.url(f"redirect?to={inside}/after-redirect")},
                {"url": sb.media.url("files/allowed.mp4")},
            ]
        )
        counts = saved_links(**setup.params())
        assert hits == [], "not one request reached the inside host"

    assert counts["failed"] == 5 and counts["done"] == 1
    errors = [error_of(setup, p) for p in setup.page_ids[:5]]
    assert errors[0] == "Refused: refused: 127.0.0.1 is a loopback address"
    assert errors[1] == (
        "Refused: refused: 169.254.169.254 is a link-local address (cloud metadata lives there)"
    )
    assert errors[2] == "Refused: refused: 127.0.0.1 is a loopback address"
    assert errors[3] == "Refused: refused: localhost resolves to 127.0.0.1, a loopback address"
    assert errors[4] == "Refused: refused: 127.0.0.1 is a loopback address", "refused at the hop"
    assert [setup.status(p) for p in setup.page_ids] == ["Failed"] * 5 + ["Done"]
    assert not list(data_dir.rglob("*x?include*")) and "password" not in str(
        [p.read_bytes() for p in data_dir.rglob("*") if p.is_file() and p.suffix != ".db"]
    )
    one_try = [r for r in sb.requests(r"^/media/redirect") if r["method"] == "GET"]
    assert len(one_try) == 1, "a refusal is permanent: never retried"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_transient_failures_are_retried_then_left_for_the_next_run(links, sb, outbound_allow):
    closed = free_port()  # allowed, but nobody listens: connection refused
    setup = links(
        [
            {"url": sb.media.url("silent/never.mp4")},  # headers never come
            {"url": sb.media.url("trickle/slow.mp4?every=1")},  # one byte a second
            {"url": f"http://127.0.0.1:{closed}/clip.mp4"},
            {"url": sb.media.url("files/fine.mp4")},
        ]
    )
    outbound_allow(urlsplit(sb.base_url).netloc, f"127.0.0.1:{closed}")
    state = saved_links(**setup.params(item_timeout_seconds=2), return_state=True)

    assert state.is_completed(), "nothing hangs: each link has a deadline"
    counts = state.result()
    assert counts["deferred"] == 3 and counts["done"] == 1
    silent, trickle, refused, fine = setup.page_ids
    for page_id in (silent, trickle, refused):
        assert setup.status(page_id) == "New"
        assert error_of(setup, page_id).endswith("(run 1 of 3)")
    assert error_of(setup, refused).startswith("NetworkError:")
    assert error_of(setup, trickle) == (
        "TimedOut: no result within item_timeout_seconds (2 s) (run 1 of 3)"
    )
    assert error_of(setup, silent).split(":")[0] in ("TimedOut", "NetworkError")  # read timeout
    assert len(sb.requests(r"^/media/trickle/")) >= 4, "the first try and 3 retries"
    assert setup.status(fine) == "Done"


@contextmanager
def tiny_disk(path) -> Iterator[None]:
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(path)], capture_output=True
    )
    if mounted.returncode != 0 or os.geteuid() != 0:
        pytest.skip(f"cannot mount a tiny tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(path) -> None:
    """Write until the disk is full."""
    with open(path, "wb", buffering=0) as ballast:
        try:
            while True:
                ballast.write(b"\0" * 4096)
        except OSError:
            pass


def test_a_full_disk_fails_the_run_and_no_row(links, sb, data_dir):
    setup = links([{"url": sb.media.url("files/big.mp4")}, {"url": sb.media.url("files/b.mp4")}])
    links_dir = data_dir / "links"
    with tiny_disk(links_dir):
        fill(links_dir / "ballast")
        state = saved_links(**setup.params(), return_state=True)
        (links_dir / "ballast").unlink()

    assert state.is_failed(), "the run fails, so the failure notification fires"
    assert "No space left on device" in state.message
    statuses = [setup.status(p) for p in setup.page_ids]
    assert statuses == ["New", None], "the row it was on is given back; no row failed for it"
    assert error_of(setup, setup.page_ids[0]) == ""

    counts = saved_links(**setup.params())  # the disk has room again
    assert counts["done"] == 2
    shutil.rmtree(links_dir, ignore_errors=True)
