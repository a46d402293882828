"""Control routes of the fake LLM, under ``/_sandbox/llm``.

POST /invalid   {"kind": "not_json"|"schema"|"truncated"|"runaway"|"fenced", "times": N}:
                the next N replies are prose instead of JSON, JSON failing the script's
                schema, the script cut off at max_tokens (finish_reason "length"), the
                script padded past a megabyte, or the valid script wrapped in a Markdown
                code fence (as many models answer)
POST /settings  {"key": "..."|null, "models": [...], "sentences": N|null}: the bearer key
                required (null: none), the models served, the narration's length
                (null: from the prompt's target length); fields left out are kept
GET  /stats     {"calls", "pending", "key", "models", "sentences"}
GET  /received  the chat request bodies answered, oldest first
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from infra.sandbox.services.llm.state import REPLY_KINDS, LlmState


class InvalidSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(default="not_json", description=f"one of {REPLY_KINDS}")
    times: int = Field(default=1, ge=1, le=1000)


class SettingsSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str | None = None
    models: list[str] | None = None
    sentences: int | None = Field(default=None, ge=1, le=40)


def build_router(state: LlmState) -> APIRouter:
    router = APIRouter()

    @router.post("/invalid")
    async def invalid(spec: InvalidSpec) -> dict[str, Any]:
        try:
            state.spoil(spec.kind, spec.times)
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from exc
        return state.stats()

    @router.post("/settings")
    async def settings(spec: SettingsSpec) -> dict[str, Any]:
        given = spec.model_fields_set
        with state.lock:
            if "key" in given:
                state.key = spec.key
            if "models" in given and spec.models is not None:
                state.models = list(spec.models)
            if "sentences" in given:
                state.sentences = spec.sentences
        return state.stats()

    @router.get("/stats")
    async def stats() -> dict[str, Any]:
        return state.stats()

    @router.get("/received")
    async def received() -> list[dict[str, Any]]:
        with state.lock:
            return list(state.received)

    return router
