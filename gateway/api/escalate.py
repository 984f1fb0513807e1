"""Opt-in escalation of the semantic scores' uncertain middle to a local model
(``classifier.escalation``).

When the highest category score lies in the configured band, the conversation's latest text is
put to a chat model in the local zone with a fixed question; "yes" raises that category's score,
"no" lowers every score in the band. The model is never in the cloud (the config check says so,
and this module checks the backend's zone again before it sends); no answer within the timeout,
or one that does not parse, leaves the scores as they were.
"""

from __future__ import annotations

import asyncio
import logging
import re

from gateway.api.state import Gateway
from gateway.backends.base import UpstreamCall, UpstreamReply
from gateway.errors import BackendFailure
from gateway.outbound import SYSTEM_INDEX, Outbound
from gateway.signals import Semantic

log = logging.getLogger("gateway")

QUESTION = (
    "You check messages before they are sent outside a company. Does the message below contain "
    "confidential information: non-public financial results or plans, one person's medical situation, "
    "privileged legal matters, staff reviews, pay or dismissals, internal source code or system details, "
    "unreleased products or trade secrets, or security weaknesses of the company's own systems? "
    "Answer with one word: yes or no."
)
MAX_TEXT = 4000  # characters of the message put to the model (its end, where the ask usually is)
_ANSWER = re.compile(r"^\W*(yes|no|да|нет)\b", re.IGNORECASE)


def parse_answer(text: str) -> bool | None:
    """True for yes, False for no, None for anything else."""
    m = _ANSWER.match(text)
    return None if m is None else m.group(1).lower() in ("yes", "да")


def latest_text(outbound: Outbound) -> str:
    parts = [p for p in outbound.parts if p.junction < 0 and (p.message >= 0 or p.message == SYSTEM_INDEX)]
    asks = [p for p in parts if p.role in ("user", "prompt", "input")]
    chosen = asks[-1] if asks else parts[-1] if parts else None
    return chosen.text[-MAX_TEXT:] if chosen is not None else ""


async def escalate(gw: Gateway, semantic: Semantic, outbound: Outbound) -> Semantic:
    esc = gw.config.classifier.escalation
    if esc is None or semantic.state != "ok" or not semantic.categories:
        return semantic
    low, high = esc.band
    top, score = max(semantic.categories.items(), key=lambda kv: kv[1])
    if not low <= score <= high:
        return semantic
    model = gw.config.models[esc.model]
    backend = gw.backends[model.backend]
    text = latest_text(outbound)
    if backend.zone != "local" or "chat" not in backend.speaks or not text:
        return semantic
    body = {"model": model.model, "max_tokens": 3, "temperature": 0.0,
            "messages": [{"role": "system", "content": QUESTION}, {"role": "user", "content": text}]}
    try:
        async with asyncio.timeout(esc.timeout):
            reply = await backend.send(UpstreamCall("chat", body, False))
    except (TimeoutError, BackendFailure) as exc:
        log.info("escalation to %s gave no answer (%s): scores kept", esc.model, type(exc).__name__)
        return semantic
    answer = _content(reply) if isinstance(reply, UpstreamReply) else None
    verdict = parse_answer(answer) if answer is not None else None
    if verdict is None:
        return semantic
    categories = dict(semantic.categories)
    if verdict:
        categories[top] = max(score, esc.raise_to)
    else:
        for name, value in categories.items():
            if low <= value <= high:
                categories[name] = min(value, esc.lower_to)
    return Semantic(categories, semantic.complexity, semantic.state)


def _content(reply: UpstreamReply) -> str | None:
    data = reply.json() or {}
    choices = data.get("choices")
    message = choices[0].get("message") if isinstance(choices, list) and choices and isinstance(choices[0], dict) \
        else None
    content = message.get("content") if isinstance(message, dict) else None
    return content if isinstance(content, str) else None
