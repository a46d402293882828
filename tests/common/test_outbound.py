"""The outbound-URL guard: every address class, names that resolve inside, redirects,
the allow-list, and that the check sits where the connection is made."""

from __future__ import annotations

import http.server
import ipaddress
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from flows.common import outbound
from flows.common.errors import ConfigError, PermanentError
from flows.common.outbound import (
    OutboundPolicy,
    OutboundRefused,
    guarded,
    refusal,
    why_not_public,
)

NOTHING = OutboundPolicy()


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "a loopback address"),
        ("127.8.9.10", "a loopback address"),
        ("::1", "a loopback address"),
        ("10.1.2.3", "a private address"),
        ("172.16.0.1", "a private address"),
        ("192.168.1.1", "a private address"),
        ("169.254.169.254", "a link-local address (cloud metadata lives there)"),
        ("fe80::1", "a link-local address (cloud metadata lives there)"),
        ("fd00::1", "a unique-local address"),
        ("224.0.0.1", "a multicast address"),
        ("ff02::1", "a multicast address"),
        ("0.0.0.0", "an unspecified address"),
        ("::", "an unspecified address"),
        ("240.0.0.1", "a reserved address"),
        ("100.64.0.1", "not a public address"),  # carrier-grade NAT
        ("::ffff:127.0.0.1", "a loopback address"),  # IPv4-mapped
        ("2002:7f00:1::", "a loopback address"),  # 6to4 of 127.0.0.1
        ("64:ff9b::a00:1", "a private address"),  # NAT64 of 10.0.0.1
        ("93.184.216.34", None),
        ("2606:4700::1111", None),
    ],
)
def test_every_address_class_is_named(address, why):
    assert why_not_public(ipaddress.ip_address(address)) == why


def test_a_literal_is_refused_by_its_rule_and_a_name_by_what_it_resolves_to():
    with pytest.raises(OutboundRefused, match=r"^refused: 127\.0\.0\.1 is a loopback address$"):
        NOTHING.check("127.0.0.1", 80, ["127.0.0.1"])
    with pytest.raises(
        OutboundRefused, match=r"refused: evil\.example resolves to 10\.0\.0\.5, a private"
    ):
        NOTHING.check("evil.example", 443, ["93.184.216.34", "10.0.0.5"])  # every address counts
    NOTHING.check("example.com", 443, ["93.184.216.34", "2606:4700::1111"])


def test_an_ipv6_literal_is_named_as_written():
    with pytest.raises(OutboundRefused, match=r"^refused: ::ffff:127\.0\.0\.1 is a loopback"):
        NOTHING.check("[::ffff:127.0.0.1]", 80, ["::ffff:7f00:1"])


def test_a_refusal_is_permanent():
    assert issubclass(OutboundRefused, PermanentError)


def test_the_allow_list_takes_hosts_host_ports_and_networks():
    policy = OutboundPolicy.parse(["nas.local", "127.0.0.1:4300", "192.168.1.0/24", "fd00::7", ""])
    policy.check("nas.local", 80, ["192.168.7.7"])
    policy.check("127.0.0.1", 4300, ["127.0.0.1"])
    policy.check("printer", 631, ["192.168.1.20"])
    policy.check("v6", 80, ["fd00::7"])
    with pytest.raises(OutboundRefused, match=r"127\.0\.0\.1 is a loopback"):
        policy.check("127.0.0.1", 4200, ["127.0.0.1"])  # the sandbox's port, not Prefect's
    with pytest.raises(OutboundRefused, match=r"192\.168\.2\.1"):
        policy.check("other", 80, ["192.168.2.1"])


def test_a_malformed_allow_entry_is_named():
    with pytest.raises(ConfigError, match=r"outbound_allow: \['not a host', 'a/b:c'\]"):
        OutboundPolicy.parse(["ok.example", "not a host", "a/b:c"])


# --- at the connection ---------------------------------------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.hits.append(self.path)  # type: ignore[attr-defined]
        if self.path.startswith("/redirect"):
            self.send_response(302)
            self.send_header("Location", self.path.split("to=", 1)[1])
            self.end_headers()
            return
        body = b"secret inside the network"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@contextmanager
def server() -> Iterator[http.server.HTTPServer]:
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.hits = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()


def port(srv: http.server.HTTPServer) -> int:
    return srv.server_address[1]


def test_a_guarded_request_to_loopback_never_connects():
    with server() as inside, guarded(NOTHING):
        with pytest.raises(httpx.ConnectError) as failed:
            httpx.get(f"http://127.0.0.1:{port(inside)}/secret", timeout=5)
        assert str(refusal(failed.value)) == "refused: 127.0.0.1 is a loopback address"
        assert inside.hits == []


@pytest.mark.parametrize("host", ["localhost", "2130706433", "0x7f000001", "[::ffff:127.0.0.1]"])
def test_a_name_or_spelling_that_resolves_inside_is_refused(host):
    with server() as inside, guarded(NOTHING), pytest.raises(httpx.HTTPError) as failed:
        httpx.get(f"http://{host}:{port(inside)}/secret", timeout=5)
    assert refusal(failed.value) is not None, failed.value
    assert inside.hits == []


def test_a_redirect_from_an_allowed_host_to_a_private_one_is_refused_at_the_hop():
    with server() as allowed, server() as inside:
        policy = OutboundPolicy.parse([f"127.0.0.1:{port(allowed)}"])
        target = f"http://127.0.0.1:{port(inside)}/secret"
        with guarded(policy), pytest.raises(httpx.ConnectError) as failed:
            httpx.get(
                f"http://127.0.0.1:{port(allowed)}/redirect?to={target}",
                follow_redirects=True,
                timeout=5,
            )
        assert allowed.hits == [f"/redirect?to={target}"]
        assert inside.hits == []
        assert "loopback" in str(refusal(failed.value))


def test_the_allow_list_lets_the_users_own_host_through():
    with server() as nas, guarded(OutboundPolicy.parse([f"127.0.0.1:{port(nas)}"])):
        assert httpx.get(f"http://127.0.0.1:{port(nas)}/x", timeout=5).status_code == 200


def test_threads_outside_the_guard_keep_reaching_loopback():
    """The Prefect client, the app database and the log shipper run on other threads."""
    results = []
    with server() as local, guarded(NOTHING):
        worker = threading.Thread(
            target=lambda: results.append(httpx.get(f"http://127.0.0.1:{port(local)}/", timeout=5))
        )
        worker.start()
        worker.join()
    assert results[0].status_code == 200


def test_each_connection_is_checked_on_its_own_lookup_so_a_rebinding_name_is_caught(monkeypatch):
    """The first lookup answers public, the next one private: the guard checks the
    very answer the socket is handed, every time, so the switch is refused."""
    answers = iter(["93.184.216.34", "10.0.0.5"])

    def resolver(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    monkeypatch.setattr(outbound, "_real_getaddrinfo", resolver)
    with guarded(NOTHING):
        first = socket.getaddrinfo("rebind.example", 80)
        assert first[0][4][0] == "93.184.216.34"
        with pytest.raises(OutboundRefused, match=r"rebind\.example resolves to 10\.0\.0\.5"):
            socket.getaddrinfo("rebind.example", 80)
