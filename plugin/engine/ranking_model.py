"""One recommender-model interface, served and evaluated alike.

A :class:`RankingModel` turns products into vectors for the store and a
shopper's recent events into one query vector; a product's score for the
shopper is the dot product of the two. Both kinds of vector are unit length,
so the dot product is the cosine similarity: product vectors live in a pgvector
space searched with the cosine operator (``<=>``, ``vector_cosine_ops``) under
the store's usual filters, and the offline evaluation ranks with the very same
dot products.

Implementations: :class:`ContentProfileModel` (the engine's text vectors and
profile functions, as served before learned models existed) and
:class:`~saleor_personalization.engine.learned.model.LearnedModel`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

import numpy as np

from . import profiles
from .events import Event
from .profiles import ProfileConfig


@runtime_checkable
class RankingModel(Protocol):
    """Scores a shopper's recent events against products by a dot product."""

    name: str
    #: Length of both the product and the shopper vectors.
    dimensions: int

    def item_vectors(self, product_ids: Sequence[int], text_vectors: np.ndarray) -> np.ndarray:
        """Unit-length float32 vectors (one row per product) for the store.

        ``text_vectors`` holds the products' frozen text vectors (the engine's
        encoder output), row for row with ``product_ids``.
        """
        ...

    def shopper_vector(
        self,
        events: Sequence[Event],
        text_vectors: Mapping[int, np.ndarray],
        now: datetime | None = None,
    ) -> np.ndarray | None:
        """The unit-length query for a shopper's events (any order), or None.

        ``text_vectors`` maps product ids to their text vectors; events of
        products without one are skipped. None means nothing to go on (the
        caller falls back to popularity).
        """
        ...


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """``matrix`` with every non-zero row scaled to unit length, as float32."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)


class ContentProfileModel:
    """Today's content profile behind the :class:`RankingModel` interface.

    Product vectors are the text vectors themselves; the shopper's query is the
    engine's long-term profile blended with the current visit
    (:mod:`~saleor_personalization.engine.profiles`), unchanged.
    """

    name = "content"

    def __init__(self, dimensions: int, config: ProfileConfig = ProfileConfig()) -> None:
        self.dimensions = dimensions
        self.config = config

    def item_vectors(self, product_ids: Sequence[int], text_vectors: np.ndarray) -> np.ndarray:
        """The text vectors, unit length."""
        text_vectors = np.asarray(text_vectors, dtype=np.float32)
        if text_vectors.shape != (len(product_ids), self.dimensions):
            raise ValueError(
                f"expected text vectors of shape ({len(product_ids)}, {self.dimensions}); "
                f"got {text_vectors.shape}"
            )
        return unit_rows(text_vectors)

    def shopper_vector(
        self,
        events: Sequence[Event],
        text_vectors: Mapping[int, np.ndarray],
        now: datetime | None = None,
    ) -> np.ndarray | None:
        """Long-term taste blended with the current visit, as the engine serves it."""
        state = profiles.long_term(events, text_vectors, self.config)
        long_vector = state.preference() if state is not None else None
        short_vector = profiles.short_term(events, text_vectors, self.config, now=now)
        return profiles.blend(long_vector, short_vector, self.config)
