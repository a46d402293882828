"""The outbound-URL guard: outside input never reaches the inside of the network.

A URL in a Notion row, a domain from an API or a link in a feed is chosen by
whoever can write there. Fetched as it is, `http://127.0.0.1:4200/api/...` reads
the Prefect API (block secrets included) and `http://169.254.169.254/` a cloud's
credentials. So every address a host resolves to must be public, unless the user
allowed it (the `outbound_allow` setting: hosts, host:port pairs or networks).

The check sits where connections are made, not in front of them: inside
`guarded(policy)`, every name lookup of this thread goes through the policy and
hands back only the addresses it checked, so the socket connects to exactly
those. That covers each hop of a redirect (each opens a connection), libraries
that open their own connections (yt-dlp and its HTTP handlers, httpx, urllib),
IP literals in any spelling (`2130706433` is 127.0.0.1 to the resolver too) and
DNS rebinding (there is no second lookup between the check and the connect).
It does not cover lookups made on other threads (asyncio's resolver pool) or by
other processes (ffmpeg, a browser): those callers pin addresses themselves.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flows.common.errors import ConfigError, PermanentError, causes

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class OutboundRefused(PermanentError, OSError):
    """A connection the policy forbids; its message names the rule.

    Also an OSError, so the HTTP libraries treat it as the failed connection it
    is and keep it in their exception chains, where the caller finds it.
    """


def why_not_public(ip: Address) -> str | None:
    """The class of a non-public address, in words; None for a public one."""
    embedded = _embedded_ipv4(ip)
    if embedded is not None:
        return why_not_public(embedded)
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address (cloud metadata lives there)"
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.version == 6 and ip in _UNIQUE_LOCAL:
        return "a unique-local address"
    if ip.is_reserved:
        return "a reserved address"
    if ip.is_private:
        return "a private address"
    if not ip.is_global:
        return "not a public address"
    return None


def _literal(host: str) -> Address | None:
    """The address a host written as an IP literal names, in any spelling."""
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def _embedded_ipv4(ip: Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside an IPv6 one that a gateway would reach (mapped, 6to4,
    Teredo, NAT64), so `::ffff:127.0.0.1` is judged as 127.0.0.1."""
    if ip.version != 6:
        return None
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip.sixtofour:
        return ip.sixtofour
    if ip.teredo:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


@dataclass(frozen=True)
class OutboundPolicy:
    """What may be reached besides public addresses.

    `hosts`: names allowed on any port (`nas.local`); `host_ports`: a name or IP on
    one port (`127.0.0.1:4300`, the sandbox and nothing else on that machine);
    `networks`: addresses allowed on any port (`192.168.1.0/24`, or one IP).
    """

    hosts: frozenset[str] = frozenset()
    host_ports: frozenset[tuple[str, int]] = frozenset()
    networks: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> OutboundPolicy:
        """From the setting's entries; a malformed one is named, never ignored."""
        hosts, host_ports, networks, bad = set(), set(), [], []
        for raw in entries:
            entry = raw.strip().lower()
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
                continue
            except ValueError:
                pass
            host, sep, port = entry.rpartition(":")
            if sep and port.isdigit() and host and "/" not in host:
                host_ports.add((host.strip("[]"), int(port)))
            elif "/" not in entry and ":" not in entry and " " not in entry:
                hosts.add(entry.rstrip("."))
            else:
                bad.append(raw)
        if bad:
            raise ConfigError(
                f"setting outbound_allow: {bad} are neither hosts, host:port pairs nor networks"
            )
        return cls(frozenset(hosts), frozenset(host_ports), tuple(networks))

    def allows(self, host: str, port: int | None, ip: Address) -> bool:
        host = host.lower().rstrip(".").strip("[]")
        if host in self.hosts or any(ip in net for net in self.networks):
            return True
        return port is not None and (
            (host, port) in self.host_ports or (str(ip), port) in self.host_ports
        )

    def check(self, host: str, port: int | None, addresses: Iterable[str]) -> None:
        """Raise `OutboundRefused` unless every address is public or allowed."""
        for text in addresses:
            ip = ipaddress.ip_address(text.split("%", 1)[0])  # drop an IPv6 scope id
            why = why_not_public(ip)
            if why is None or self.allows(host, port, ip):
                continue
            if _literal(host) == ip:
                raise OutboundRefused(f"refused: {host.strip('[]')} is {why}")
            raise OutboundRefused(f"refused: {host} resolves to {ip}, {why}")


# --- where connections are made --------------------------------------------------------

_real_getaddrinfo = socket.getaddrinfo
_state = threading.local()
_install_lock = threading.Lock()


def _guarded_getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list:
    infos = _real_getaddrinfo(host, port, *args, **kwargs)
    policy: OutboundPolicy | None = getattr(_state, "policy", None)
    if policy is not None and host is not None:
        name = host.decode() if isinstance(host, bytes) else str(host)
        number = int(port) if isinstance(port, int) or str(port).isdigit() else None
        policy.check(name, number, [info[4][0] for info in infos])
    return infos


def _install() -> None:
    """Route `socket.getaddrinfo` through the guard; a no-op for unguarded threads."""
    with _install_lock:
        if socket.getaddrinfo is not _guarded_getaddrinfo:
            socket.getaddrinfo = _guarded_getaddrinfo


@contextmanager
def guarded(policy: OutboundPolicy) -> Iterator[None]:
    """Every connection this thread opens inside the block obeys `policy`."""
    _install()
    previous = getattr(_state, "policy", None)
    _state.policy = policy
    try:
        yield
    finally:
        _state.policy = previous


def refusal(exc: BaseException) -> OutboundRefused | None:
    """The refusal somewhere in an exception's chain, however a library wrapped it."""
    return next((c for c in causes(exc) if isinstance(c, OutboundRefused)), None)
