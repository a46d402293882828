"""The public side of the fake LLM, as OpenAI's chat-completions API (and Ollama's
``/v1`` compatibility layer) answers it.

POST /v1/chat/completions   {"model", "messages": [{"role", "content"}], ...} ->
                            {"id", "object": "chat.completion", "created", "model",
                             "choices": [{"index": 0, "message": {"role": "assistant",
                             "content": <the script as JSON>}, "finish_reason": "stop"}],
                             "usage": {...}}
GET  /v1/models             {"object": "list", "data": [{"id", "object": "model", ...}]}

Errors are OpenAI's JSON, ``{"error": {"message", "type", "param", "code"}}``: 401
``invalid_api_key`` for a missing or wrong bearer key, 404 ``model_not_found``, 400
``invalid_request_error`` for a body that is no chat request. Streaming is not offered.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from infra.sandbox.services.llm import writer
from infra.sandbox.services.llm.state import LlmState

CREATED = 1_767_225_600  # a fixed time: replies are deterministic


def error_response(
    status: int, message: str, type_: str, code: str | None, param: str | None = None
) -> JSONResponse:
    body = {"error": {"message": message, "type": type_, "param": param, "code": code}}
    return JSONResponse(body, status)


def _unauthorized(state: LlmState, header: str | None) -> JSONResponse | None:
    with state.lock:
        key = state.key
    if key is None:
        return None
    given = (header or "").removeprefix("Bearer ").strip()
    if header and secrets.compare_digest(given.encode(), key.encode()):
        return None
    if not header:
        message = (
            "You didn't provide an API key. You need to provide your API key in an "
            "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
        )
        return error_response(401, message, "invalid_request_error", None)
    shown = f"{given[:3]}***{given[-2:]}" if len(given) > 8 else "***"
    return error_response(
        401, f"Incorrect API key provided: {shown}.", "invalid_request_error", "invalid_api_key"
    )


def build_router(state: LlmState) -> APIRouter:
    router = APIRouter()

    @router.get("/v1/models")
    async def models(request: Request) -> Response:
        refused = _unauthorized(state, request.headers.get("authorization"))
        if refused is not None:
            return refused
        with state.lock:
            names = list(state.models)
        data = [
            {"id": n, "object": "model", "created": CREATED, "owned_by": "sandbox"} for n in names
        ]
        return JSONResponse({"object": "list", "data": data})

    @router.post("/v1/chat/completions")
    async def chat(request: Request) -> Response:
        refused = _unauthorized(state, request.headers.get("authorization"))
        if refused is not None:
            return refused
        try:
            body = json.loads(await request.body())
        except ValueError:
            return error_response(
                400,
                "We could not parse the JSON body of your request.",
                "invalid_request_error",
                None,
            )
        messages = body.get("messages") if isinstance(body, dict) else None
        if not isinstance(messages, list) or not messages:
            return error_response(
                400, "'messages' is a required property", "invalid_request_error", None, "messages"
            )
        model = body.get("model")
        with state.lock:
            known = model in state.models
            sentences = state.sentences
        if not known:
            return error_response(
                404,
                f"The model `{model}` does not exist or you do not have access to it.",
                "invalid_request_error",
                "model_not_found",
            )
        kind = state.next_kind(body)
        content = writer.reply_content(kind, messages, sentences)
        digest = hashlib.sha256(json.dumps(messages, sort_keys=True).encode()).hexdigest()
        prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in messages)
        completion_tokens = len(content.split())
        return JSONResponse(
            {
                "id": f"chatcmpl-{digest[:24]}",
                "object": "chat.completion",
                "created": CREATED,
                "model": model,
                "system_fingerprint": "fp_sandbox",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "logprobs": None,
                        "finish_reason": "length" if kind == "truncated" else "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
            }
        )

    return router


def fault_body(status: int, fault_id: str) -> dict[str, Any]:
    """An injected status in OpenAI's shape: 429 is a rate limit, 5xx a server error."""
    if status == 429:
        type_, code = "requests", "rate_limit_exceeded"
        message = "Rate limit reached for requests. Please try again in 1s."
    elif status >= 500:
        type_, code = "server_error", None
        message = "The server had an error while processing your request. Sorry about that!"
    else:
        type_, code = "invalid_request_error", None
        message = f"injected fault {fault_id}"
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}
