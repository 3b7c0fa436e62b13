"""Turning product documents into stored vectors, skipping unchanged text."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from itertools import islice
from typing import Protocol

import numpy as np

from .documents import ProductDocument, compose_text, content_hash
from .encoder import EncoderConfig, encode


class VectorWriter(Protocol):
    def content_hashes(self, product_ids: Iterable[int]) -> dict[int, str]: ...

    def upsert_vectors(self, rows: Sequence[tuple[int, str, np.ndarray]]) -> None: ...


@dataclass
class IndexStats:
    encoded: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.encoded + self.unchanged


def index_documents(
    documents: Iterable[ProductDocument],
    writer: VectorWriter,
    config: EncoderConfig = EncoderConfig(),
    *,
    chunk_size: int = 256,
    progress: Callable[[int], None] | None = None,
) -> IndexStats:
    """Encode and store the documents whose composed text changed since last time.

    A chunk is encoded in a background thread while this one writes the previous
    chunk's vectors and reads the next chunk: the model (which releases the GIL)
    is kept busy instead of waiting on the database. Database work stays on the
    calling thread, in its connection and transaction.
    """
    stats = IndexStats()
    iterator = iter(documents)
    pending: _Encoding | None = None
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="encode") as pool:
        while chunk := list(islice(iterator, chunk_size)):
            texts = {doc.product_id: compose_text(doc) for doc in chunk}
            hashes = {pid: content_hash(text) for pid, text in texts.items()}
            stored = writer.content_hashes(hashes)
            changed = [pid for pid, digest in hashes.items() if stored.get(pid) != digest]
            vectors = (
                pool.submit(encode, [texts[pid] for pid in changed], config=config)
                if changed
                else None
            )
            if pending is not None:
                _store(pending, writer, stats, progress)
            pending = _Encoding(vectors, changed, hashes)
        if pending is not None:
            _store(pending, writer, stats, progress)
    return stats


@dataclass
class _Encoding:
    vectors: Future | None
    changed: list[int]
    hashes: dict[int, str]


def _store(
    encoding: _Encoding,
    writer: VectorWriter,
    stats: IndexStats,
    progress: Callable[[int], None] | None,
) -> None:
    if encoding.vectors is not None:
        vectors = encoding.vectors.result()
        writer.upsert_vectors(
            [
                (pid, encoding.hashes[pid], vector)
                for pid, vector in zip(encoding.changed, vectors)
            ]
        )
    stats.encoded += len(encoding.changed)
    stats.unchanged += len(encoding.hashes) - len(encoding.changed)
    if progress is not None:
        progress(len(encoding.hashes))
