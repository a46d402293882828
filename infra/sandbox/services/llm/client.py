"""``sb.llm``: the fake LLM's URLs, key and control calls."""

from __future__ import annotations

from typing import Any

from infra.sandbox.core.service import ServiceClient
from infra.sandbox.services.llm.state import DEMO_KEY, DEMO_MODEL

_KEEP: Any = object()


class LlmClient(ServiceClient):
    """``api_url`` is what an OpenAI client takes as its base URL (``.../v1``)."""

    key = DEMO_KEY
    model = DEMO_MODEL

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/v1"

    def invalid(self, times: int = 1, kind: str = "not_json") -> None:
        """The next ``times`` replies are invalid: ``not_json`` (prose) or ``schema``
        (JSON that is no script); ``fenced`` wraps the valid script in a code fence."""
        self._call("POST", "/invalid", json={"kind": kind, "times": times})

    def settings(
        self, *, key: Any = _KEEP, models: list[str] | None = None, sentences: Any = _KEEP
    ) -> dict[str, Any]:
        """``key``: the bearer key required (None: none); ``sentences``: the narration's
        length (None: from the prompt's target length)."""
        body: dict[str, Any] = {}
        if key is not _KEEP:
            body["key"] = key
        if models is not None:
            body["models"] = models
        if sentences is not _KEEP:
            body["sentences"] = sentences
        return self._call("POST", "/settings", json=body)

    def stats(self) -> dict[str, Any]:
        return self._call("GET", "/stats")

    def calls(self) -> int:
        """Chat completions answered (refused ones, 401 or 404, are not counted)."""
        return int(self.stats()["calls"])

    def received(self) -> list[dict[str, Any]]:
        """The chat request bodies answered, oldest first."""
        return self._call("GET", "/received")
