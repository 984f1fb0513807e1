"""The wire formats the gateway speaks, as a package of their own that the HTTP side (one ingress
per client API) and the backends both import: server-sent events (:mod:`gateway.wire.sse`) and
pure translation between OpenAI Chat Completions, Anthropic Messages and the OpenAI Responses
API: requests, whole answers and streams, no I/O.
"""

from .anthropic_stream import AnthropicToOpenAIStream
from .common import DEFAULT_MAX_TOKENS, FINISH_REASONS, STOP_REASONS
from .errors import anthropic_error, openai_error
from .openai_stream import OpenAIToAnthropicStream
from .to_anthropic_request import to_anthropic_request
from .to_anthropic_response import to_anthropic_response
from .to_openai_request import to_openai_request
from .to_openai_response import to_openai_response

__all__ = [
    "DEFAULT_MAX_TOKENS",
    "FINISH_REASONS",
    "STOP_REASONS",
    "AnthropicToOpenAIStream",
    "OpenAIToAnthropicStream",
    "anthropic_error",
    "openai_error",
    "to_anthropic_request",
    "to_anthropic_response",
    "to_openai_request",
    "to_openai_response",
]
