"""The two static word-vector tables the scorer reads, both shipped inside PyPI packages.

- English (and any Latin text): WordLlama ``l2_supercat`` (package ``wordllama``): 32,000
  LLaMA-tokenizer pieces x 256 dimensions, read straight from the package's files with
  ``tokenizers`` and ``safetensors`` (WordLlama's own loader would try to download the tokenizer).
- Russian: navec ``news_v1_1B_250K_300d_100q`` (shipped by ``natasha``): 250,000 words x 300
  dimensions, product-quantised; words are weighted by their corpus frequency (SIF: a / (a + p)),
  so that frequent function words count less.

Nothing here opens a network connection: every file is read from an installed package.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from navec import Navec

F32 = NDArray[np.float32]
I64 = NDArray[np.int64]

_CYR_WORD = re.compile(r"[а-яё]+(?:-[а-яё]+)*")
_SIF_A = 1e-3


@dataclass(frozen=True)
class TokenVectors:
    """Per-unit vectors of one text with their char offsets and weights."""

    starts: I64
    ends: I64
    vecs: F32  # (n, dim)
    weights: F32  # (n,)


class WordLlamaEncoder:
    dim = 256

    def __init__(self, config_name: str = "l2_supercat") -> None:
        from tokenizers import Tokenizer

        # Located through the distribution's metadata, not by importing ``wordllama``: its
        # __init__ configures the root logger and its loader may try the network.
        dist = importlib.metadata.distribution("wordllama")
        tok_path = Path(str(dist.locate_file(f"wordllama/tokenizers/{config_name}_tokenizer_config.json")))
        self._tok = Tokenizer.from_file(str(tok_path))
        self._tok.no_padding()
        self._tok.no_truncation()
        weights = Path(str(dist.locate_file(f"wordllama/weights/{config_name}_{self.dim}.safetensors")))
        # mapped, not read: the pages are the OS's file cache, shared by every detector process;
        # the rows a text needs are widened from float16 to float32 (exactly)
        self._table = map_safetensor(weights, "embedding.weight", (-1, self.dim))

    def encode(self, text: str) -> TokenVectors:
        enc = self._tok.encode(text, add_special_tokens=False)
        ids = np.asarray(enc.ids, dtype=np.int64)
        offs = np.asarray(enc.offsets, dtype=np.int64).reshape(-1, 2)
        vecs: F32 = self._table[ids].astype(np.float32)
        return TokenVectors(offs[:, 0].copy(), offs[:, 1].copy(), vecs, np.ones(len(ids), np.float32))


class NavecEncoder:
    dim = 300

    def __init__(self, navec: Navec | None = None, path: str | None = None) -> None:
        """``navec``: a table already loaded in this process (the Russian NER's, natasha's
        ``NewsEmbedding``), read in place: its 250,000-word vocabulary is ~100 MB of Python
        objects, so it is loaded once per process. Else the archive at ``path`` (None: natasha's)."""
        if navec is None:
            from navec import Navec

            if path is None:
                from natasha.data import NEWS_EMBEDDING

                path = str(NEWS_EMBEDDING)
            navec = Navec.load(Path(path))
        self._ids: dict[str, int] = navec.vocab.word_ids
        counts = np.asarray(navec.vocab.counts, dtype=np.float64)
        p = counts / counts.sum()
        self._weight = (_SIF_A / (_SIF_A + p)).astype(np.float32)
        pq = navec.pq
        self._indexes = np.asarray(pq.indexes, dtype=np.uint8)  # (vectors, qdim)
        self._codes = np.asarray(pq.codes, dtype=np.float32)  # (qdim, centroids, sub)
        self._qdims = np.arange(self._codes.shape[0])
        unk = navec.vocab.unk_id
        self._unk = -1 if unk is None else int(unk)

    def encode(self, text: str) -> TokenVectors:
        low = text.lower()
        starts, ends, ids = [], [], []
        get = self._ids.get
        for m in _CYR_WORD.finditer(low):
            i = get(m.group())
            if i is not None and i != self._unk:
                starts.append(m.start())
                ends.append(m.end())
                ids.append(i)
        n = len(ids)
        idx = np.asarray(ids, dtype=np.int64)
        vecs = self._codes[self._qdims, self._indexes[idx]].reshape(n, self.dim)
        return TokenVectors(np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64),
                            np.ascontiguousarray(vecs), self._weight[idx])


_SAFETENSORS_DTYPES = {"F16": np.float16, "F32": np.float32}


def map_safetensor(path: Path, name: str, shape: tuple[int, int]) -> NDArray[np.floating]:
    """The tensor ``name`` of a safetensors file as a read-only memory map. The format: an
    8-byte little-endian header length, a JSON header (dtype, shape, byte range of each tensor
    in the data section), then the data."""
    with path.open("rb") as f:
        (size,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(size))
    entry = header.get(name)
    if not isinstance(entry, dict) or entry.get("dtype") not in _SAFETENSORS_DTYPES:
        raise ValueError(f"{path.name}: no float tensor named {name!r}")
    dtype = np.dtype(_SAFETENSORS_DTYPES[entry["dtype"]])
    rows, cols = (int(n) for n in entry["shape"])
    begin, end = (int(n) for n in entry["data_offsets"])
    if end - begin != rows * cols * dtype.itemsize or (shape[1] != -1 and cols != shape[1]):
        raise ValueError(f"{path.name}: tensor {name!r} has an unexpected shape")
    table: NDArray[np.floating] = np.memmap(path, dtype=dtype, mode="r", offset=8 + size + begin,
                                            shape=(rows, cols))
    return table


def window_means(tv: TokenVectors, spans: I64) -> F32:
    """Weighted mean vector of the units that lie inside each [start, end) span (zeros if none):
    one matrix product of a (spans x units) weight matrix with the unit vectors."""
    i0 = np.searchsorted(tv.starts, spans[:, 0], side="left")
    i1 = np.searchsorted(tv.ends, spans[:, 1], side="right")
    pos = np.arange(len(tv.weights))
    m = ((pos >= i0[:, None]) & (pos < i1[:, None])) * tv.weights
    total = m.sum(axis=1)
    out: F32 = ((m.astype(np.float32) @ tv.vecs) / np.maximum(total, 1e-6)[:, None]).astype(np.float32)
    return out
