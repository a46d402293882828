"""Start, run and stop the self-hosted stack: sandbox, Prefect server, worker.

    python -m infra.stack demo   # everything, offline, against the sandbox
    python -m infra.stack up     # against the blocks configured from .env
    python -m infra.stack down   # stop what demo/up started, by PID

Each process is started in its own session with its PID in `.run/<name>.pid` and
its output in `.run/<name>.log`; a process whose PID file points at a live
process is left running, so `demo` and `up` can be repeated.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Stack:
    """Where one stack keeps its state; tests build one per temporary directory."""

    root: Path = ROOT
    home: Path = ROOT / ".prefect"
    run_dir: Path = ROOT / ".run"
    data_dir: Path = ROOT / "data"
    api_port: int = 4200
    sandbox_port: int = 4300
    sandbox_tls_port: int = 4301
    work_pool: str = "automations"
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}/api"

    @property
    def ui_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def sandbox_url(self) -> str:
        return f"http://127.0.0.1:{self.sandbox_port}"

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            PREFECT_HOME=str(self.home),
            PREFECT_API_URL=self.api_url,
            PREFECT_UI_URL=self.ui_url,
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
            PREFECT_SERVER_UI_SHOW_PROMOTIONAL_CONTENT="false",
            AUTOMATIONS_DATA_DIR=str(self.data_dir),
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        env.update(extra)
        return env

    # processes -------------------------------------------------------------

    def _pid_file(self, name: str) -> Path:
        return self.run_dir / f"{name}.pid"

    def pid(self, name: str) -> int | None:
        """The PID of a process this stack started, if it is still alive."""
        try:
            pid = int(self._pid_file(name).read_text())
            os.kill(pid, 0)
        except (FileNotFoundError, ValueError, ProcessLookupError, PermissionError):
            return None
        return pid

    def start(self, name: str, args: list[str], ready: Callable[[], bool], timeout: float = 90):
        if self.pid(name):
            print(f"{name}: already running (pid {self.pid(name)})")
            return
        self.run_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.run_dir / f"{name}.log"
        with open(log_path, "ab") as log:
            proc = subprocess.Popen(
                args,
                cwd=self.root,
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self._pid_file(name).write_text(str(proc.pid))
        deadline = time.monotonic() + timeout
        while not _safe(ready):
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(errors="replace")[-3000:]
                self.stop(name)
                raise RuntimeError(f"{name} did not start; last lines of {log_path}:\n{tail}")
            time.sleep(0.3)
        print(f"{name}: started (pid {proc.pid}, log {os.path.relpath(log_path, self.root)})")

    def stop(self, name: str, grace: float = 10) -> None:
        pid = self.pid(name)
        self._pid_file(name).unlink(missing_ok=True)
        if pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
            time.sleep(0.2)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        print(f"{name}: stopped (pid {pid})")

    def run(self, *args: str, env: Mapping[str, str] | None = None) -> str:
        """A command in the stack's environment (plus `env`); its output, or an error naming it."""
        proc = subprocess.run(
            list(args), cwd=self.root, env=self.env(**(env or {})), capture_output=True, text=True
        )
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
        return proc.stdout

    def prefect(self, *args: str) -> str:
        return self.run(sys.executable, "-m", "prefect", *args)

    # the pieces ------------------------------------------------------------

    def start_sandbox(self) -> dict[str, str]:
        """Start (or reuse) the sandbox and (re)seed its demo data; returns the variables
        that point each workflow's blocks at it (what `.env` holds for real accounts)."""
        args = [sys.executable, "-m", "infra.sandbox", "--host", "127.0.0.1"]
        args += ["--port", str(self.sandbox_port), "--tls-port", str(self.sandbox_tls_port)]
        # Kept in the run folder: the blocks the demo configures point at its CA file.
        args += ["--tls-dir", str(self.run_dir / "sandbox-tls")]
        self.start("sandbox", args, lambda: _ok(f"{self.sandbox_url}/_sandbox/health"))
        seeded = httpx.post(f"{self.sandbox_url}/_sandbox/seed/demo", timeout=10)
        seeded.raise_for_status()
        return seeded.json()["env"]

    def start_server(self) -> None:
        args = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1"]
        args += ["--port", str(self.api_port)]
        self.start("server", args, lambda: _ok(f"{self.api_url}/health"), timeout=180)

    def start_worker(self) -> None:
        args = [sys.executable, "-m", "prefect", "worker", "start", "--pool", self.work_pool]
        args += ["--type", "process", "--name", f"{self.work_pool}-worker"]
        self.start("worker", args, self._worker_online)

    def _worker_online(self) -> bool:
        url = f"{self.api_url}/work_pools/{self.work_pool}/workers/filter"
        return bool(httpx.post(url, json={}, timeout=5).json())

    def configure(self, sandbox_env: Mapping[str, str] | None = None) -> None:
        """Block types and documents, work pool, notifications, migrations, deployments.

        With `sandbox_env` (the demo) the blocks come from those variables and `.env`
        is ignored; otherwise from the environment and `.env`.
        """
        bootstrap = [sys.executable, "-m", "deployments.bootstrap", "env"]
        if sandbox_env is not None:
            bootstrap.append("--no-dotenv")
        print(self.run(*bootstrap, env=sandbox_env).strip())
        self.prefect("--no-prompt", "deploy", "--all")
        print("deployments applied from prefect.yaml")

    def down(self) -> None:
        for name in ("worker", "server", "sandbox"):
            self.stop(name)


def _ok(url: str) -> bool:
    return httpx.get(url, timeout=2).status_code == 200


def _safe(check: Callable[[], bool]) -> bool:
    try:
        return check()
    except (httpx.HTTPError, ValueError):
        return False


def demo(stack: Stack) -> None:
    sandbox_env = stack.start_sandbox()
    stack.start_server()
    stack.configure(sandbox_env)
    stack.start_worker()
    os.environ.update(stack.env())  # before Prefect is imported: it reads its settings once
    from infra.demo import run_declared

    ok = run_declared()
    print(f"\nPrefect UI: {stack.ui_url}    stop everything with: make down")
    if not ok:
        sys.exit(1)


def up(stack: Stack) -> None:
    stack.start_server()
    stack.configure()
    stack.start_worker()
    print(f"\nPrefect UI: {stack.ui_url}    stop everything with: make down")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m infra.stack")
    parser.add_argument("command", choices=["demo", "up", "down"])
    args = parser.parse_args(argv)
    stack = Stack()
    {"demo": demo, "up": up, "down": Stack.down}[args.command](stack)


if __name__ == "__main__":
    main()
