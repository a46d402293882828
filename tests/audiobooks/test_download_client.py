"""The qBittorrent client against the sandbox: a refused login is a clear error that
never carries the password; a ban says so; a dead client is transient."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from blocks.audiobooks import DownloadClient
from flows.audiobooks.download_client import HandOffRefused, QBittorrent
from flows.common.errors import ConfigError, TransientError
from infra.sandbox.core.client import Sandbox, free_port
from tests.audiobooks.feeds_helpers import client_block, magnet


def test_add_and_list_by_tag_with_the_blocks_category_and_path(sb: Sandbox) -> None:
    block = client_block(sb, save_path="/media/audiobooks")
    with QBittorrent(block) as client:
        assert client.version() == "v4.6.7"
        client.add([magnet("dune")], tags=["ab-1"], category="audiobooks", save_path="/x")
        [listed] = client.torrents(tag="ab-1")
        assert client.torrents(tag="ab-2") == []
    assert listed["name"] == "dune" and listed["category"] == "audiobooks"
    assert sb.qbittorrent.stats()["logins"] == 1  # one login for the whole session


def test_a_refused_login_names_the_block_and_never_the_password(sb: Sandbox) -> None:
    block = client_block(sb, password="Tr0ub4dor&3")
    with QBittorrent(block) as client, pytest.raises(ConfigError) as caught:
        client.add([magnet("dune")])
    message = str(caught.value)
    assert message.startswith("download-client block: login refused")
    assert "Tr0ub4dor" not in message and "admin" in message
    assert sb.qbittorrent.torrents() == []


def test_a_ban_is_named_as_such(sb: Sandbox) -> None:
    sb.qbittorrent.credentials("admin", "adminadmin", ban_after=2)
    wrong = client_block(sb, password="nope")
    for _ in range(2):
        with QBittorrent(wrong) as client, pytest.raises(ConfigError, match="wrong username"):
            client.login()
    with QBittorrent(client_block(sb)) as client, pytest.raises(ConfigError) as caught:
        client.login()
    assert "login refused" in str(caught.value) and "banned" in str(caught.value)


def test_an_expired_session_logs_in_again(sb: Sandbox) -> None:
    with QBittorrent(client_block(sb)) as client:
        client.login()
        sb.qbittorrent.expire()
        assert client.torrents() == []
    assert sb.qbittorrent.stats()["logins"] == 2


def test_a_link_the_client_will_not_take(sb: Sandbox) -> None:
    with QBittorrent(client_block(sb)) as client, pytest.raises(HandOffRefused):
        client.add(["magnet:?dn=no-hash"])


def test_an_unreachable_client_or_a_5xx_is_transient(sb: Sandbox) -> None:
    dead = DownloadClient(
        url=f"http://127.0.0.1:{free_port()}", username="a", password=SecretStr("pw-x")
    )
    with QBittorrent(dead) as client, pytest.raises(TransientError) as caught:
        client.login()
    assert "pw-x" not in str(caught.value)
    sb.add_fault(r"/qbittorrent/api/v2/torrents/add", status=502)
    with QBittorrent(client_block(sb)) as client, pytest.raises(TransientError, match="502"):
        client.add([magnet("dune")])
