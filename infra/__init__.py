"""Local infrastructure: scripts that run the stack, and ``infra.sandbox``, the fake services."""
