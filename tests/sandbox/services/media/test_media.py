"""The fake media hosts, driven with yt-dlp (as the link downloader uses it) and httpx."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import httpx
import pytest
import yt_dlp
from PIL import Image
from yt_dlp.utils import DownloadError

from infra.sandbox.core.client import Sandbox


def download(url: str, target: Path) -> dict[str, Any]:
    options = {
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
        "outtmpl": str(target / "%(id)s.%(ext)s"),
        "socket_timeout": 10,
    }
    with yt_dlp.YoutubeDL(options) as ydl:
        return ydl.extract_info(url, download=True)


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize(
    ("path", "ext"),
    [("files/clip.mp4", "mp4"), ("files/pic.jpg", "jpg"), ("files/anim.webm", "webm")],
)
def test_yt_dlp_downloads_direct_files(sb: Sandbox, tmp_path: Path, path: str, ext: str) -> None:
    info = download(sb.media.url(path), tmp_path)
    saved = tmp_path / f"{info['id']}.{ext}"
    assert files_in(tmp_path) == [saved.name]
    assert saved.read_bytes() == httpx.get(sb.media.url(path)).content
    gets = [r for r in sb.requests(f"^/media/{path}$") if r["status"] in (200, 206)]
    assert gets, "the request log saw the download"


def test_yt_dlp_finds_the_one_video_behind_a_page(sb: Sandbox, tmp_path: Path) -> None:
    info = download(sb.media.url("pages/my-cat_video.html"), tmp_path)
    assert info.get("_type", "video") == "video", "exactly one video, not a playlist"
    assert info["title"].startswith("My Cat Video")
    assert info["ext"] == "mp4"
    assert [r["status"] for r in sb.requests(r"^/media/pages/my-cat_video\.html$")] == [200]
    assert [r["status"] for r in sb.requests(r"^/media/files/my-cat_video\.mp4$")] == [200]
    [saved] = tmp_path.iterdir()
    assert saved.read_bytes() == httpx.get(sb.media.url("files/my-cat_video.mp4")).content


@pytest.mark.parametrize("title", ["../../etc/passwd", "x" * 500, 'Quotes "&" <tags>'])
def test_custom_titles_reach_yt_dlp_verbatim(sb: Sandbox, tmp_path: Path, title: str) -> None:
    url = str(httpx.URL(sb.media.url("pages/t.html"), params={"title": title}))
    info = download(url, tmp_path)
    assert info["title"].startswith(title)
    [saved] = tmp_path.iterdir()  # yt-dlp sanitised the name; nothing escaped tmp_path
    assert saved.suffix == ".mp4" and saved.stat().st_size > 0


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("gone/old.mp4", "404"),
        ("forbidden/secret.mp4", "403"),
        ("login/members.mp4", "Unsupported URL"),
        ("fake/promised.mp4", "Unsupported URL"),
        ("truncated/cut.mp4", "bytes read"),
    ],
)
def test_yt_dlp_fails_on_broken_links(sb: Sandbox, tmp_path: Path, path: str, message: str) -> None:
    with pytest.raises(DownloadError, match=message):
        download(sb.media.url(path), tmp_path)
    assert not [name for name in files_in(tmp_path) if not name.endswith(".part")]


def test_login_wall_redirects_to_a_form(sb: Sandbox) -> None:
    first = httpx.get(sb.media.url("login/members.mp4"))
    assert first.status_code == 302
    assert first.headers["location"] == "/media/accounts/login?next=%2Fmedia%2Flogin%2Fmembers.mp4"
    form = httpx.get(sb.media.url("login/members.mp4"), follow_redirects=True)
    assert form.status_code == 200 and "<form" in form.text and "<video" not in form.text


def test_fake_media_is_html(sb: Sandbox) -> None:
    answer = httpx.get(sb.media.url("fake/promised.mp4"))
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")


def test_truncated_body_drops_the_connection(sb: Sandbox) -> None:
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(sb.media.url("truncated/cut.mp4"))
    [record] = sb.requests("truncated")
    assert record["status"] == 200 and record["aborted"] is True
    assert httpx.get(f"{sb.base_url}/_sandbox/health").status_code == 200, "server still up"


def test_media_is_deterministic_and_real(sb: Sandbox) -> None:
    mp4 = httpx.get(sb.media.url("files/same.mp4"))
    assert mp4.headers["content-type"] == "video/mp4"
    assert int(mp4.headers["content-length"]) == len(mp4.content)
    assert mp4.content[4:8] == b"ftyp"
    assert httpx.get(sb.media.url("files/same.mp4")).content == mp4.content
    assert httpx.get(sb.media.url("files/other.mp4")).content != mp4.content

    for ext, fmt in (("jpg", "JPEG"), ("png", "PNG")):
        answer = httpx.get(sb.media.url(f"files/pic.{ext}"))
        image = Image.open(io.BytesIO(answer.content))
        assert image.format == fmt and image.size == (64, 64)
        assert httpx.get(sb.media.url(f"files/pic.{ext}")).content == answer.content

    assert httpx.get(sb.media.url("files/nope.txt")).status_code == 404


def test_head_and_ranges(sb: Sandbox) -> None:
    url = sb.media.url("files/r.mp4")
    full = httpx.get(url).content
    total = len(full)

    head = httpx.head(url)
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) == total
    assert head.headers["accept-ranges"] == "bytes"

    cases = {
        "bytes=0-": (0, total - 1),
        "bytes=10-19": (10, 19),
        "bytes=-16": (total - 16, total - 1),
        f"bytes=5-{total + 100}": (5, total - 1),
    }
    for header, (start, end) in cases.items():
        part = httpx.get(url, headers={"Range": header})
        assert part.status_code == 206, header
        assert part.headers["content-range"] == f"bytes {start}-{end}/{total}"
        assert part.content == full[start : end + 1]

    beyond = httpx.get(url, headers={"Range": f"bytes={total}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{total}"
    assert [r["range"] for r in sb.requests("r.mp4")][2] == "bytes=0-"


def test_a_trickling_host_answers_every_read_but_never_finishes(sb: Sandbox) -> None:
    timeout = httpx.Timeout(5.0, read=1.0)  # each read arrives well within a second
    with httpx.stream("GET", sb.media.url("trickle/slow.mp4?every=0.2"), timeout=timeout) as r:
        declared = int(r.headers["content-length"])
        got = b""
        for chunk in r.iter_bytes():
            got += chunk
            if len(got) >= 3:
                break
    assert declared > 1000 and len(got) >= 3


def test_a_silent_host_never_answers(sb: Sandbox) -> None:
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(sb.media.url("silent/clip.mp4"), timeout=httpx.Timeout(5.0, read=0.5))


def test_a_redirect_sends_the_client_anywhere(sb: Sandbox) -> None:
    answer = httpx.get(sb.media.url("redirect?to=http://10.0.0.1/secret"), timeout=5)
    assert answer.status_code == 302
    assert answer.headers["location"] == "http://10.0.0.1/secret"
