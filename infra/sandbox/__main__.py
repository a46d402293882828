"""``python -m infra.sandbox --host 127.0.0.1 --port 4300 [--seed demo]``.

Logs go to stderr only, at warning level, so test and demo output stays readable.
"""

from __future__ import annotations

import argparse
import logging
import sys

import uvicorn

from infra.sandbox.core.app import create_app
from infra.sandbox.core.disconnect import QuietDisconnectFilter
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
    parser.add_argument("--seed", choices=seed_names(discover()), default=None)
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)

    base_url = f"http://{_public_host(args.host)}:{args.port}"
    app = create_app(base_url=base_url, seed=args.seed)
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        access_log=False,
        timeout_graceful_shutdown=3,
    )
    server = uvicorn.Server(config)
    # uvicorn configured its loggers in Config(); deliberate disconnects are not errors.
    logging.getLogger("uvicorn.error").addFilter(QuietDisconnectFilter())
    seeded = f" (seed: {args.seed})" if args.seed else ""
    print(f"sandbox listening on {base_url}{seeded}", file=sys.stderr, flush=True)
    server.run()


if __name__ == "__main__":
    main()
