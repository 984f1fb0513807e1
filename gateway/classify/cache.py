"""A bounded LRU of scan results, keyed by a BLAKE2b digest of the text (never the text)."""

from __future__ import annotations

from collections import OrderedDict
from hashlib import blake2b
from typing import Generic, TypeVar

V = TypeVar("V")


def text_key(text: str) -> bytes:
    return blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


class LruCache(Generic[V]):
    def __init__(self, size: int) -> None:
        self._size = size
        self._data: OrderedDict[bytes, V] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        """Whether ``key`` is held (not counted as a hit or a miss, not moved)."""
        return key in self._data

    def get(self, key: bytes) -> V | None:
        value = self._data.get(key)
        if value is None:
            self.misses += 1
            return None
        self._data.move_to_end(key)
        self.hits += 1
        return value

    def put(self, key: bytes, value: V) -> None:
        if self._size <= 0:
            return
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self._size:
            self._data.popitem(last=False)
