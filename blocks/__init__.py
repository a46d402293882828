"""Prefect block types, one module per external system the automations talk to.

Each block that talks HTTP carries its base URL, so the same code runs against
the real service and against the sandbox in `infra/sandbox`. The bootstrap
registers every type a workflow declares; by hand, register one module:
`prefect block register -m blocks.notion`.
"""
