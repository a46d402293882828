"""A single local HTTP process that stands in for every outside service.

Tests and the demo talk to real client libraries (notion-client, yt-dlp, httpx) pointed at
this process instead of the internet. Each fake service is its own ``APIRouter`` module;
``infra.sandbox.app.create_app`` assembles them. ``infra.sandbox.testing.Sandbox`` runs it as
a subprocess for pytest fixtures.
"""
