"""The fake qBittorrent Web API v2: login cookie, add, list, and the ban after failed
logins."""

from __future__ import annotations

import httpx

from infra.sandbox.core.client import Sandbox

HASH = "ab" * 20
MAGNET = f"magnet:?xt=urn:btih:{HASH}&dn=The%20Hero%20of%20Ages"


def _client(sb: Sandbox) -> httpx.Client:
    return httpx.Client(base_url=f"{sb.qbittorrent.base_url}/api/v2", timeout=10)


def _login(http: httpx.Client, password: str = "adminadmin") -> httpx.Response:
    return http.post("/auth/login", data={"username": "admin", "password": password})


def test_login_sets_a_session_cookie_every_call_needs(sb: Sandbox) -> None:
    with _client(sb) as http:
        assert http.get("/app/version").status_code == 403
        assert http.post("/torrents/add", data={"urls": MAGNET}).status_code == 403
        answer = _login(http)
        assert answer.text == "Ok." and "SID" in http.cookies
        assert http.get("/app/version").text == "v4.6.7"
        sb.qbittorrent.expire()
        assert http.get("/torrents/info").status_code == 403


def test_add_by_form_or_multipart_and_list_by_tag_and_category(sb: Sandbox) -> None:
    torrent_url = "https://catalogue.example/torrents/artemis.torrent"
    with _client(sb) as http:
        _login(http)
        form = {"urls": MAGNET, "category": "audiobooks", "tags": "ab-1,mine", "savepath": "/a"}
        assert http.post("/torrents/add", data=form).text == "Ok."
        multipart = {"urls": (None, torrent_url), "tags": (None, "ab-2")}
        assert http.post("/torrents/add", files=multipart).text == "Ok."
        assert http.post("/torrents/add", data={"urls": "ftp://x/y"}).text == "Fails."
        assert http.post("/torrents/add", data=form).text == "Ok."  # already there: kept once
        everything = http.get("/torrents/info").json()
        assert [t["name"] for t in everything] == ["The Hero of Ages", "artemis"]
        [hero] = http.get("/torrents/info", params={"tag": "ab-1"}).json()
        assert hero["hash"] == HASH and hero["magnet_uri"] == MAGNET
        assert (hero["category"], hero["tags"], hero["save_path"]) == (
            "audiobooks",
            "ab-1, mine",
            "/a",
        )
        assert http.get("/torrents/info", params={"category": "audiobooks"}).json() == [hero]
        assert http.get("/torrents/info", params={"tag": "nope"}).json() == []
    assert [t["url"] for t in sb.qbittorrent.torrents()] == [MAGNET, torrent_url]


def test_wrong_password_fails_then_bans(sb: Sandbox) -> None:
    sb.qbittorrent.credentials("admin", "right", ban_after=3)
    with _client(sb) as http:
        assert [_login(http, "wrong").text for _ in range(3)] == ["Fails."] * 3
        banned = _login(http, "right")
        assert banned.status_code == 403 and "banned" in banned.text
        assert sb.qbittorrent.stats()["banned"] is True
        sb.qbittorrent.credentials("admin", "right")
        assert _login(http, "right").text == "Ok."


def test_demo_seed_env(sb: Sandbox) -> None:
    env = sb.seed("demo")["env"]
    with httpx.Client(base_url=env["DOWNLOAD_CLIENT_URL"] + "/api/v2") as http:
        login = {"username": env["DOWNLOAD_CLIENT_USERNAME"]}
        login["password"] = env["DOWNLOAD_CLIENT_PASSWORD"]
        assert http.post("/auth/login", data=login).text == "Ok."
