"""What runs on the llama worker thread: one generation (whole or streamed) or one embedding call,
streaming through the job's channel and returning the outcome (see :mod:`gateway.backends.llama_worker`).

Cancellation between tokens: every sampling step passes through :class:`TokenTracker`, a logits
processor that counts tokens (for ``usage``) and, once the job is cancelled, leaves only the
end-of-sequence token possible, so even a whole (non-streamed) generation ends at the next token.
A streamed generation also stops iterating as soon as it sees the flag.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import numpy.typing as npt

from gateway.backends.llama_worker import Job

FORCED_OUT = -1e30


class TokenTracker:
    """A llama-cpp-python logits processor: ``(input_ids, scores) -> scores``, called once per
    sampled token with every token so far (the prompt first)."""

    def __init__(self, cancelled: threading.Event, eos: int) -> None:
        self._cancelled = cancelled
        self._eos = eos
        self.prompt_tokens = 0
        self.steps = 0

    def __call__(self, input_ids: npt.NDArray[np.intc], scores: npt.NDArray[np.single]) -> npt.NDArray[np.single]:
        if self.steps == 0:
            self.prompt_tokens = len(input_ids)
        self.steps += 1
        if self._cancelled.is_set() and 0 <= self._eos < len(scores):
            forced = np.full_like(scores, FORCED_OUT)
            forced[self._eos] = 0.0
            return forced
        return scores

    def usage(self) -> dict[str, int]:
        return {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.steps,
                "total_tokens": self.prompt_tokens + self.steps}


def _processors(tracker: TokenTracker) -> Any:
    from llama_cpp import LogitsProcessorList

    return LogitsProcessorList([tracker])


def _create(model: Any, endpoint: str) -> Any:
    return model.create_chat_completion if endpoint == "chat" else model.create_completion


def generate_whole(model: Any, endpoint: str, kwargs: dict[str, Any], job: Job) -> dict[str, Any]:
    tracker = TokenTracker(job.cancelled, int(model.token_eos()))
    result: dict[str, Any] = _create(model, endpoint)(**kwargs, stream=False,
                                                      logits_processor=_processors(tracker))
    if not isinstance(result.get("usage"), dict):
        result["usage"] = tracker.usage()
    return result


def generate_stream(model: Any, endpoint: str, kwargs: dict[str, Any], job: Job) -> dict[str, int]:
    """Put each chunk as it is made; return the usage."""
    tracker = TokenTracker(job.cancelled, int(model.token_eos()))
    chunks = _create(model, endpoint)(**kwargs, stream=True, logits_processor=_processors(tracker))
    try:
        for chunk in chunks:
            if job.cancelled.is_set():
                break
            job.channel.put("chunk", chunk)
    finally:
        chunks.close()
    return tracker.usage()


def embed(model: Any, kwargs: dict[str, Any], job: Job) -> dict[str, Any]:
    result: dict[str, Any] = model.create_embedding(**kwargs)
    return result
