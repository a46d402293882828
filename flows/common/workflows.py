"""What each workflow declares to the shared machinery, and where it is found.

A workflow is one package under `flows/`. Its `workflow.py` defines
`WORKFLOW = Workflow(...)`: the block documents it needs and the environment
variables that fill them, the runs `make demo` starts, its health checks and its
app-database tables. The bootstrap, the demo, the health check, the migrations
and the README's catalogue read these declarations, so adding a workflow edits
no shared list: the package is found because it has a `workflow.py`.

`workflow.py` must stay cheap to import (blocks, tables, plain functions): the
bootstrap and the health check import every one of them, and neither should
start a browser engine or a media library to learn a block's name.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from prefect.blocks.core import Block
from pydantic import ValidationError
from sqlalchemy import Table

import flows
from flows.common.errors import ConfigError
from flows.common.health import Check, HealthContext

HealthCheck = Callable[..., list[Check]]  # (HealthContext, **options) -> findings


@dataclass(frozen=True)
class BlockSetting:
    """One block document a workflow loads, and the variables that fill it.

    `env` maps a block field to the environment variable (or `.env` line) that
    holds it; `make demo` sets the same variables to the sandbox's stand-ins, so
    one code path builds the blocks for both. A field the block type requires
    (no default) must be set once any of the block's variables is.
    """

    document: str
    type: type[Block]
    env: Mapping[str, str]

    def from_env(self, environ: Mapping[str, str]) -> Block | None:
        """The block, or None when none of its variables is set (workflow not used)."""
        given = {f: environ[v] for f, v in self.env.items() if environ.get(v)}
        if not given:
            return None
        fields = self.type.model_fields
        missing = [self.env[f] for f in self.env if f not in given and fields[f].is_required()]
        if missing:
            raise ConfigError(
                f"block {self.document!r} ({self.type.get_block_type_slug()}): "
                f"set {' and '.join(missing)} as well"
            )
        values = {f: _from_text(fields[f].annotation, raw) for f, raw in given.items()}
        try:
            return self.type(**values)
        except ValidationError as exc:
            problems = "; ".join(
                f"{self.env.get(str(e['loc'][0]), e['loc'][0])}: {e['msg']}" for e in exc.errors()
            )
            raise ConfigError(f"block {self.document!r}: {problems}") from None


def _from_text(annotation: Any, raw: str) -> Any:
    """Variables are text; a list field takes a comma-separated value."""
    if typing.get_origin(annotation) is list:
        return [item.strip() for item in raw.split(",") if item.strip()]
    return raw


@dataclass(frozen=True)
class DemoRun:
    """One run `make demo` starts.

    Runs of a later phase start once every run of the earlier phases has ended
    (the camera cleanup, phase 1, sees what the download kept; the health check,
    the last phase, reports on everything).
    """

    deployment: str  # "<flow>/<deployment>", as users type it
    parameters: Mapping[str, Any] = field(default_factory=dict)
    phase: int = 0


@dataclass(frozen=True)
class Workflow:
    name: str  # the package under flows/, and the key of its health options
    title: str
    blocks: tuple[BlockSetting, ...] = ()
    demo: tuple[DemoRun, ...] = ()
    health: tuple[HealthCheck, ...] = ()
    tables: tuple[Table, ...] = ()

    @property
    def docs(self) -> str:
        """The workflow's page, relative to the repository root."""
        return f"docs/{self.name}.md"

    def checks(self, context: HealthContext) -> list[Check]:
        """Every declared health check, given this workflow's options."""
        options = dict(context.options.get(self.name, {}))
        found: list[Check] = []
        for check in self.health:
            try:
                inspect.signature(check).bind(context, **options)
            except TypeError as exc:  # an option the check does not take
                raise ConfigError(f"health options for {self.name!r}: {exc}") from None
            found += check(context, **options)
        return found


@cache
def workflows() -> tuple[Workflow, ...]:
    """Every workflow, in package order; an import error is raised, never skipped."""
    found = []
    for package in sorted(m.name for m in pkgutil.iter_modules(flows.__path__) if m.ispkg):
        try:
            module = importlib.import_module(f"flows.{package}.workflow")
        except ModuleNotFoundError as exc:
            if exc.name == f"flows.{package}.workflow":
                continue  # flows/common and other helpers declare nothing
            raise
        declared = module.WORKFLOW
        if declared.name != package:
            raise ConfigError(f"flows/{package}/workflow.py declares name {declared.name!r}")
        found.append(declared)
    return tuple(found)


def block_settings() -> list[BlockSetting]:
    return [setting for wf in workflows() for setting in wf.blocks]
