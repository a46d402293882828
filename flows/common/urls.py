"""URLs as messages and logs may show them.

A URL a user configured can carry secrets: `user:password@`, a token or passkey in the
query (private trackers, API gateways). Errors, logs and artifacts show it through
`shown_url`, never as configured.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# A query parameter whose name holds one of these is a secret ("apikey", "access_token").
SECRET_PARAMS = ("token", "key", "secret", "password", "passkey", "auth", "sig")


def shown_url(url: str) -> str:
    """No user:password, no fragment, secret-looking query values as `***`; an
    unparseable URL (a bad port, a broken IPv6 literal) is not echoed at all."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
    except ValueError:
        return "(an unparseable URL)"
    query = urlencode(
        [
            (k, "***" if any(s in k.lower() for s in SECRET_PARAMS) else v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        ],
        safe="{}*",
    )
    return urlunsplit((parts.scheme, host, parts.path, query, ""))
