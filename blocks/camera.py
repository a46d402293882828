"""The web portal the gate cameras publish their images on."""

from __future__ import annotations

import re
from typing import ClassVar

from prefect.blocks.core import Block
from pydantic import Field, SecretStr, field_validator

# Stream names become folder names under data/images/ and must not collide with
# `_failures`, hence: a letter or digit first, then letters, digits, _ and -.
STREAM_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


class CameraPortal(Block):
    """Where the camera portal is, how to log in, and how its pages list images.

    Paths and selectors are fields because every portal is laid out differently;
    the defaults fit the sandbox portal and most simple camera web UIs (a login
    form, one page per stream listing frames with their capture times).
    """

    _block_type_name: ClassVar[str] = "Camera portal"
    _block_type_slug: ClassVar[str] = "camera-portal"
    _description: ClassVar[str] = "A camera web portal, scraped with a headless browser."

    base_url: str = Field(description="Portal root, e.g. https://cameras.example.com/portal")
    username: str = Field(description="Portal user name.")
    password: SecretStr = Field(description="Portal password.")
    streams: list[str] = Field(
        default=["in_gate", "out_gate"], description="Streams the portal publishes."
    )
    login_path: str = Field(default="/login", description="Login page, below base_url.")
    stream_path: str = Field(
        default="/streams/{stream}", description="A stream's page, below base_url."
    )
    username_selector: str = Field(default="input[name=username]")
    password_selector: str = Field(default="input[name=password]")
    submit_selector: str = Field(default="button[type=submit]")
    image_selector: str = Field(
        default="a.frame", description="Elements of a stream page, one per image."
    )
    image_url_attribute: str = Field(default="href", description="Attribute with the image URL.")
    captured_at_attribute: str = Field(
        default="data-captured-at", description="Attribute with the ISO 8601 capture time."
    )
    timeout_seconds: float = Field(
        default=30.0, gt=0, description="Per page load, and for the whole of one image."
    )
    max_image_bytes: int = Field(
        default=20_000_000,
        gt=0,
        description="A frame larger than this is refused as too large, not read to the end.",
    )

    @field_validator("streams")
    @classmethod
    def _stream_names(cls, value: list[str]) -> list[str]:
        bad = [name for name in value if not STREAM_NAME.match(name)]
        if bad:
            raise ValueError(f"stream names must be letters, digits, '_' or '-' (not first): {bad}")
        if not value:
            raise ValueError("at least one stream is needed")
        return value

    def url(self, path: str) -> str:
        """An absolute URL for a portal path."""
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")
