"""The sandbox's core: the app, the clock, fault injection, the request log, the control
API, service discovery and the test client. It names no service."""
