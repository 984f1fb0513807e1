"""OpenAI request bodies -> keyword arguments of llama-cpp-python's ``create_chat_completion`` /
``create_completion`` / ``create_embedding`` (pure; unknown fields are ignored).

Sampling defaults stay llama-cpp-python's when the client sends none. ``n`` above 1 and several
prompts in one completions request are refused (one context generates one sequence at a time).
"""

from __future__ import annotations

from typing import Any

from gateway.errors import BackendFailure

# Fields passed as they are when present (and not null).
COMMON = ("temperature", "top_p", "stop", "seed", "presence_penalty", "frequency_penalty")
CHAT_ONLY = ("tools", "tool_choice", "response_format")
COMPLETION_ONLY = ("suffix", "echo")


def unsupported(backend: str, what: str) -> BackendFailure:
    return BackendFailure(f"backend {backend} does not support {what}", kind="unsupported",
                          before_first_byte=True, status=400)


def generation_kwargs(backend: str, endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments for one generation call (without ``stream`` and callbacks)."""
    n = body.get("n")
    if n is not None and n != 1:
        raise unsupported(backend, "n other than 1")
    kw: dict[str, Any] = {"model": str(body.get("model") or backend)}
    names = COMMON + (CHAT_ONLY if endpoint == "chat" else COMPLETION_ONLY)
    for name in names:
        if body.get(name) is not None:
            kw[name] = body[name]
    max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
    if max_tokens is not None:
        kw["max_tokens"] = int(max_tokens)
    bias = body.get("logit_bias")
    if isinstance(bias, dict) and bias:
        try:
            kw["logit_bias"] = {int(k): float(v) for k, v in bias.items()}
        except (TypeError, ValueError):
            raise unsupported(backend, "a logit_bias that is not token id -> number") from None
    if endpoint == "chat":
        kw["messages"] = body.get("messages") or []
    else:
        kw["prompt"] = _single_prompt(backend, body.get("prompt", ""))
    return kw


def embedding_kwargs(backend: str, body: dict[str, Any]) -> dict[str, Any]:
    value = body.get("input")
    if isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        return {"input": value, "model": str(body.get("model") or backend)}
    raise unsupported(backend, "embedding input other than text")


def wants_usage(body: dict[str, Any]) -> bool:
    options = body.get("stream_options")
    return isinstance(options, dict) and bool(options.get("include_usage"))


def _single_prompt(backend: str, prompt: Any) -> str | list[int]:
    if isinstance(prompt, str):
        return prompt
    if isinstance(prompt, list) and prompt and all(isinstance(t, int) for t in prompt):
        return [int(t) for t in prompt]
    if isinstance(prompt, list) and len(prompt) == 1 and isinstance(prompt[0], str):
        return str(prompt[0])
    raise unsupported(backend, "several prompts in one request")
