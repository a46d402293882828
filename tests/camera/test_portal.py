"""The portal through Debian's Chromium, against the sandbox portal."""

from __future__ import annotations

import stat
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from flows.camera.errors import LoginRefused, PortalUnavailable, StreamNotFound
from flows.camera.portal import PortalBrowser
from flows.common.times import parse_instant
from tests.camera.conftest import PASSWORD


def browser(setup, block: str = "portal") -> PortalBrowser:
    return PortalBrowser(
        setup.portal,
        block,
        setup.data_dir / "camera" / f"{block}.session.json",
        setup.data_dir / "images" / "_failures",
    )


def test_it_logs_in_lists_newest_frames_and_keeps_the_session_for_the_next_run(camera, sb):
    setup = camera({"in_gate": {"window": 4}})
    with browser(setup) as first:
        listing = first.list_images("in_gate")
    assert first.logins == 1
    times = [img.captured_at for img in listing.images]
    assert times == [parse_instant(f["captured_at"]) for f in sb.camera.frames("in_gate")]
    assert times[0] == datetime(2026, 11, 26, 12, 0, tzinfo=UTC) and len(times) == 4
    assert all(
        img.url.startswith(sb.camera.base_url + "/images/in_gate/") for img in listing.images
    )

    session = setup.data_dir / "camera" / "portal.session.json"
    assert stat.S_IMODE(session.stat().st_mode) == 0o600, "a saved login is private"
    assert PASSWORD not in session.read_text()
    with browser(setup) as second:
        assert len(second.list_images("in_gate").images) == 4
    assert second.logins == 0 and sb.camera.stats()["logins"] == 1


def test_an_expired_session_logs_in_again_once(camera, sb):
    setup = camera({"in_gate": {"window": 2}})
    with browser(setup) as first:
        first.list_images("in_gate")
    sb.camera.expire(0)
    with browser(setup) as second:
        assert len(second.list_images("in_gate").images) == 2
    assert second.logins == 1 and sb.camera.stats()["logins"] == 2


def test_a_wrong_password_is_refused_by_name_with_evidence(camera, sb):
    setup = camera({"in_gate": {}})
    setup.portal.password = SecretStr("not-the-password")
    with pytest.raises(LoginRefused) as refused, browser(setup) as b:
        b.list_images("in_gate")
    message = str(refused.value)
    assert "'portal'" in message and "'password'" in message and "not-the-password" not in message
    failures = sorted(p.suffix for p in (setup.data_dir / "images" / "_failures").iterdir())
    assert failures == [".html", ".png"]
    assert sb.camera.stats()["failed_logins"] == 1


def test_a_failing_stream_page_leaves_a_screenshot_and_its_html(camera, sb):
    setup = camera({"in_gate": {}})
    sb.add_fault(r"^/camera/streams/in_gate$", status=500)
    with pytest.raises(PortalUnavailable, match="500"), browser(setup) as b:
        b.list_images("in_gate")
    saved = {p.suffix: p for p in (setup.data_dir / "images" / "_failures").iterdir()}
    assert set(saved) == {".html", ".png"}
    assert "injected fault" in saved[".html"].read_text()
    assert saved[".png"].read_bytes().startswith(b"\x89PNG")


def test_an_unknown_stream_is_named(camera, sb):
    setup = camera({"in_gate": {}})
    with pytest.raises(StreamNotFound, match="'north_gate'"), browser(setup) as b:
        b.list_images("north_gate")
