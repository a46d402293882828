"""A single local HTTP process that stands in for every outside service.

Tests and the demo talk to real client libraries (notion-client, yt-dlp, httpx) pointed at
this process instead of the internet. ``core`` is the app, fault injection, the request log
and the control API, and knows no service; each fake service is one folder under
``services`` that the core discovers. ``infra.sandbox.core.client.Sandbox`` runs it as a
subprocess for pytest fixtures.
"""
