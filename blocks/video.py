"""The outside services of the faceless-video pipeline: an LLM that writes the
script and the YouTube channel it is published to."""

from __future__ import annotations

from typing import ClassVar

from prefect.blocks.core import Block
from pydantic import Field, SecretStr, field_validator

# YouTube's default budgets (Data API v3): videos.insert has its own daily bucket,
# every other call costs units from a 10,000-unit day.
DEFAULT_UNIT_COSTS = {"thumbnails.set": 50, "videos.list": 1}
CHUNK_QUANTUM = 256 * 1024  # resumable chunks must be multiples of 256 KiB


class LlmEndpoint(Block):
    """An OpenAI-compatible chat-completions endpoint; Ollama's on this host by default."""

    _block_type_name: ClassVar[str] = "LLM endpoint"
    _block_type_slug: ClassVar[str] = "llm-endpoint"
    _description: ClassVar[str] = "OpenAI-compatible chat completions: base URL, model, key."

    base_url: str = Field(
        default="http://127.0.0.1:11434/v1",
        description="API root; '/chat/completions' is appended (Ollama's default shown).",
    )
    model: str = Field(default="llama3.1", description="Model name as the endpoint knows it.")
    api_key: SecretStr | None = Field(default=None, description="Bearer key, if any.")
    temperature: float = Field(default=0.7, ge=0, le=2)
    max_tokens: int = Field(default=2000, ge=100, le=32000)
    timeout_seconds: float = Field(default=120.0, gt=0, description="Per request.")


class YouTubeChannel(Block):
    """One channel's OAuth client and refresh token, the API endpoint and its budgets."""

    _block_type_name: ClassVar[str] = "YouTube channel"
    _block_type_slug: ClassVar[str] = "youtube-channel"
    _description: ClassVar[str] = "YouTube Data API v3: OAuth client, refresh token, quota."

    client_id: SecretStr = Field(description="OAuth client id.")
    client_secret: SecretStr = Field(description="OAuth client secret.")
    refresh_token: SecretStr = Field(description="Refresh token with the youtube.upload scope.")
    api_endpoint: str = Field(default="https://www.googleapis.com", description="API root.")
    token_uri: str = Field(
        default="https://oauth2.googleapis.com/token", description="OAuth token endpoint."
    )
    ca_bundle: str | None = Field(
        default=None, description="PEM file of CAs to trust instead of the system's."
    )
    daily_upload_limit: int = Field(
        default=100, ge=0, description="videos.insert calls per quota day (own bucket)."
    )
    daily_unit_limit: int = Field(default=10_000, ge=0, description="Quota units per day.")
    unit_costs: dict[str, int] = Field(
        default_factory=lambda: dict(DEFAULT_UNIT_COSTS),
        description="Units per call, by method name.",
    )
    chunk_bytes: int = Field(
        default=8 * 1024 * 1024, ge=CHUNK_QUANTUM, description="Upload chunk, 256 KiB multiple."
    )
    category_id: str = Field(default="27", description="YouTube category id (27: Education).")
    timeout_seconds: float = Field(default=60.0, gt=0, description="Per request.")

    @field_validator("chunk_bytes")
    @classmethod
    def _quantum(cls, value: int) -> int:
        if value % CHUNK_QUANTUM:
            raise ValueError(f"must be a multiple of {CHUNK_QUANTUM} bytes")
        return value
