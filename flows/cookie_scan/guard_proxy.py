"""The scanner browser's only way out: a forward proxy that checks every connection.

A scanned page is hostile input: it can redirect to `http://127.0.0.1:4200/`, frame
`http://169.254.169.254/`, fetch a private address or open a websocket to one.
Playwright's route interception cannot stop all of that: a route handler sees only
the first URL of a redirect chain, and websockets and some service-worker requests
never reach it. So each browser context of a scan is given this proxy
(`proxy={"server": ..., "bypass": "<-loopback>"}`; without `<-loopback>` Chromium
would talk to loopback directly), and Chromium then opens no connection of its
own: every navigation, every redirect hop (each is a new request to the proxy),
iframes, subresources, fetch/XHR and websockets (tunnelled with CONNECT) come here.

For each request the proxy resolves the host itself (the scanner's host map first,
then the system resolver), checks the addresses with `OutboundPolicy.check`, and
connects to exactly the address it checked (no second lookup, so no DNS
rebinding). A refused request gets a 403 and is recorded with its reason for the
scan report; the target never sees a packet. Each request gets its own upstream
connection (`Connection: close`), which keeps the proxy small: no pooling, no
request smuggling between hosts.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
from collections import Counter
from dataclasses import dataclass, field

from flows.common.errors import ConfigError
from flows.common.outbound import OutboundPolicy, OutboundRefused

log = logging.getLogger(__name__)

MAX_HEAD = 64 * 1024
HEAD_TIMEOUT = 30.0
CONNECT_TIMEOUT = 10.0
RESOLVE_TIMEOUT = 10.0
IDLE_TIMEOUT = 120.0
CHUNK = 64 * 1024
HOP_BY_HOP = {
    b"connection",
    b"proxy-connection",
    b"proxy-authorization",
    b"keep-alive",
    b"te",
    b"trailer",
    b"upgrade",
}


@dataclass(frozen=True)
class HostMap:
    """Names answered from configuration instead of DNS (the sandbox's site names).

    Entries are `name=address` (exact) or `*.suffix=address` (any name under the
    suffix, the suffix itself included). The address is still checked by the policy:
    mapping a name to 127.0.0.1 does not allow it, `outbound_allow` does.
    """

    exact: dict[str, str] = field(default_factory=dict)
    suffixes: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, entries: list[str] | tuple[str, ...]) -> HostMap:
        exact: dict[str, str] = {}
        suffixes: list[tuple[str, str]] = []
        for raw in entries:
            for entry in str(raw).split(","):
                entry = entry.strip()
                if not entry:
                    continue
                name, sep, address = entry.partition("=")
                name, address = name.strip().lower().rstrip("."), address.strip()
                try:
                    ipaddress.ip_address(address)
                except ValueError:
                    address = ""
                if not sep or not name or not address:
                    raise ConfigError(
                        f"scanner host_map entry {entry!r} is not 'name=address' or "
                        "'*.suffix=address' with an IP address"
                    )
                if name.startswith("*."):
                    suffixes.append((name[2:], address))
                else:
                    exact[name] = address
        # The longest suffix wins, so `*.a.test` can override `*.test`.
        suffixes.sort(key=lambda s: -len(s[0]))
        return cls(exact, tuple(suffixes))

    def lookup(self, host: str) -> str | None:
        host = host.lower().rstrip(".")
        if host in self.exact:
            return self.exact[host]
        for suffix, address in self.suffixes:
            if host == suffix or host.endswith("." + suffix):
                return address
        return None

    @property
    def names(self) -> tuple[str, ...]:
        """The exact names (a wildcard names no host by itself)."""
        return tuple(self.exact)


@dataclass
class Refusal:
    host: str
    port: int
    reason: str

    def as_dict(self) -> dict:
        return {"host": self.host, "port": self.port, "reason": self.reason}


class GuardProxy:
    """One proxy per browser context (one pass), so its records are that pass's.

    Runs on the event loop that drives Playwright; `start()` binds 127.0.0.1 on a
    free port. `hosts` counts requests per host that were let through; `refused`
    lists those that were not.
    """

    def __init__(self, policy: OutboundPolicy, host_map: HostMap) -> None:
        self.policy = policy
        self.host_map = host_map
        self.hosts: Counter[str] = Counter()
        self.refused: list[Refusal] = []
        self._server: asyncio.base_events.Server | None = None
        self._tasks: set[asyncio.Task] = set()

    @property
    def port(self) -> int:
        assert self._server is not None, "proxy not started"
        return self._server.sockets[0].getsockname()[1]

    @property
    def server(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def playwright_proxy(self) -> dict[str, str]:
        """The context's `proxy` option: everything through us, loopback included."""
        return {"server": self.server, "bypass": "<-loopback>"}

    async def start(self) -> GuardProxy:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self._server.wait_closed()
            self._server = None

    # --- checking --------------------------------------------------------------------

    async def resolve_checked(self, host: str, port: int) -> list[str]:
        """The addresses to connect to, each one passed by the policy.

        Raises `OutboundRefused` for a forbidden address and for a name that does not
        resolve (the browser sees a refusal either way)."""
        host = host.strip("[]")
        mapped = self.host_map.lookup(host)
        if mapped is not None:
            addresses = [mapped]
        else:
            try:
                infos = await asyncio.wait_for(
                    asyncio.get_running_loop().getaddrinfo(
                        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
                    ),
                    RESOLVE_TIMEOUT,
                )
            except (OSError, TimeoutError) as exc:
                raise OutboundRefused(f"refused: {host} does not resolve ({exc})") from exc
            addresses = list(dict.fromkeys(info[4][0] for info in infos))
        self.policy.check(host, port, addresses)
        return addresses

    def _refuse(self, host: str, port: int, reason: str) -> None:
        self.refused.append(Refusal(host, port, reason))
        log.info("guard proxy %s", reason)

    async def _open(self, host: str, port: int):
        addresses = await self.resolve_checked(host, port)
        last: Exception | None = None
        for address in addresses:
            try:
                return await asyncio.wait_for(
                    asyncio.open_connection(address, port, limit=CHUNK), CONNECT_TIMEOUT
                )
            except (OSError, TimeoutError) as exc:
                last = exc
        raise ConnectionError(f"{host}:{port}: {last}")

    # --- serving ---------------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await self._serve(reader, writer)
        except (OSError, asyncio.IncompleteReadError, TimeoutError, asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:
            pass
        except Exception:  # a bug here must not take the loop down with it
            log.exception("guard proxy failed on a request")
        finally:
            if task is not None:
                self._tasks.discard(task)
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), HEAD_TIMEOUT)
        if len(head) > MAX_HEAD:
            await _reply(writer, 431, "request head too large")
            return
        request_line, _, rest = head.partition(b"\r\n")
        parts = request_line.split(b" ")
        if len(parts) != 3:
            await _reply(writer, 400, "bad request line")
            return
        method, target, version = parts
        if method == b"CONNECT":
            await self._tunnel(target.decode("latin-1"), reader, writer)
        else:
            await self._forward(method, target.decode("latin-1"), version, rest, reader, writer)

    async def _open_or_answer(self, host: str, port: int, writer):
        """The upstream connection, counted; or None once the browser has its 403
        (refused, recorded) or 502 (unreachable)."""
        try:
            upstream = await self._open(host, port)
        except OutboundRefused as exc:
            self._refuse(host, port, str(exc))
            await _reply(writer, 403, str(exc))
            return None
        except ConnectionError as exc:
            await _reply(writer, 502, str(exc))
            return None
        self.hosts[host.lower()] += 1
        return upstream

    async def _tunnel(self, target: str, reader, writer) -> None:
        host, port = _split_host_port(target, 443)
        if host is None:
            await _reply(writer, 400, f"bad CONNECT target {target!r}")
            return
        upstream = await self._open_or_answer(host, port, writer)
        if upstream is None:
            return
        up_reader, up_writer = upstream
        writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        await writer.drain()
        await _pipe_both(reader, writer, up_reader, up_writer)

    async def _forward(self, method, target, version, rest, reader, writer) -> None:
        scheme, sep, after = target.partition("://")
        if not sep or scheme.lower() not in ("http", "ws"):
            # Chromium sends https and wss as CONNECT; anything else is not ours to fetch.
            self._refuse(target[:200], 0, f"refused: {scheme or target[:40]!r} is not http(s)")
            await _reply(writer, 403, "only http(s) is allowed")
            return
        authority, _slash, path = after.partition("/")
        authority = authority.rpartition("@")[2]  # credentials in the URL are dropped
        host, port = _split_host_port(authority, 80)
        if host is None:
            await _reply(writer, 400, f"bad target {target[:200]!r}")
            return
        upstream = await self._open_or_answer(host, port, writer)
        if upstream is None:
            return
        up_reader, up_writer = upstream
        headers = [
            line
            for line in rest.split(b"\r\n")
            if line and line.split(b":", 1)[0].strip().lower() not in HOP_BY_HOP
        ]
        up_writer.write(
            method + b" /" + path.encode("latin-1") + b" " + version + b"\r\n"
            + b"".join(h + b"\r\n" for h in headers)
            + b"Connection: close\r\n\r\n"
        )  # fmt: skip
        await up_writer.drain()
        # The request body (if any) flows up while the answer flows down; the answer's
        # head says `Connection: close` so Chromium never reuses this connection.
        up = asyncio.ensure_future(_pipe(reader, up_writer, close=False))
        try:
            answer = await asyncio.wait_for(up_reader.readuntil(b"\r\n\r\n"), IDLE_TIMEOUT)
            status_line, _, answer_rest = answer.partition(b"\r\n")
            kept = [
                line
                for line in answer_rest.split(b"\r\n")
                if line
                and line.split(b":", 1)[0].strip().lower()
                not in (b"connection", b"proxy-connection", b"keep-alive")
            ]
            writer.write(
                status_line + b"\r\n" + b"".join(h + b"\r\n" for h in kept)
                + b"Connection: close\r\nProxy-Connection: close\r\n\r\n"
            )  # fmt: skip
            await _pipe(up_reader, writer, close=True)
        finally:
            up.cancel()
            up_writer.close()


def _split_host_port(authority: str, default: int) -> tuple[str | None, int]:
    """`host:port`, `[v6]:port` or `host` -> (host, port); (None, 0) when malformed."""
    authority = authority.strip()
    if authority.startswith("["):
        host, _, after = authority[1:].partition("]")
        port_text = after[1:] if after.startswith(":") else ""
    elif authority.count(":") == 1:
        host, _, port_text = authority.partition(":")
    else:
        host, port_text = authority, ""
    if not host:
        return None, 0
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            return None, 0
        return host, int(port_text)
    return host, default


async def _reply(writer: asyncio.StreamWriter, status: int, text: str) -> None:
    body = (text + "\n").encode()
    reason = {400: "Bad Request", 403: "Forbidden", 431: "Too Large", 502: "Bad Gateway"}
    writer.write(
        f"HTTP/1.1 {status} {reason.get(status, 'Error')}\r\nContent-Type: text/plain\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        + body
    )
    await writer.drain()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, close: bool) -> None:
    try:
        while True:
            data = await asyncio.wait_for(reader.read(CHUNK), IDLE_TIMEOUT)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (OSError, TimeoutError):
        pass
    finally:
        if close:
            writer.close()
        elif writer.can_write_eof():
            with contextlib.suppress(OSError):
                writer.write_eof()


async def _pipe_both(reader, writer, up_reader, up_writer) -> None:
    """A CONNECT tunnel: bytes both ways until the site closes (or the browser does)."""
    up = asyncio.ensure_future(_pipe(reader, up_writer, close=False))
    down = asyncio.ensure_future(_pipe(up_reader, writer, close=True))
    try:
        await down
    finally:
        up.cancel()
        up_writer.close()
