"""Fake OpenAI-compatible LLM under ``/llm``: chat completions that answer a video
script, deterministically from the prompt, behind a bearer key; a test can make the
next replies invalid and count the calls."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from starlette.responses import Response

from infra.sandbox.core.faults import FaultRule
from infra.sandbox.core.service import Core, Seeded, Service
from infra.sandbox.services.llm import control, routes, seeds
from infra.sandbox.services.llm.client import LlmClient
from infra.sandbox.services.llm.state import LlmState


class LlmService(Service):
    """Injected faults answer in OpenAI's error JSON; a slow model is a ``delay_ms``
    fault on ``/llm/v1/chat/completions``."""

    name = "llm"
    client = LlmClient
    seed_names = frozenset({"demo"})
    malformed_body = b'{"id": "chatcmpl-x", "object": "chat.completion", "choices": [{"ind'

    def __init__(self, core: Core) -> None:
        super().__init__(core)
        self.state = LlmState(self.lock)

    def routes(self) -> APIRouter:
        return routes.build_router(self.state)

    def control_routes(self) -> APIRouter:
        return control.build_router(self.state)

    def fault_response(self, rule: FaultRule, status: int) -> Response:
        return JSONResponse(routes.fault_body(status, rule.id), status)

    def reset(self) -> None:
        self.state.reset()

    def seed(self, name: str) -> Seeded:
        return seeds.seed_demo(self.state, self.base_url)


SERVICE = LlmService
