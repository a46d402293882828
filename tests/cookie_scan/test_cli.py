"""The schedules command: each change checked like the API's entries, written to the app
database and reconciled into the deployment at once; refusals name the bad input."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client

from flows.cookie_scan.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def deployment(prefect_harness) -> str:
    name = f"per-domain-{uuid.uuid4().hex[:8]}"
    with get_client(sync_client=True) as client:
        client.create_deployment(flow_id=client.create_flow_from_name("cookie-scan"), name=name)
    return f"cookie-scan/{name}"


class Cli:
    def __init__(self, db_url: str, deployment: str, capsys: pytest.CaptureFixture[str]):
        self.db_url, self.deployment, self.capsys = db_url, deployment, capsys

    def __call__(self, *argv: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        out = io.StringIO()
        code = main(["--db-url", self.db_url, "--deployment", self.deployment, *argv], out=out)
        return code, out.getvalue(), self.capsys.readouterr().err

    def schedules(self) -> dict:
        with get_client(sync_client=True) as client:
            found = client.read_deployment_by_name(self.deployment).schedules
        return {s.slug: s for s in found}


@pytest.fixture
def cli(local_app_db, deployment, capsys) -> Cli:
    return Cli(local_app_db.url, deployment, capsys)


def test_add_set_disable_enable_delete_reach_prefect_at_once(cli: Cli) -> None:
    code, out, err = cli(
        "schedules", "add", "shop", "Bücher.example", "--frequency", "weekly",
        "--day", "friday", "--hour", "6", "--timezone", "Europe/Berlin", "--page", "/cart",
    )  # fmt: skip
    assert code == 0, err
    assert out.splitlines()[0] == (
        "added shop: xn--bcher-kva.example, weekly (0 6 * * 5 Europe/Berlin), enabled"
    )
    made = cli.schedules()["domain-shop"]
    assert (made.schedule.cron, made.schedule.timezone, made.active) == (
        "0 6 * * 5", "Europe/Berlin", True,
    )  # fmt: skip
    assert made.parameters == {"domain_config_id": "shop"}

    code, out, err = cli("schedules", "set", "shop", "--hour", "7", "--minute", "45")
    assert code == 0, err
    assert cli.schedules()["domain-shop"].schedule.cron == "45 7 * * 5", "day kept"

    assert cli("schedules", "disable", "shop")[0] == 0
    assert cli.schedules()["domain-shop"].active is False
    code, out, _ = cli("schedules", "enable", "shop")
    assert code == 0 and out.startswith("enabled shop")
    assert cli.schedules()["domain-shop"].active is True

    code, out, _ = cli("schedules", "list")
    header, row, total = out.splitlines()
    assert header.split() == [
        "id", "domain", "frequency", "cron", "timezone", "enabled", "source", "pages", "depth",
    ]  # fmt: skip
    assert row.split() == [
        "shop", "xn--bcher-kva.example", "weekly", "45", "7", "*", "*", "5", "Europe/Berlin",
        "yes", "manual", "1", "0",
    ]  # fmt: skip
    assert total == "1 schedule(s)"

    assert cli("schedules", "delete", "shop")[0] == 0
    assert "domain-shop" not in cli.schedules()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["add", "x", "example.com", "--frequency", "daily", "--hour", "25"],
            "error: schedule 'x': schedule.time.hour must be 0..23, got 25",
        ),
        (
            ["add", "x", "http://example.com/a", "--frequency", "daily"],
            "error: schedule 'x': domain 'http://example.com/a' must be a bare name",
        ),
        (
            ["add", "x", "10.0.0.1", "--frequency", "daily"],
            "error: schedule 'x': domain '10.0.0.1' is an IP address",
        ),
        (
            ["add", "x y", "example.com", "--frequency", "daily"],
            "error: schedule 'x y': domain_config_id 'x y' must be 1-64 letters",
        ),
        (
            ["add", "x", "example.com", "--frequency", "sometimes"],
            "error: schedule 'x': schedule.frequency 'sometimes' is not hourly",
        ),
        (
            ["add", "x", "example.com", "--frequency", "daily", "--timezone", "Berlin"],
            "error: schedule 'x': timezone 'Berlin' is not an IANA zone",
        ),
        (["set", "nope", "--hour", "1"], "error: no schedule with domain_config_id 'nope'"),
        (["disable", "nope"], "error: no schedule with domain_config_id 'nope'"),
    ],
)
def test_refusals_name_the_bad_input_and_write_nothing(cli: Cli, argv, message) -> None:
    code, _, err = cli("schedules", *argv)
    assert code == 2 and err.startswith(message), err
    assert cli("schedules", "list")[1].splitlines()[-1] == "0 schedule(s)"
    assert cli.schedules() == {}


def test_set_with_nothing_to_change_is_refused(cli: Cli) -> None:
    cli("schedules", "add", "a", "a.example", "--frequency", "hourly")
    code, _, err = cli("schedules", "set", "a")
    assert code == 2 and "nothing to change" in err


def test_no_reconcile_leaves_prefect_to_the_next_sync(cli: Cli) -> None:
    code, out, _ = cli(
        "--no-reconcile", "schedules", "add", "a", "a.example", "--frequency", "hourly"
    )
    assert code == 0 and "Prefect" not in out
    assert cli.schedules() == {}
    assert cli("schedules", "enable", "a")[0] == 0  # any change reconciles everything
    assert set(cli.schedules()) == {"domain-a"}


def test_a_missing_deployment_says_the_change_was_saved(local_app_db, capsys) -> None:
    out = io.StringIO()
    code = main(
        ["--db-url", local_app_db.url, "--deployment", "cookie-scan/absent", "schedules", "add",
         "a", "a.example", "--frequency", "hourly"],
        out=out,
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 3
    assert "saved in the database, not yet in Prefect" in err and "prefect deploy" in err


def test_runs_as_a_module(local_app_db) -> None:
    env = {**os.environ, "APP_DB_URL": local_app_db.url}
    done = subprocess.run(
        [sys.executable, "-m", "flows.cookie_scan.cli", "schedules", "list"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "0 schedule(s)"
