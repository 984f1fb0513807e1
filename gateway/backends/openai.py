"""Adapter for any OpenAI-compatible server: OpenAI, Azure OpenAI, vLLM, llama.cpp server,
Ollama, TensorRT-LLM, LM Studio, Gemini's OpenAI endpoint.

Translation here is trivial (the wire format is already OpenAI's); the adapter is transport:
one pooled ``httpx.AsyncClient`` per backend with explicit timeouts, error mapping, and raw
relaying of SSE bytes for streams.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson

from gateway.backends.base import UpstreamCall, UpstreamReply, UpstreamStream
from gateway.backends.failures import failure_from_status
from gateway.config import BackendConfig, Zone
from gateway.errors import BackendFailure, StreamBroken

PATHS = {"chat": "chat/completions", "completions": "completions", "embeddings": "embeddings"}
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
        t = cfg.timeout
        headers = {"content-type": "application/json", **cfg.headers}
        if api_key:
            if cfg.azure_api_version:
                headers["api-key"] = api_key
            else:
                headers["authorization"] = f"Bearer {api_key}"
        self._client = httpx.AsyncClient(
            headers=headers,
            timeout=httpx.Timeout(connect=t.connect, read=None, write=t.connect, pool=t.connect),
            limits=httpx.Limits(max_connections=cfg.max_connections,
                                max_keepalive_connections=cfg.max_connections),
            transport=transport,
            trust_env=False,
            follow_redirects=False,
        )

    def url(self, call: UpstreamCall) -> tuple[str, dict[str, str]]:
        path = PATHS.get(call.endpoint)
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
        request = self._client.build_request("POST", url, params=params, content=orjson.dumps(body),
                                             headers=dict(call.headers))
        t = self._cfg.timeout
        try:
            async with asyncio.timeout(t.first_byte):
                response = await self._client.send(request, stream=True)
        except TimeoutError:
            raise BackendFailure(f"backend {self.name} did not answer within {t.first_byte:g}s",
                                 kind="timeout", before_first_byte=True, status=504) from None
        except httpx.ConnectTimeout:
            raise BackendFailure(f"backend {self.name}: connection timed out", kind="timeout",
                                 before_first_byte=True, status=504) from None
        except httpx.HTTPError as exc:
            raise BackendFailure(f"backend {self.name}: connection failed ({type(exc).__name__})",
                                 kind="connect", before_first_byte=True, status=502) from None
        headers = {h: response.headers[h] for h in PASS_HEADERS if h in response.headers}
        is_sse = response.headers.get("content-type", "").startswith("text/event-stream")
        if call.stream and response.status_code == 200 and is_sse:
            return UpstreamStream(response.status_code, self._relay(response), response.aclose, headers)
        try:
            async with asyncio.timeout(t.total):
                content = await response.aread()
        except (TimeoutError, httpx.HTTPError) as exc:
            kind = "timeout" if isinstance(exc, TimeoutError | httpx.TimeoutException) else "protocol"
            raise BackendFailure(f"backend {self.name}: reading the response failed", kind=kind,
                                 before_first_byte=True, status=504 if kind == "timeout" else 502) from None
        finally:
            await response.aclose()
        if response.status_code >= 400:
            raise failure_from_status(self.name, response.status_code, content, headers)
        if call.stream:
            raise BackendFailure(f"backend {self.name} answered a stream request without a stream",
                                 kind="protocol", before_first_byte=True, status=502)
        if not _is_json_object(content):
            raise BackendFailure(f"backend {self.name} sent a body that is not a JSON object",
                                 kind="protocol", before_first_byte=True, status=502)
        return UpstreamReply(response.status_code, content, headers)

    async def _relay(self, response: httpx.Response) -> AsyncIterator[bytes]:
        idle = self._cfg.timeout.idle
        chunks = response.aiter_raw()
        while True:
            try:
                async with asyncio.timeout(idle):
                    chunk = await anext(chunks)
            except StopAsyncIteration:
                return
            except TimeoutError:
                raise StreamBroken(f"backend {self.name} sent nothing for {idle:g}s", "timeout") from None
            except httpx.HTTPError as exc:
                raise StreamBroken(f"backend {self.name}: stream failed ({type(exc).__name__})",
                                   "protocol") from None
            yield chunk

    async def aclose(self) -> None:
        await self._client.aclose()


def _is_json_object(content: bytes) -> bool:
    try:
        value: Any = orjson.loads(content)
    except orjson.JSONDecodeError:
        return False
    return isinstance(value, dict)
