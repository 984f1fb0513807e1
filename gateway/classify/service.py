"""The async face of the detector, used by the HTTP layer.

``ClassifyService.classify(outbound)`` scans every text a request would send upstream (see
:mod:`gateway.outbound`) and returns :class:`~gateway.signals.Signals`.

* Detection runs in worker processes (:class:`~gateway.classify.pool.DetectorPool`;
  ``cfg.workers``; 0 = one thread of this process, for tests and tiny deployments), so the event
  loop never runs CPU-bound work and both cores are used under load.
* Results are cached per text (BLAKE2b key, LRU of ``cfg.cache_size``): a chat that resends its
  history pays only for the new turn.
* Work is bounded per request: texts are cut into chunks of ``CHUNK_CHARS`` (overlapping, so a
  value on a cut is read whole) that the pool hands out fairly across requests; at most
  ``cfg.max_scan_chars`` new characters are read per request, and what lies beyond is
  *unread*: the request fails closed and carries the ``unreadable`` content kind.
* A failure or a timeout returns ``Signals(classify_failed=True)``: the policy fails closed.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from gateway.classify.cache import LruCache, text_key
from gateway.classify.detector import Detector, Span, TextResult, build_detector, resolve
from gateway.classify.pool import DetectorPool, PoolStatus
from gateway.classify.semantic import CATEGORIES, SemanticResult
from gateway.classify.workerproc import Item, Result, run_items
from gateway.config import ClassifierConfig
from gateway.outbound import SYSTEM_INDEX, Outbound, TextPart
from gateway.signals import FAILED, Entity, Semantic, Signals

log = logging.getLogger("gateway.classify")

CHUNK_CHARS = 4000  # the largest text one batch carries
CHUNK_OVERLAP = 200  # characters two neighbouring chunks share
_IDS_KEY = b"\x00ids"
_SEMANTIC_KEY = b"\x00sem"


@dataclass(frozen=True, slots=True)
class _Chunk:
    key: bytes
    offset: int
    item: Item


class ClassifyService:
    def __init__(self, cfg: ClassifierConfig) -> None:
        self._cfg = cfg
        self._cache: LruCache[TextResult] = LruCache(cfg.cache_size)
        self._semantic_cache: LruCache[SemanticResult] = LruCache(cfg.cache_size)
        self._pool: DetectorPool | None = None
        self._thread: ThreadPoolExecutor | None = None
        self._local: Detector | None = None
        self._owners = itertools.count()
        self._ahead: set[asyncio.Task[Semantic]] = set()

    @property
    def ready(self) -> bool:
        if self._pool is not None:
            return self._pool.ready
        return self._local is not None

    def status(self) -> PoolStatus:
        if self._pool is not None:
            return self._pool.status()
        ready = 1 if self._local is not None else 0
        return PoolStatus(workers=0, ready=ready, restarts=0)

    async def start(self) -> None:
        """Load and warm the models (in every worker) before the first request."""
        if self._cfg.workers > 0:
            pool = DetectorPool(self._cfg, self._cfg.workers)
            await pool.start()
            self._pool = pool
        else:
            self._thread = ThreadPoolExecutor(1, thread_name_prefix="classify")
            loop = asyncio.get_running_loop()
            self._local = await loop.run_in_executor(self._thread, build_detector, self._cfg)

    async def aclose(self) -> None:
        for task in list(self._ahead):
            task.cancel()
        if self._pool is not None:
            await self._pool.aclose()
            self._pool = None
        if self._thread is not None:
            self._thread.shutdown(wait=False, cancel_futures=True)
            self._thread = None
        self._local = None

    async def classify(self, outbound: Outbound) -> Signals:
        parts = outbound.parts
        content = set(outbound.content)
        tokens = sum(len(p.text) for p in parts if p.junction < 0) // 4
        results: dict[bytes, TextResult] = {}
        missing: dict[bytes, Item] = {}
        keys: list[bytes] = []
        for p in parts:
            key = _key(p)
            keys.append(key)
            if key in results or key in missing:
                continue
            hit = self._cache.get(key)
            if hit is not None:
                results[key] = hit
            else:
                missing[key] = ("ids", p.text, p.junction) if p.junction >= 0 else ("scan", p.text, -1)
        unread = False
        if missing:
            todo, unread = _within_budget(missing, self._cfg.max_scan_chars)
            try:
                scanned = await self._scan(todo)
            except Exception as exc:
                log.warning("classification failed: %s", type(exc).__name__ or "timeout")
                return Signals(classify_failed=True, prompt_tokens=tokens, content=frozenset(content))
            for key, res in scanned.items():
                if key in missing and len(todo[key][1]) == len(missing[key][1]):
                    self._cache.put(key, res)  # only whole texts are remembered
                results[key] = res
        if unread:
            content.add("unreadable")
            log.warning("request exceeds the detector's budget of %d characters: the rest is unread",
                        self._cfg.max_scan_chars)
        entities: list[Entity] = []
        languages: set[str] = set()
        for p, key in zip(parts, keys, strict=True):
            found = results.get(key)
            if found is None:
                continue  # unread: the request fails closed
            if found.language and p.junction < 0:
                languages.add(found.language)
            for s in found.spans:
                if p.junction >= 0 and not s.start < p.junction < s.end:
                    continue  # only a value across the seam is news
                entities.append(Entity(s.type, s.score, p.message, p.part, s.start, s.end, p.junction >= 0))
        return Signals(tuple(entities), classify_failed=unread, prompt_tokens=tokens,
                       languages=frozenset(languages), content=frozenset(content))

    def semantic_ahead(self, outbound: Outbound) -> asyncio.Task[Semantic] | None:
        """Start scoring ``outbound``'s semantic signals now, alongside its detection, when the
        pool has a worker to spare for it (no batch waits, two or more workers idle) and some
        message is not scored yet: on a quiet gateway the request then waits for the longer of
        the two, not for one after the other. None otherwise: :meth:`semantic` runs after the
        detection, and only when the policy needs it, so under load nothing is scored in vain."""
        if not self._cfg.semantic or self._pool is None or self._pool.idle_workers() < 2:
            return None
        if all(_semantic_key(p) in self._semantic_cache for p in _semantic_parts(outbound)):
            return None
        task = asyncio.get_running_loop().create_task(self.semantic(outbound))
        self._ahead.add(task)  # kept until done: its score lands in the cache even if unused
        task.add_done_callback(self._ahead.discard)
        return task

    async def semantic(self, outbound: Outbound) -> Semantic:
        """Confidential categories (the highest score of each over the conversation's messages)
        and complexity (of the latest user message), each text scored once and cached. A failure
        or a timeout is :data:`~gateway.signals.FAILED`: the policy fails closed."""
        parts = _semantic_parts(outbound)
        if not parts:
            return Semantic({c: 0.0 for c in CATEGORIES}, 0.0)
        keys = [_semantic_key(p) for p in parts]
        results: dict[bytes, SemanticResult] = {}
        missing: dict[bytes, str] = {}
        for p, key in zip(parts, keys, strict=True):
            hit = self._semantic_cache.get(key)
            if hit is not None:
                results[key] = hit
            elif key not in missing:
                missing[key] = p.text
        if missing:
            try:
                scored = await self._run(_batched([("semantic", text, -1) for text in missing.values()]))
            except Exception as exc:
                log.warning("semantic scoring failed: %s", type(exc).__name__)
                return FAILED
            for key, res in zip(missing, scored, strict=True):
                assert isinstance(res, SemanticResult)
                self._semantic_cache.put(key, res)
                results[key] = res
        scores = [results[key] for key in keys]
        categories = {c: max(s.categories[c] for s in scores) for c in CATEGORIES}
        asks = [i for i, p in enumerate(parts) if p.role in ("user", "prompt", "input")]
        latest = scores[asks[-1]] if asks else scores[-1]
        return Semantic(categories, latest.complexity)

    async def _run(self, batches: list[list[Item]]) -> list[Result]:
        """Batches of items through the pool (or the local thread), within the timeout; the
        results in the items' order. A result that comes after its deadline counts as none."""
        timeout = self._cfg.timeout
        loop = asyncio.get_running_loop()
        started = loop.time()
        if self._local is not None:
            items = [i for b in batches for i in b]
            done = await asyncio.wait_for(loop.run_in_executor(self._thread, run_items, self._local, items), timeout)
        elif self._pool is not None:
            results = await self._pool.run(next(self._owners), batches, timeout)
            done = [r for batch in results for r in batch]
        else:
            raise RuntimeError("classifier not started")
        if loop.time() - started > timeout:
            raise TimeoutError
        return done

    async def _scan(self, todo: dict[bytes, Item]) -> dict[bytes, TextResult]:
        chunks = [c for key, item in todo.items() for c in _chunks(key, item)]
        done = await self._run([[c.item for c in batch] for batch in _batches(chunks)])
        return _merge(chunks, [r for r in done if isinstance(r, TextResult)])


def _semantic_parts(outbound: Outbound) -> list[TextPart]:
    """The texts the semantic signals read: the system prompt and the messages, not seams."""
    return [p for p in outbound.parts if p.junction < 0 and (p.message >= 0 or p.message == SYSTEM_INDEX)]


def _semantic_key(part: TextPart) -> bytes:
    return text_key(part.text) + _SEMANTIC_KEY


def _key(part: TextPart) -> bytes:
    """A text's cache key; a seam's also holds its junction (what it was read across)."""
    key = text_key(part.text)
    return key + _IDS_KEY + part.junction.to_bytes(4, "big") if part.junction >= 0 else key


def _within_budget(missing: dict[bytes, Item], budget: int) -> tuple[dict[bytes, Item], bool]:
    """The texts to scan, in order, within ``budget`` characters (the last one cut), and whether
    some text is left unread."""
    todo: dict[bytes, Item] = {}
    left = budget
    for key, (mode, text, junction) in missing.items():
        if left <= 0:
            return todo, True
        if len(text) > left:
            todo[key] = (mode, text[:left], junction)
            return todo, True
        todo[key] = (mode, text, junction)
        left -= len(text)
    return todo, False


def _chunks(key: bytes, item: Item) -> list[_Chunk]:
    """A text to scan cut into overlapping chunks of at most ``CHUNK_CHARS``, at white space (a
    seam, a few dozen characters, never is)."""
    mode, text, _ = item
    if len(text) <= CHUNK_CHARS or mode != "scan":
        return [_Chunk(key, 0, item)]
    out: list[_Chunk] = []
    start = 0
    while start < len(text):
        end = min(start + CHUNK_CHARS, len(text))
        if end < len(text):
            cut = text.rfind(" ", start + CHUNK_CHARS // 2, end)
            cut = max(cut, text.rfind("\n", start + CHUNK_CHARS // 2, end))
            end = cut + 1 if cut > 0 else end
        out.append(_Chunk(key, start, (mode, text[start:end], -1)))
        if end >= len(text):
            break
        start = max(end - CHUNK_OVERLAP, start + 1)
    return out


def _batched(items: Sequence[Item]) -> list[list[Item]]:
    """Items grouped into batches of at most ``CHUNK_CHARS`` characters."""
    return [[c.item for c in batch] for batch in _batches([_Chunk(b"", 0, i) for i in items])]


def _batches(chunks: Sequence[_Chunk]) -> list[list[_Chunk]]:
    """Chunks grouped into batches of at most ``CHUNK_CHARS`` characters (one IPC round trip for a
    request of several small texts; one chunk a batch for big ones, for fairness)."""
    out: list[list[_Chunk]] = []
    size = 0
    for c in chunks:
        n = len(c.item[1])
        if out and size + n <= CHUNK_CHARS:
            out[-1].append(c)
            size += n
        else:
            out.append([c])
            size = n
    return out


def _merge(chunks: Sequence[_Chunk], results: Sequence[TextResult]) -> dict[bytes, TextResult]:
    spans: dict[bytes, list[Span]] = {}
    language: dict[bytes, str | None] = {}
    for chunk, res in zip(chunks, results, strict=True):
        spans.setdefault(chunk.key, []).extend(
            Span(s.type, s.score, s.start + chunk.offset, s.end + chunk.offset) for s in res.spans)
        if language.get(chunk.key) is None:
            language[chunk.key] = res.language
    return {key: TextResult(tuple(resolve(found)), language.get(key)) for key, found in spans.items()}
