"""The fake LLM as an OpenAI client sees it: the chat-completion shape, OpenAI's error
JSON for a bad key or model and for injected faults, deterministic scripts from the
prompt, and the controls tests use (invalid replies, call counts)."""

from __future__ import annotations

import json

import httpx
import pytest

from infra.sandbox.core.client import Sandbox
from infra.sandbox.services.llm.state import DEMO_KEY, DEMO_MODEL

PROMPT = [
    {"role": "system", "content": "Answer with JSON."},
    {"role": "user", "content": "Topic: Why cats purr\nTarget length: about 30 seconds"},
]


def _chat(sb: Sandbox, key: str | None = DEMO_KEY, **body) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    payload = {"model": DEMO_MODEL, "messages": PROMPT, **body}
    return httpx.post(f"{sb.llm.api_url}/chat/completions", json=payload, headers=headers)


def test_a_chat_completion_holds_the_script_as_json_the_same_every_time(sb: Sandbox) -> None:
    first, second = _chat(sb), _chat(sb)
    assert first.status_code == 200
    answer = first.json()
    assert answer["object"] == "chat.completion" and answer["model"] == DEMO_MODEL
    [choice] = answer["choices"]
    assert choice["finish_reason"] == "stop" and choice["message"]["role"] == "assistant"
    script = json.loads(choice["message"]["content"])
    assert set(script) == {"title", "description", "tags", "narration", "search_terms"}
    assert "Why cats purr" in script["title"] and "cats" in script["search_terms"]
    assert all(isinstance(p, str) and p for p in script["narration"])
    assert answer["usage"]["total_tokens"] > 0
    assert second.json() == answer, "deterministic"
    assert sb.llm.calls() == 2


def test_the_narration_follows_the_target_length_unless_a_test_sets_it(sb: Sandbox) -> None:
    def sentences() -> int:
        script = json.loads(_chat(sb).json()["choices"][0]["message"]["content"])
        return sum(p.count(". ") + 1 for p in script["narration"])

    assert sentences() >= 6  # 30 s at ~2.6 words a second
    sb.llm.settings(sentences=2)
    assert sentences() == 2


def test_a_missing_or_wrong_key_is_openais_401_and_not_counted(sb: Sandbox) -> None:
    missing = _chat(sb, key=None)
    assert missing.status_code == 401
    assert missing.json()["error"]["type"] == "invalid_request_error"
    wrong = _chat(sb, key="sk-wrong-key-123456")
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_api_key"
    assert "sk-wrong-key-123456" not in wrong.text, "OpenAI masks the key it was given"
    models = httpx.get(f"{sb.llm.api_url}/models", headers={"Authorization": "Bearer nope"})
    assert models.status_code == 401
    assert sb.llm.calls() == 0
    sb.llm.settings(key=None)
    assert _chat(sb, key=None).status_code == 200


def test_models_lists_the_served_models_and_an_unknown_one_is_404(sb: Sandbox) -> None:
    headers = {"Authorization": f"Bearer {DEMO_KEY}"}
    listed = httpx.get(f"{sb.llm.api_url}/models", headers=headers).json()
    assert listed["object"] == "list" and [m["id"] for m in listed["data"]] == [DEMO_MODEL]
    unknown = _chat(sb, model="gpt-nothing")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "model_not_found"


@pytest.mark.parametrize("kind", ["not_json", "schema"])
def test_the_next_replies_can_be_made_invalid(sb: Sandbox, kind: str) -> None:
    sb.llm.invalid(times=2, kind=kind)
    bad = [_chat(sb).json()["choices"][0]["message"]["content"] for _ in range(2)]
    good = _chat(sb).json()["choices"][0]["message"]["content"]
    for content in bad:
        if kind == "not_json":
            with pytest.raises(ValueError):
                json.loads(content)
        else:
            assert "search_terms" not in json.loads(content)
    assert "search_terms" in json.loads(good)
    assert sb.llm.calls() == 3 and sb.llm.stats()["pending"] == []
    assert [b["messages"] for b in sb.llm.received()] == [PROMPT] * 3


def test_injected_faults_answer_in_openais_format_and_a_delay_slows_the_answer(
    sb: Sandbox,
) -> None:
    sb.add_fault(r"^/llm/v1/chat/completions$", status=429, retry_after=1, times=1)
    limited = _chat(sb)
    assert limited.status_code == 429 and limited.headers["retry-after"] == "1"
    assert limited.json()["error"]["code"] == "rate_limit_exceeded"
    sb.add_fault(r"^/llm/v1/chat/completions$", status=503, times=1)
    assert _chat(sb).json()["error"]["type"] == "server_error"
    sb.add_fault(r"^/llm/v1/chat/completions$", delay_ms=300, times=1)
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(
            f"{sb.llm.api_url}/chat/completions",
            json={"model": DEMO_MODEL, "messages": PROMPT},
            headers={"Authorization": f"Bearer {DEMO_KEY}"},
            timeout=0.1,
        )


def test_the_demo_seed_hands_out_the_openai_base_url_model_and_key(sb: Sandbox) -> None:
    env = sb.seed("demo")["env"]
    assert env["LLM_URL"] == f"{sb.base_url}/llm/v1" == sb.llm.api_url
    assert (env["LLM_MODEL"], env["LLM_API_KEY"]) == (DEMO_MODEL, DEMO_KEY)
