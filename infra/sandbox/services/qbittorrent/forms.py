"""Form bodies without python-multipart: qBittorrent takes ``application/x-www-form-urlencoded``
and ``multipart/form-data`` alike, and the sandbox installs nothing to read the latter."""

from __future__ import annotations

from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import parse_qs


def parse_form(content_type: str | None, body: bytes) -> dict[str, str]:
    """Text fields of a form (the first value of each); file parts are read as text too,
    as ``torrents`` would be, but this fake only looks at ``urls`` and the options."""
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    if kind == "multipart/form-data":
        head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
        message = BytesParser(policy=HTTP).parsebytes(head + body)
        fields: dict[str, str] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name and name not in fields:
                payload = part.get_payload(decode=True) or b""
                fields[str(name)] = payload.decode("utf-8", errors="replace")
        return fields
    parsed = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return {name: values[0] for name, values in parsed.items()}
