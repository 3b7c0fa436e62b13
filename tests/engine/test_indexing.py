import numpy as np
from saleor_personalization.engine.documents import ProductDocument
from saleor_personalization.engine.indexing import index_documents


class MemoryWriter:
    def __init__(self):
        self.rows: dict[int, tuple[str, np.ndarray]] = {}
        self.writes = 0

    def content_hashes(self, product_ids):
        return {pid: self.rows[pid][0] for pid in product_ids if pid in self.rows}

    def upsert_vectors(self, rows):
        self.writes += len(rows)
        for pid, digest, vector in rows:
            self.rows[pid] = (digest, vector)


DOCS = [ProductDocument(1, "Coffee beans"), ProductDocument(2, "Running shoes")]


def test_only_changed_texts_are_encoded_again(encoder_config):
    writer = MemoryWriter()
    first = index_documents(DOCS, writer, encoder_config)
    assert (first.encoded, first.unchanged) == (2, 0)
    again = index_documents(DOCS, writer, encoder_config)
    assert (again.encoded, again.unchanged) == (0, 2)
    changed = index_documents(
        [DOCS[0], ProductDocument(2, "Running shoes", description="Now waterproof")], writer, encoder_config
    )
    assert (changed.encoded, changed.unchanged) == (1, 1)
    assert writer.writes == 3


def test_progress_is_reported_per_chunk(encoder_config):
    seen = []
    index_documents(DOCS, MemoryWriter(), encoder_config, chunk_size=1, progress=seen.append)
    assert seen == [1, 1]
