"""The fake camera portal, driven over real HTTP (httpx) and once through Debian Chromium."""

from __future__ import annotations

import hashlib
import io
import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
import pytest
from PIL import Image

from flows.common.browser import launch_chromium
from infra.sandbox.core.client import Sandbox, SandboxError
from infra.sandbox.services.camera.seeds import DEMO_PASSWORD, DEMO_USERNAME

#: 2025-11-26T23:00:00Z, a multiple of 600: the newest frame while the clock reads NOW.
NEWEST = 1_764_198_000
NOW = "2025-11-26T23:04:10Z"
USER, PASSWORD = "camera-user", "camera-pass"
COOKIE_HEADER = re.compile(r"^portal_session=[\w-]{20,}; Path=/camera; HttpOnly; SameSite=Lax$")


def iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def client(sb: Sandbox) -> httpx.Client:
    return httpx.Client(base_url=sb.base_url, timeout=10.0)


def login(http: httpx.Client, username: str = USER, password: str = PASSWORD) -> httpx.Response:
    form = {"username": username, "password": password, "next": "/camera/streams/in_gate"}
    return http.post("/camera/login", data=form)


def image(http: httpx.Client, stream: str, frame_id: int) -> httpx.Response:
    return http.get(f"/camera/images/{stream}/{frame_id}.jpg")


def embedded_frames(page: str) -> list[dict[str, str]]:
    match = re.search(r'<script id="frame-data" type="application/json">(.*?)</script>', page)
    assert match is not None, page
    return json.loads(match.group(1))


def decode(data: bytes) -> Image.Image:
    picture = Image.open(io.BytesIO(data))
    picture.load()
    return picture


def test_login_sets_the_cookie_and_redirects_to_next(sb: Sandbox) -> None:
    sb.camera.portal({"in_gate": {}}, now=NOW)
    with client(sb) as http:
        bounced = http.get("/camera/streams/in_gate")
        assert bounced.status_code == 302
        assert bounced.headers["location"] == "/camera/login?next=%2Fcamera%2Fstreams%2Fin_gate"

        form = http.get(bounced.headers["location"])
        assert form.status_code == 200
        for part in (
            '<form method="post" action="/camera/login">',
            '<input name="username"',
            '<input name="password" type="password">',
            '<input type="hidden" name="next" value="/camera/streams/in_gate">',
            '<button type="submit">Log in</button>',
        ):
            assert part in form.text

        answer = login(http)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/camera/streams/in_gate"
        assert COOKIE_HEADER.match(answer.headers["set-cookie"]), answer.headers["set-cookie"]
        assert http.get("/camera/streams/in_gate").status_code == 200
        index = http.get("/camera/")
        assert index.status_code == 200 and 'href="/camera/streams/in_gate"' in index.text

    assert sb.camera.stats() == {"logins": 1, "failed_logins": 0, "sessions": 1}


@pytest.mark.parametrize("next_path", ["", "/media/files/a.jpg", "https://elsewhere.test/"])
def test_login_only_redirects_inside_the_portal(sb: Sandbox, next_path: str) -> None:
    sb.camera.portal({"in_gate": {}}, now=NOW)
    form = {"username": USER, "password": PASSWORD, "next": next_path}
    answer = httpx.post(f"{sb.camera.base_url}/login", data=form)
    assert answer.status_code == 303 and answer.headers["location"] == "/camera/"


def test_wrong_credentials_stay_on_the_login_page_and_count(sb: Sandbox) -> None:
    sb.camera.portal({"in_gate": {}}, now=NOW)
    with client(sb) as http:
        for username, password in ((USER, "wrong"), ("someone", PASSWORD)):
            answer = http.post(
                "/camera/login",
                data={"username": username, "password": password, "next": "/camera/"},
                follow_redirects=True,
            )
            assert answer.status_code == 200 and answer.url.path == "/camera/login"
            assert '<p class="error">Invalid user name or password</p>' in answer.text
            assert "set-cookie" not in answer.headers and not http.cookies
        assert http.get("/camera/streams/in_gate").status_code == 302
    assert sb.camera.stats() == {"logins": 0, "failed_logins": 2, "sessions": 0}


def test_pages_and_images_redirect_to_login_without_a_valid_session(sb: Sandbox) -> None:
    sb.camera.portal({"in_gate": {}}, now=NOW)
    paths = ["/camera/", "/camera/streams/in_gate", f"/camera/images/in_gate/{NEWEST}.jpg"]
    for cookies in ({}, {"portal_session": "made-up"}):
        with httpx.Client(base_url=sb.base_url, cookies=cookies) as http:
            for path in paths:
                answer = http.get(path)
                assert answer.status_code == 302, (path, cookies)
                location = httpx.URL(answer.headers["location"])
                assert location.path == "/camera/login"
                assert location.params["next"] == path
            assert http.get("/camera/streams/nope").status_code == 302, "auth before lookup"

    with client(sb) as http:
        login(http)
        assert http.get("/camera/streams/nope").status_code == 404
        assert image(http, "nope", NEWEST).status_code == 404


def test_listing_is_rendered_from_embedded_json(sb: Sandbox) -> None:
    made = sb.camera.portal(
        {"in_gate": {}, "out_gate": {"interval_seconds": 300, "window": 3}}, now=NOW
    )
    in_gate = [NEWEST - i * 600 for i in range(12)]
    out_gate = [NEWEST, NEWEST - 300, NEWEST - 600]
    assert [f["frame_id"] for f in made["streams"]["in_gate"]] == in_gate
    assert [f["frame_id"] for f in made["streams"]["out_gate"]] == out_gate
    assert made["streams"]["in_gate"] == sb.camera.frames("in_gate")

    with client(sb) as http:
        login(http)
        page = http.get("/camera/streams/in_gate")
        assert page.headers["content-type"].startswith("text/html")
        assert "<title>in_gate - Camera portal</title>" in page.text
        assert '<ul id="frames"></ul>' in page.text
        assert "<a " not in page.text, "links only exist once the script ran"
        assert embedded_frames(page.text) == [
            {"url": f"/camera/images/in_gate/{t}.jpg", "captured_at": iso(t)} for t in in_gate
        ]
        short = embedded_frames(http.get("/camera/streams/out_gate").text)
        assert [f["url"] for f in short] == [f"/camera/images/out_gate/{t}.jpg" for t in out_gate]

        assert image(http, "in_gate", NEWEST - 600 * 20).status_code == 200, "older than window"
        for bad in (NEWEST + 600, NEWEST + 1, NEWEST - 300):
            assert image(http, "in_gate", bad).status_code == 404, bad
        assert http.get("/camera/images/in_gate/latest.jpg").status_code == 404
        assert image(http, "in_gate", NEWEST).status_code == 200
        assert http.get(f"/camera/images/in_gate/0{NEWEST}.jpg").status_code == 404

    frame = sb.camera.frames("in_gate")[0]
    assert frame == {
        "captured_at": "2025-11-26T23:00:00Z",
        "frame_id": NEWEST,
        "url": f"/camera/images/in_gate/{NEWEST}.jpg",
        "kind": "ok",
        "sha256": frame["sha256"],
        "bytes": frame["bytes"],
    }


def test_each_kind_serves_what_it_promises(sb: Sandbox) -> None:
    t = [NEWEST - i * 600 for i in range(8)]  # t[0] newest
    kinds = {
        iso(t[7]): "ok",
        str(t[6]): "truncated",
        iso(t[5]): "html",
        iso(t[4]): "empty",
        iso(t[3]): "missing",
        iso(t[2]): "ok",
        iso(t[1]): "frozen",
        iso(t[0]): "frozen",
    }
    sb.camera.portal({"in_gate": {"kinds": kinds, "window": 8}}, now=NOW, image_size=(200, 100))
    with client(sb) as http:
        login(http)
        served = {frame_id: image(http, "in_gate", frame_id) for frame_id in t}

    ok = served[t[7]]
    assert ok.status_code == 200 and ok.headers["content-type"] == "image/jpeg"
    assert decode(ok.content).format == "JPEG" and decode(ok.content).size == (200, 100)

    truncated = served[t[6]]
    assert truncated.status_code == 200 and truncated.headers["content-type"] == "image/jpeg"
    assert int(truncated.headers["content-length"]) == len(truncated.content) > 100
    assert truncated.content.startswith(b"\xff\xd8") and not truncated.content.endswith(b"\xff\xd9")
    with pytest.raises(OSError):
        decode(truncated.content)

    page = served[t[5]]
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert b"Session error" in page.content

    empty = served[t[4]]
    assert empty.status_code == 200 and empty.headers["content-type"] == "image/jpeg"
    assert empty.content == b"" and empty.headers["content-length"] == "0"

    assert served[t[3]].status_code == 404

    assert served[t[1]].content == served[t[2]].content == served[t[0]].content
    assert decode(served[t[0]].content).size == (200, 100)
    assert served[t[2]].content != ok.content, "different frames, different pictures"

    listed = {f["frame_id"]: f for f in sb.camera.frames("in_gate")}
    assert [listed[x]["kind"] for x in t] == [
        "frozen", "frozen", "ok", "missing", "empty", "html", "truncated", "ok"
    ]  # fmt: skip
    for frame_id, answer in served.items():
        if frame_id == t[3]:
            assert listed[frame_id]["sha256"] is None and listed[frame_id]["bytes"] == 0
        else:
            assert listed[frame_id]["sha256"] == hashlib.sha256(answer.content).hexdigest()
            assert listed[frame_id]["bytes"] == len(answer.content)


def test_ok_frames_are_deterministic_and_differ_over_time(sb: Sandbox) -> None:
    sb.camera.portal({"in_gate": {}, "out_gate": {}}, now=NOW)
    with client(sb) as http:
        login(http)
        first = image(http, "in_gate", NEWEST).content
        assert image(http, "in_gate", NEWEST).content == first
        assert image(http, "in_gate", NEWEST - 600).content != first
        assert image(http, "out_gate", NEWEST).content != first
        assert decode(first).size == (320, 240)
    sb.camera.portal({"in_gate": {}}, now=NOW, username="other", password="x")
    with client(sb) as http:
        login(http, "other", "x")
        assert image(http, "in_gate", NEWEST).content == first, "same frame, same bytes"


def test_frozen_from_repeats_the_last_picture_until_a_kind_says_otherwise(sb: Sandbox) -> None:
    t = [NEWEST - i * 600 for i in range(12)]
    stream = {
        "frozen_from": iso(t[9] + 120),  # between frames: t[9] is the last good one
        "kinds": {iso(t[5]): "ok", iso(t[3]): "missing"},
    }
    sb.camera.portal({"in_gate": stream}, now=NOW)
    frames = {f["frame_id"]: f for f in sb.camera.frames("in_gate")}
    assert [frames[x]["kind"] for x in t[:10]] == [
        "frozen", "frozen", "frozen", "missing", "frozen", "ok", "frozen", "frozen", "frozen", "ok"
    ]  # fmt: skip
    with client(sb) as http:
        login(http)
        bodies = {x: image(http, "in_gate", x) for x in t}
    for x in t[6:9]:
        assert bodies[x].content == bodies[t[9]].content
    assert bodies[t[4]].content == bodies[t[5]].content != bodies[t[9]].content
    assert bodies[t[3]].status_code == 404
    for x in t[:3]:
        assert bodies[x].status_code == 404, "a frozen frame repeats the missing one too"
    assert bodies[t[10]].content != bodies[t[9]].content


def test_a_stream_frozen_since_epoch_repeats_frame_zero(sb: Sandbox) -> None:
    sb.camera.portal({"in_gate": {"frozen_from": "1970-01-01T00:00:00Z"}}, now=NOW)
    listed = sb.camera.frames("in_gate")
    assert {f["kind"] for f in listed} == {"frozen"} and len(listed) == 12
    with client(sb) as http:
        login(http)
        first = image(http, "in_gate", 0)
        assert image(http, "in_gate", 600).content == first.content
    assert {f["sha256"] for f in listed} == {hashlib.sha256(first.content).hexdigest()}


def test_the_clock_moves_the_listing(sb: Sandbox) -> None:
    sb.camera.portal({"in_gate": {"window": 4}}, now=NOW)
    with client(sb) as http:
        login(http)
        assert image(http, "in_gate", NEWEST + 600).status_code == 404
        sb.camera.clock("2025-11-27T00:10:00+01:00")  # = 23:10 UTC, exactly on a frame
        ids = [f["frame_id"] for f in sb.camera.frames("in_gate")]
        assert ids == [NEWEST + 600, NEWEST, NEWEST - 600, NEWEST - 1200]
        assert image(http, "in_gate", NEWEST + 600).status_code == 200
        page = embedded_frames(http.get("/camera/streams/in_gate").text)
        assert page[0]["captured_at"] == iso(NEWEST + 600)

    sb.camera.clock("2025-11-26T23:09:59.999Z")
    assert sb.camera.frames("in_gate")[0]["frame_id"] == NEWEST, "not yet 23:10"

    sb.camera.clock(None)
    newest = sb.camera.frames("in_gate")[0]["frame_id"]
    assert 0 <= time.time() - newest < 600 + 5, "live wall clock"


def test_expire_invalidates_sessions_after_n_successful_requests(sb: Sandbox) -> None:
    sb.camera.portal({"in_gate": {"kinds": {iso(NEWEST - 600): "missing"}}}, now=NOW)
    with client(sb) as http, client(sb) as other:
        login(http)
        login(other)
        sb.camera.expire(3)
        assert http.get("/camera/streams/in_gate").status_code == 200
        assert image(http, "in_gate", NEWEST - 600).status_code == 404, "not a success"
        assert image(http, "in_gate", NEWEST).status_code == 200
        assert image(other, "in_gate", NEWEST).status_code == 200  # third: sessions die now
        assert sb.camera.stats()["sessions"] == 0
        for session in (http, other):
            answer = image(session, "in_gate", NEWEST)
            assert answer.status_code == 302
            assert answer.headers["location"].startswith("/camera/login?next=")

        login(http)
        for _ in range(5):
            assert image(http, "in_gate", NEWEST).status_code == 200, "one-shot"
        sb.camera.expire(0)
        assert http.get("/camera/streams/in_gate").status_code == 302
    assert sb.camera.stats() == {"logins": 3, "failed_logins": 0, "sessions": 0}


def test_generic_faults_and_the_request_log_cover_camera_paths(sb: Sandbox) -> None:
    sb.camera.portal({"in_gate": {}}, now=NOW)
    path = f"/camera/images/in_gate/{NEWEST}.jpg"
    with client(sb) as http:
        login(http)
        sb.clear_requests()
        sb.add_fault(r"^/camera/images/", status=500, times=1)
        sb.add_fault(r"^/camera/images/", delay_ms=300, times=1)
        failed = http.get(path)
        started = time.monotonic()
        slow = http.get(path)
        elapsed = time.monotonic() - started
    assert failed.status_code == 500 and failed.json()["error"] == "injected fault"
    assert slow.status_code == 200 and decode(slow.content).format == "JPEG"
    assert elapsed >= 0.29
    log = sb.requests(r"^/camera/images/")
    assert [(r["path"], r["status"]) for r in log] == [(path, 500), (path, 200)]
    assert all(r["fault_id"] for r in log) and log[1]["duration_ms"] >= 290


def test_concurrent_image_downloads_share_one_session(sb: Sandbox) -> None:
    made = sb.camera.portal({"in_gate": {}, "out_gate": {}}, now=NOW)
    frames = made["streams"]["in_gate"] + made["streams"]["out_gate"]
    with client(sb) as http:
        login(http)
        with ThreadPoolExecutor(max_workers=6) as pool:
            answers = list(pool.map(lambda f: http.get(f["url"]), frames))
    assert [a.status_code for a in answers] == [200] * len(frames)
    for frame, answer in zip(frames, answers, strict=True):
        assert hashlib.sha256(answer.content).hexdigest() == frame["sha256"]


def test_control_api_rejects_bad_portals_and_reset_forgets(sb: Sandbox) -> None:
    for streams, extra, mentioned in [
        ({"in_gate": {"kinds": {iso(NEWEST): "blurry"}}}, {}, "blurry"),
        ({"in_gate": {"kinds": {"yesterday": "ok"}}}, {}, "yesterday"),
        ({"in_gate": {"kinds": {iso(NEWEST + 60): "ok"}}}, {}, "multiple"),
        ({"in_gate": {"kinds": {"2025-11-26T23:00:00.5Z": "ok"}}}, {}, "whole seconds"),
        ({"in_gate": {"frozen_from": "soon"}}, {}, "soon"),
        ({"in_gate": {"interval": 60}}, {}, "interval"),
        ({"in gate": {}}, {}, "stream name"),
        ({"in_gate": {}}, {"now": "2025-13-40"}, "now"),
    ]:
        with pytest.raises(SandboxError, match="400") as caught:
            sb.camera.portal(streams, **extra)
        assert mentioned in str(caught.value)
    answer = httpx.post(f"{sb.base_url}/_sandbox/camera/portal", json={"streams": {}, "x": 1})
    assert answer.status_code == 400 and "username" in answer.text and "x" in answer.text
    with pytest.raises(SandboxError, match="400"):
        sb.camera.expire(-1)

    sb.camera.portal({"in_gate": {}}, now=NOW)
    with pytest.raises(SandboxError, match="404"):
        sb.camera.frames("out_gate")
    sb.reset()
    for call in (lambda: sb.camera.frames("in_gate"), sb.camera.stats):
        with pytest.raises(SandboxError, match="404"):
            call()
    assert httpx.get(f"{sb.camera.base_url}/login").status_code == 404


def test_the_demo_seed_has_a_live_portal(sb: Sandbox) -> None:
    seeded = sb.seed("demo")["camera"]
    assert seeded["base_url"] == sb.camera.base_url
    assert seeded["streams"] == ["in_gate", "out_gate"]
    with client(sb) as http:
        form = {"username": DEMO_USERNAME, "password": DEMO_PASSWORD, "next": ""}
        assert http.post("/camera/login", data=form).status_code == 303
        for stream in ("in_gate", "out_gate"):
            listed = embedded_frames(http.get(f"/camera/streams/{stream}").text)
            assert len(listed) == 12
            newest = int(listed[0]["url"].rsplit("/", 1)[1].removesuffix(".jpg"))
            assert newest % 600 == 0 and 0 <= time.time() - newest < 605
            assert decode(http.get(listed[-1]["url"]).content).format == "JPEG"
    assert {f["kind"] for f in sb.camera.frames("out_gate")} == {"ok"}


def test_chromium_logs_in_through_the_form_and_sees_the_rendered_links(sb: Sandbox) -> None:
    from playwright.sync_api import sync_playwright

    sb.camera.portal({"in_gate": {"window": 5}}, now=NOW)
    expected = [f["captured_at"] for f in sb.camera.frames("in_gate")]
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_page()
            page.goto(f"{sb.camera.base_url}/streams/in_gate")
            assert page.url.startswith(f"{sb.camera.base_url}/login?next=")
            page.fill("input[name=username]", USER)
            page.fill("input[name=password]", PASSWORD)
            with page.expect_navigation(wait_until="load"):
                page.click("button[type=submit]")
            assert page.url == f"{sb.camera.base_url}/streams/in_gate"
            links = page.eval_on_selector_all(
                "a.frame",
                "els => els.map(e => [e.getAttribute('href'), e.dataset.capturedAt])",
            )
            cookies = {c["name"]: c for c in page.context.cookies()}
        finally:
            browser.close()
    assert [at for _, at in links] == expected
    assert links[0][0] == f"/camera/images/in_gate/{NEWEST}.jpg"
    session = cookies["portal_session"]
    assert session["path"] == "/camera" and session["httpOnly"] and session["sameSite"] == "Lax"
    with httpx.Client(cookies={"portal_session": session["value"]}) as http:
        answer = http.get(f"{sb.base_url}{links[0][0]}")
    assert answer.status_code == 200 and decode(answer.content).format == "JPEG"
