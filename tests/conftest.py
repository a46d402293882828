"""Fixtures by concern live in tests/fixtures/; each workflow's conftest keeps its own setup."""

pytest_plugins = [
    "tests.fixtures.sandbox",
    "tests.fixtures.databases",
    "tests.fixtures.prefect",
    "tests.fixtures.blocks",
    "tests.fixtures.stack",
]
