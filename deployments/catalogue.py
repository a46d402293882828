"""The deployment catalogue in README.md, built from prefect.yaml and the workflows.

    python -m deployments.catalogue            # print the table
    python -m deployments.catalogue --write    # replace it in README.md

prefect.yaml says what is deployed (schedules, concurrency); each workflow's
declaration says where its page is. The table is generated so that it cannot
drift from either; a test fails when README.md holds another one.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import yaml
from prefect.flows import load_flow_arguments_from_entrypoint

from flows.common.artifacts import markdown_table
from flows.common.workflows import workflows

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- catalogue: start -->", "<!-- catalogue: end -->"


def _schedule(entry: dict[str, Any]) -> str:
    if "cron" in entry:
        text = f"cron `{entry['cron']}`"
    elif "interval" in entry:
        text = f"every {entry['interval']} s"
    else:
        text = f"rrule `{entry.get('rrule')}`"
    return text if entry.get("active", True) else f"{text} (inactive)"


def _concurrency(limit: Any) -> str:
    if limit is None:
        return "none"
    if isinstance(limit, int):
        return str(limit)
    return f"{limit['limit']}, {limit.get('collision_strategy', 'ENQUEUE')}"


def rows(prefect_yaml: Path = ROOT / "prefect.yaml") -> list[tuple[str, str, str, str]]:
    """One row per deployment: name as users type it, schedules, concurrency, workflow page."""
    pages = {w.name: f"[{w.title}]({w.docs})" for w in workflows()}
    config = yaml.safe_load(prefect_yaml.read_text())
    found = []
    for dep in config["deployments"]:
        entrypoint = dep["entrypoint"]
        flow_name = load_flow_arguments_from_entrypoint(entrypoint)["name"]
        package = entrypoint.split("/")[1]
        if "schedules" in dep and dep["schedules"] is None:
            schedules = "kept on the server (not in prefect.yaml)"
        else:
            schedules = "; ".join(_schedule(s) for s in dep.get("schedules") or []) or "none"
        found.append(
            (
                f"`{flow_name}/{dep['name']}`",
                schedules,
                _concurrency(dep.get("concurrency_limit")),
                pages.get(package, package),
            )
        )
    return found


def table() -> str:
    return markdown_table(["deployment", "schedule", "concurrency", "workflow"], rows())


def rewrite(readme: Path = ROOT / "README.md") -> bool:
    """Put the current table between the markers; True when the file changed."""
    text = readme.read_text()
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    new = f"{head}{START}\n{table()}\n{END}{tail}"
    if new != text:
        readme.write_text(new)
    return new != text


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m deployments.catalogue")
    parser.add_argument("--write", action="store_true", help="update README.md in place")
    if parser.parse_args(argv).write:
        print("README.md updated" if rewrite() else "README.md is current")
    else:
        print(table())


if __name__ == "__main__":
    main()
