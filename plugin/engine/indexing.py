"""Turning product documents into stored vectors, skipping unchanged text."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Protocol

import numpy as np

from .documents import ProductDocument, compose_text, content_hash
from .encoder import EncoderConfig, encode

# Texts per encoder call. The encoder orders each call's texts by length before
# batching them, so larger chunks pad less (measured on 2,000 Saleor products:
# 283-295 texts/s in chunks of 1,024 or more against 273-284 in chunks of 256).
CHUNK_SIZE = 1024


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
    chunk_size: int = CHUNK_SIZE,
    progress: Callable[[int], None] | None = None,
) -> IndexStats:
    """Encode and store the documents whose composed text changed since last time."""
    stats = IndexStats()
    iterator = iter(documents)
    while chunk := list(islice(iterator, chunk_size)):
        texts = {doc.product_id: compose_text(doc) for doc in chunk}
        hashes = {pid: content_hash(text) for pid, text in texts.items()}
        stored = writer.content_hashes(hashes)
        changed = [pid for pid, digest in hashes.items() if stored.get(pid) != digest]
        if changed:
            vectors = encode([texts[pid] for pid in changed], config=config)
            writer.upsert_vectors(
                [(pid, hashes[pid], vector) for pid, vector in zip(changed, vectors)]
            )
        stats.encoded += len(changed)
        stats.unchanged += len(hashes) - len(changed)
        if progress is not None:
            progress(len(chunk))
    return stats
