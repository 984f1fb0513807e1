"""Adapter for any OpenAI-compatible server: OpenAI, Azure OpenAI, vLLM, llama.cpp server,
Ollama, TensorRT-LLM, LM Studio, Gemini's OpenAI endpoint.

Translation here is trivial (the wire format is already OpenAI's); the adapter is transport
(:mod:`gateway.backends.transport`): one pooled client per backend with explicit timeouts, error
mapping, and raw relaying of SSE bytes for streams.
"""

from __future__ import annotations

import httpx
import orjson

from gateway.backends.base import READY, BackendState, UpstreamCall, UpstreamReply, UpstreamStream
from gateway.backends.failures import failure_from_status
from gateway.backends.transport import HttpTransport
from gateway.config import BackendConfig
from gateway.errors import BackendFailure
from gateway.types import Endpoint, Zone

PATHS = {"chat": "chat/completions", "completions": "completions", "embeddings": "embeddings",
         "responses": "responses"}
OPENAI_FORMATS: frozenset[Endpoint] = frozenset({"chat", "completions", "embeddings"})
RESPONSES: frozenset[Endpoint] = frozenset({"responses"})
# Response headers worth passing to the client.
PASS_HEADERS = ("openai-processing-ms", "x-ratelimit-remaining-requests", "x-ratelimit-remaining-tokens",
                "retry-after")


class OpenAIBackend:
    def __init__(self, name: str, cfg: BackendConfig, api_key: str | None,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        assert cfg.base_url is not None
        self.name = name
        self.zone: Zone = cfg.zone
        self._cfg = cfg
        self._base = cfg.base_url.rstrip("/")
        headers = {"content-type": "application/json", **cfg.headers}
        if api_key:
            if cfg.azure_api_version:
                headers["api-key"] = api_key
            else:
                headers["authorization"] = f"Bearer {api_key}"
        self._http = HttpTransport(name, cfg, headers, transport)
        # the Responses API only where the operator says the server has it (OpenAI itself)
        self._speaks = OPENAI_FORMATS | RESPONSES if cfg.responses else OPENAI_FORMATS
        self._state = READY

    @property
    def speaks(self) -> frozenset[Endpoint]:
        return self._speaks

    def url(self, call: UpstreamCall) -> tuple[str, dict[str, str]]:
        path = PATHS.get(call.endpoint) if call.endpoint in self._speaks else None
        if path is None:
            raise BackendFailure(f"backend {self.name} does not serve the {call.endpoint} endpoint",
                                 kind="unsupported", before_first_byte=True, status=400)
        if self._cfg.azure_api_version:
            deployment = str(call.body.get("model", ""))
            return (f"{self._base}/openai/deployments/{deployment}/{path}",
                    {"api-version": self._cfg.azure_api_version})
        return f"{self._base}/{path}", {}

    async def send(self, call: UpstreamCall) -> UpstreamReply | UpstreamStream:
        url, params = self.url(call)
        body = call.body
        if self._cfg.azure_api_version:
            body = {k: v for k, v in body.items() if k != "model"}
        response = await self._http.open(url, orjson.dumps(body), call.headers, params)
        headers = {h: v for h in PASS_HEADERS if (v := response.header(h)) is not None}
        is_sse = (response.header("content-type") or "").startswith("text/event-stream")
        if call.stream and response.status == 200 and is_sse:
            return UpstreamStream(response.status, self._http.relay(response), response.aclose, headers)
        content = await self._http.read(response)
        if response.status >= 400:
            raise failure_from_status(self.name, response.status, content, headers)
        if call.stream:
            raise BackendFailure(f"backend {self.name} answered a stream request without a stream",
                                 kind="protocol", before_first_byte=True, status=502)
        reply = UpstreamReply(response.status, content, headers)
        if reply.json() is None:
            raise BackendFailure(f"backend {self.name} sent a body that is not a JSON object",
                                 kind="protocol", before_first_byte=True, status=502)
        return reply

    async def start(self) -> None:
        """Open the pool; probe a local server (a cloud API is never probed: no request leaves
        that the policy did not send)."""
        self._http.start()
        if self.zone == "local":
            up = await self._http.reachable(f"{self._base}/models")
            self._state = READY if up else BackendState("unreachable", f"nothing answers at {self._base}")

    def state(self) -> BackendState:
        return self._state

    async def count_tokens(self, call: UpstreamCall) -> int | None:
        return None  # the OpenAI API has no counting endpoint

    async def aclose(self) -> None:
        await self._http.aclose()
