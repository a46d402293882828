"""What the fake LLM holds, under the sandbox lock: its key, its models, the replies
it was told to spoil and the requests it answered."""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

DEMO_KEY = "sandbox-llm-key"
DEMO_MODEL = "sandbox-writer"
# "truncated": the script cut in the middle, finish_reason "length" (max_tokens reached);
# "runaway": a model that does not stop, a valid script padded past a megabyte.
INVALID_KINDS = ("not_json", "schema", "truncated", "runaway")
REPLY_KINDS = (*INVALID_KINDS, "fenced")
RUNAWAY_BYTES = 1_200_000


class LlmState:
    def __init__(self, lock: threading.RLock) -> None:
        self.lock = lock
        self.reset()

    def reset(self) -> None:
        """Usable at once (the demo key and model), so a test needs no seed."""
        with self.lock:
            self.key: str | None = DEMO_KEY
            self.models: list[str] = [DEMO_MODEL]
            self.pending: deque[str] = deque()  # kinds of the next replies, in order
            self.sentences: int | None = None
            self.calls = 0
            self.received: list[dict[str, Any]] = []

    def spoil(self, kind: str, times: int) -> None:
        if kind not in REPLY_KINDS:
            raise ValueError(f"kind must be one of {REPLY_KINDS}")
        with self.lock:
            self.pending.extend([kind] * times)

    def next_kind(self, body: dict[str, Any]) -> str:
        """Count one answered call, keep its body, and say how to answer it."""
        with self.lock:
            self.calls += 1
            self.received.append(body)
            return self.pending.popleft() if self.pending else "valid"

    def stats(self) -> dict[str, Any]:
        with self.lock:
            return {
                "calls": self.calls,
                "pending": list(self.pending),
                "key": self.key is not None,
                "models": list(self.models),
                "sentences": self.sentences,
            }
