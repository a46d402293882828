"""Run the sandbox as a subprocess and drive its control API: the test client.

Used by pytest fixtures and benchmarks::

    with Sandbox.start(seed="demo") as sb:
        client = notion_client.Client(auth="sandbox-notion-token", base_url=sb.notion.base_url)

``Sandbox`` covers the core (reset, seeds, faults, request log); each discovered service
adds its own client as ``sb.<name>`` (``sb.notion``, ``sb.camera``...). The process also
listens with TLS on ``sb.tls_port`` (``sb.secure_url``); its clients trust ``sb.ca_bundle``.

A real process (not an in-process ASGI transport) keeps the product's HTTP clients, retries
and yt-dlp downloads exactly as they run in production.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from infra.sandbox.core.paths import CONTROL_PREFIX, control_prefix, service_prefix
from infra.sandbox.core.service import discover

#: The repository root: the subprocess runs there so ``-m infra.sandbox`` resolves.
REPO_ROOT = Path(__file__).resolve().parents[3]
START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 5.0
HOST = "127.0.0.1"


class SandboxError(RuntimeError):
    """The sandbox did not start, died, or refused a control call."""


def free_port(host: str = HOST) -> int:
    """A port that was free a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def ssl_context(ca_bundle: str | None) -> ssl.SSLContext:
    """An SSL context that trusts the sandbox's CA (for httpx's ``verify``)."""
    return ssl.create_default_context(cafile=ca_bundle)


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class Sandbox:
    """A running sandbox process plus helpers for its ``/_sandbox`` control API, and one
    client per service: ``sb.notion``, ``sb.camera``, ``sb.media``, ``sb.webhooks``."""

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        port: int,
        log_path: Path,
        owns_log: bool,
        tls_port: int | None = None,
    ) -> None:
        self.process = process
        self.port = port
        self.base_url = f"http://{HOST}:{port}"
        self.tls_port = tls_port
        self.secure_url = f"https://{HOST}:{tls_port}" if tls_port is not None else None
        #: The CA file the TLS listener's certificate chains to (known once it is healthy).
        self.ca_bundle: str | None = None
        self.log_path = log_path
        self._owns_log = owns_log
        self._http = httpx.Client(base_url=self.base_url, timeout=30.0)
        self._attach_service_clients()
        atexit.register(self.stop)

    def _attach_service_clients(self) -> None:
        """``sb.<name>`` for every service, talking to ``/_sandbox/<name>``."""
        for service in discover():
            if hasattr(self, service.name):
                raise SandboxError(f"service {service.name!r} clashes with Sandbox.{service.name}")
            call = functools.partial(self._call_at, control_prefix(service.name))
            root = self.secure_url if service.secure and self.secure_url else self.base_url
            client = service.client(root + service_prefix(service.name), call)
            setattr(self, service.name, client)

    # --- lifecycle ------------------------------------------------------------------------------

    @classmethod
    def start(
        cls,
        port: int | None = None,
        seed: str | None = None,
        log_path: Path | None = None,
        tls_port: int | None = None,
    ) -> Sandbox:
        """Spawn ``python -m infra.sandbox`` and wait until ``/_sandbox/health`` answers on
        both listeners.

        With ``port=None`` / ``tls_port=None`` free ports are picked (retried if another
        process grabs one first). Output goes to ``log_path`` (a temporary file, removed on
        ``stop()``, if None).
        """
        attempts = 1 if port is not None and tls_port is not None else 3
        for attempt in range(attempts):
            try:
                return cls._spawn(port or free_port(), tls_port or free_port(), seed, log_path)
            except SandboxError as exc:
                if attempt + 1 == attempts or "address already in use" not in str(exc).lower():
                    raise
        raise AssertionError("unreachable")

    @classmethod
    def _spawn(cls, port: int, tls_port: int, seed: str | None, log_path: Path | None) -> Sandbox:
        owns_log = log_path is None
        if log_path is None:
            fd, name = tempfile.mkstemp(prefix="sandbox-", suffix=".log")
            os.close(fd)
            log_path = Path(name)
        command = [sys.executable, "-m", "infra.sandbox", "--host", HOST, "--port", str(port)]
        command += ["--tls-port", str(tls_port)]
        if seed is not None:
            command += ["--seed", seed]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        with open(log_path, "ab") as log:
            process = subprocess.Popen(
                command,
                cwd=REPO_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        sandbox = cls(process, port, log_path, owns_log, tls_port)
        try:
            sandbox._wait_healthy()
        except BaseException:
            sandbox.stop(keep_log=True)
            raise
        return sandbox

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code is not None:
                raise SandboxError(
                    f"sandbox exited with code {code} during start-up "
                    f"(log {self.log_path}):\n{_tail(self.log_path)}"
                )
            try:
                healthy = self._http.get("/_sandbox/health", timeout=1.0).status_code == 200
                if healthy and (self.secure_url is None or self._secure_healthy()):
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise SandboxError(
            f"sandbox not healthy after {START_TIMEOUT_S:.0f} s on {self.base_url} "
            f"(log {self.log_path}):\n{_tail(self.log_path)}"
        )

    def _secure_healthy(self) -> bool:
        """The TLS listener answers, with a certificate that chains to the CA it announced."""
        self.ca_bundle = self._call("GET", "/tls")["ca_bundle"]
        url = f"{self.secure_url}/_sandbox/health"
        return httpx.get(url, verify=ssl_context(self.ca_bundle), timeout=1.0).status_code == 200

    def stop(self, keep_log: bool = False) -> None:
        """SIGTERM the process group, SIGKILL after 5 s. Safe to call twice."""
        atexit.unregister(self.stop)
        self._http.close()
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=STOP_TIMEOUT_S)
        if self._owns_log and not keep_log:
            self.log_path.unlink(missing_ok=True)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- control API ----------------------------------------------------------------------------

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._call_at(CONTROL_PREFIX, method, path, **kwargs)

    def _call_at(self, prefix: str, method: str, path: str, **kwargs: Any) -> Any:
        response = self._http.request(method, f"{prefix}{path}", **kwargs)
        if response.is_error:
            raise SandboxError(
                f"{method} {prefix}{path} -> {response.status_code}: {response.text}"
            )
        return response.json()

    def reset(self) -> None:
        """Forget every service's data (webhook deliveries too), fault rules and the request log."""
        self._call("POST", "/reset")

    def seed(self, name: str = "demo") -> dict[str, Any]:
        """Apply a named seed (``demo``) in every service that has it.

        Returns ``{"env": {variable: value}, "<service>": <what its seed made>, ...}``.
        """
        return self._call("POST", f"/seed/{name}")

    def add_fault(
        self,
        path: str,
        *,
        method: str | None = None,
        status: int | None = None,
        retry_after: int | None = None,
        delay_ms: int | None = None,
        malformed: bool = False,
        times: int | None = None,
    ) -> str:
        """Add a fault rule (``path`` is a regex searched in the request path); returns its id."""
        rule = {
            "path": path,
            "method": method,
            "status": status,
            "retry_after": retry_after,
            "delay_ms": delay_ms,
            "malformed": malformed,
            "times": times,
        }
        return str(self._call("POST", "/faults", json=rule)["id"])

    def faults(self) -> list[dict[str, Any]]:
        """All rules with their ``hits`` and whether they are still ``active``."""
        return self._call("GET", "/faults")

    def clear_faults(self) -> None:
        """Remove every fault rule."""
        self._call("DELETE", "/faults")

    def requests(self, path: str | None = None) -> list[dict[str, Any]]:
        """Logged requests (oldest first), optionally only paths matching regex ``path``."""
        params = {"path": path} if path is not None else None
        return self._call("GET", "/requests", params=params)

    def clear_requests(self) -> None:
        """Empty the request log."""
        self._call("DELETE", "/requests")
