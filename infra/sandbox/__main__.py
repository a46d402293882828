"""``python -m infra.sandbox --host 127.0.0.1 --port 4300 [--tls-port 4301] [--seed demo]``.

With ``--tls-port`` the same app also listens with TLS there, on a certificate made at
start (``infra.sandbox.core.tls``) in ``--tls-dir`` or a temporary folder; services that
declare ``secure`` get ``https://`` URLs on it. Logs go to stderr only, at warning level,
so test and demo output stays readable.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import shutil
import socket
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from infra.sandbox.core import tls
from infra.sandbox.core.app import create_app
from infra.sandbox.core.disconnect import QuietDisconnectFilter, register_listener
from infra.sandbox.core.service import discover, seed_names


def _public_host(host: str) -> str:
    """The host clients should use in URLs (a wildcard bind is reached via loopback)."""
    if host in ("", "0.0.0.0", "::"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and serve until SIGINT/SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m infra.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4300)
    parser.add_argument("--tls-port", type=int, default=None, help="also listen with TLS here")
    parser.add_argument(
        "--tls-dir", type=Path, default=None, help="where the certificate goes (kept)"
    )
    parser.add_argument("--seed", choices=seed_names(discover()), default=None)
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)

    public = _public_host(args.host)
    base_url = f"http://{public}:{args.port}"
    if args.tls_port is None:
        _run(create_app(base_url=base_url, seed=args.seed), args, None, base_url)
        return
    folder = args.tls_dir or Path(tempfile.mkdtemp(prefix="sandbox-tls-"))

    def forget() -> None:
        if args.tls_dir is None:
            shutil.rmtree(folder, ignore_errors=True)

    try:
        files = tls.generate(folder)
        secure_url = f"https://{public}:{args.tls_port}"
        app = create_app(
            base_url=base_url, seed=args.seed, secure_url=secure_url, ca_bundle=str(files.ca)
        )
        _run(app, args, files, f"{base_url} and {secure_url} (CA {files.ca})", forget)
    finally:
        forget()


def _run(
    app: FastAPI,
    args: argparse.Namespace,
    files: tls.TlsFiles | None,
    urls: str,
    on_stop: Callable[[], None] = lambda: None,
) -> None:
    """Serve on the plain listener, and the TLS one when there are ``files``, until a
    signal; both are uvicorn servers on one event loop sharing the app (and its state).

    ``on_stop`` runs as soon as the first one stops: uvicorn re-raises the signal it caught
    once the last one is down, which ends the process before any ``finally``.
    """
    common = {
        "host": args.host,
        "log_level": args.log_level,
        "access_log": False,
        "timeout_graceful_shutdown": 3,
    }
    servers = [uvicorn.Server(uvicorn.Config(app, port=args.port, **common))]
    if files is not None:
        secure = uvicorn.Config(
            app,
            port=args.tls_port,
            ssl_certfile=str(files.cert),
            ssl_keyfile=str(files.key),
            **common,
        )
        servers.append(_TlsServer(secure))
    for server in servers:
        register_listener(server.server_state)
    # uvicorn configured its loggers in Config(); deliberate disconnects are not errors.
    logging.getLogger("uvicorn.error").addFilter(QuietDisconnectFilter())
    seeded = f" (seed: {args.seed})" if args.seed else ""
    print(f"sandbox listening on {urls}{seeded}", file=sys.stderr, flush=True)
    asyncio.run(_serve(servers, on_stop))


class _TlsServer(uvicorn.Server):
    """Closing an idle TLS connection waits for the client's close_notify, which an idle
    keep-alive client never sends: every stop would sit out the graceful-shutdown timeout.
    The sandbox is going away, so its TLS connections are cut instead."""

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for connection in list(self.server_state.connections):
            transport = getattr(connection, "transport", None)
            if transport is not None:
                transport.abort()
        await super().shutdown(sockets)


async def _serve(servers: list[uvicorn.Server], on_stop: Callable[[], None]) -> None:
    """When one listener stops (a signal, a port already taken) the others stop too."""
    tasks = [asyncio.create_task(server.serve()) for server in servers]
    await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    on_stop()
    for server in servers:
        server.should_exit = True
    await asyncio.gather(*tasks, return_exceptions=True)


if __name__ == "__main__":
    main()
