"""One sandbox process per test module, reset before every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infra.sandbox.core.client import Sandbox


@pytest.fixture(scope="module")
def sandbox_process() -> Iterator[Sandbox]:
    """Starting a process costs ~1 s, so it is shared by the tests of a module."""
    with Sandbox.start() as sandbox:
        yield sandbox


@pytest.fixture
def sb(sandbox_process: Sandbox) -> Sandbox:
    """The shared sandbox, wiped clean (data, faults, request log, webhooks)."""
    sandbox_process.reset()
    return sandbox_process
