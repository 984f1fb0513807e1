"""Token usage and its price. Pure functions over the config's prices (USD per 1M tokens)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gateway.config import Price


@dataclass(frozen=True)
class Usage:
    prompt: int = 0
    completion: int = 0
    cached: int = 0
    estimated: bool = False


def usage_from_openai(data: Any) -> Usage | None:
    """Read an OpenAI ``usage`` object (chat, completions, embeddings)."""
    if not isinstance(data, dict):
        return None
    prompt = data.get("prompt_tokens")
    completion = data.get("completion_tokens", 0)
    if not isinstance(prompt, int) or not isinstance(completion, int):
        return None
    details = data.get("prompt_tokens_details")
    cached = details.get("cached_tokens", 0) if isinstance(details, dict) else 0
    return Usage(prompt, completion, cached if isinstance(cached, int) else 0)


def cost_usd(usage: Usage, price: Price) -> float:
    cached = min(usage.cached, usage.prompt) if price.cached_input is not None else 0
    cached_price = price.cached_input if price.cached_input is not None else price.input
    return ((usage.prompt - cached) * price.input + cached * cached_price
            + usage.completion * price.output) / 1_000_000
