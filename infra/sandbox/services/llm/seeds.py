"""The demo's LLM (``--seed demo``): the fixed key and model, so the product's
bootstrap builds the ``llm-endpoint`` block against the sandbox."""

from __future__ import annotations

from infra.sandbox.core.service import Seeded
from infra.sandbox.services.llm.state import DEMO_KEY, DEMO_MODEL, LlmState


def seed_demo(state: LlmState, base_url: str) -> Seeded:
    state.reset()
    env = {"LLM_URL": f"{base_url}/v1", "LLM_MODEL": DEMO_MODEL, "LLM_API_KEY": DEMO_KEY}
    return Seeded(env=env, data={"model": DEMO_MODEL})
