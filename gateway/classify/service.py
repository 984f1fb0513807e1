"""The async face of the detector, used by the HTTP layer.

``ClassifyService`` runs detection in worker processes (``cfg.workers``; 0 = in a thread of this
process, for tests and tiny deployments), so the event loop never runs CPU-bound work and both
cores are used under load. Results are cached per text-part content (BLAKE2b key, LRU of
``cfg.cache_size``), so a chat that resends its history only pays for the new turn. A failure,
a timeout or opaque input returns ``Signals(classify_failed=True)``: the policy fails closed.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor

from gateway.classify.cache import LruCache, text_key
from gateway.classify.detector import Detector, TextResult, build_detector
from gateway.classify.worker import init_worker, ping, scan_texts
from gateway.config import ClassifierConfig
from gateway.request import TextPart
from gateway.signals import Entity, Signals

log = logging.getLogger("gateway.classify")


class ClassifyService:
    def __init__(self, cfg: ClassifierConfig) -> None:
        self._cfg = cfg
        self._cache: LruCache[TextResult] = LruCache(cfg.cache_size)
        self._executor: Executor | None = None
        self._local: Detector | None = None
        self.ready = False

    async def start(self) -> None:
        """Load and warm the models (in every worker) before the first request."""
        loop = asyncio.get_running_loop()
        if self._cfg.workers > 0:
            ctx = multiprocessing.get_context("spawn")  # no fork of a running event loop
            pool = ProcessPoolExecutor(self._cfg.workers, mp_context=ctx, initializer=init_worker,
                                       initargs=(self._cfg,))
            self._executor = pool
            await asyncio.gather(*(loop.run_in_executor(pool, ping) for _ in range(self._cfg.workers)))
        else:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="classify")
            self._local = await loop.run_in_executor(self._executor, build_detector, self._cfg)
        self.ready = True

    async def aclose(self) -> None:
        self.ready = False
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    async def classify(self, parts: list[TextPart], opaque: bool = False) -> Signals:
        tokens = sum(len(p.text) for p in parts) // 4  # rough; the HTTP layer may count better
        results: dict[bytes, TextResult] = {}
        missing: dict[bytes, str] = {}
        for p in parts:
            key = text_key(p.text)
            hit = self._cache.get(key)
            if hit is not None:
                results[key] = hit
            else:
                missing[key] = p.text
        try:
            if missing:
                scanned = await asyncio.wait_for(self._scan(list(missing.values())), self._cfg.timeout)
                for key, res in zip(missing, scanned, strict=True):
                    self._cache.put(key, res)
                    results[key] = res
        except Exception as exc:
            log.warning("classification failed: %s", type(exc).__name__)
            return Signals(classify_failed=True, prompt_tokens=tokens)
        entities: list[Entity] = []
        languages: set[str] = set()
        for p in parts:
            res = results[text_key(p.text)]
            if res.language:
                languages.add(res.language)
            entities.extend(Entity(s.type, s.score, p.message, p.part, s.start, s.end) for s in res.spans)
        return Signals(tuple(entities), classify_failed=opaque, prompt_tokens=tokens,
                       languages=frozenset(languages))

    async def _scan(self, texts: list[str]) -> list[TextResult]:
        if self._executor is None:
            raise RuntimeError("classifier not started")
        loop = asyncio.get_running_loop()
        if self._local is not None:
            local = self._local
            return await loop.run_in_executor(self._executor, lambda: [local.scan(t) for t in texts])
        workers = max(1, self._cfg.workers)
        if len(texts) == 1 or workers == 1:
            return await loop.run_in_executor(self._executor, scan_texts, texts)
        # several new parts: spread them over the workers
        chunks = [texts[i::workers] for i in range(workers)]
        done = await asyncio.gather(*(loop.run_in_executor(self._executor, scan_texts, c) for c in chunks))
        out: list[TextResult | None] = [None] * len(texts)
        for w, res in enumerate(done):
            for j, r in enumerate(res):
                out[w + j * workers] = r
        return [r for r in out if r is not None]
