"""Several trained models served as one: :class:`EnsembleEncoder` (numpy only).

Models trained alike with other seeds make different mistakes; the sum of their
scores ranks better than any one of them. The sum stays one dot product, so the
ensemble is served from one pgvector space like a single model: a product vector
is every member's unit representation side by side, followed by the product's
text vector once (every member matches the same frozen text); a shopper vector
is every member's (unit) shopper vector's representation part, followed by the sum
of their text parts. Their dot product is the sum of the members' cosines divided by
sqrt(members + 1), so their cosine ranks products as that sum does.

The weights of member ``i`` are stored under ``member{i}.`` in one artifact.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .config import ModelConfig
from .numpy_encoder import NumpyEncoder, add_content, unit

PREFIX = "member{}."


def combined_weights(members: Sequence[Mapping[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """One flat weight mapping holding every member's arrays under its prefix."""
    return {
        PREFIX.format(index) + name: value
        for index, weights in enumerate(members)
        for name, value in weights.items()
    }


def member_weights(weights: Mapping[str, np.ndarray], count: int) -> list[dict[str, np.ndarray]]:
    """Split :func:`combined_weights`' mapping back into ``count`` members."""
    members: list[dict[str, np.ndarray]] = [{} for _ in range(count)]
    for name, value in weights.items():
        head, _, rest = name.partition(".")
        index = int(head.removeprefix("member")) if head.startswith("member") else -1
        if not 0 <= index < count or not rest:
            raise ValueError(f"weight {name!r} belongs to no member of a {count}-model ensemble")
        members[index][rest] = value
    if not all(members):
        raise ValueError(f"expected weights for {count} members; some have none")
    return members


class EnsembleEncoder:
    """Product and shopper vectors of several models whose cosines add up.

    Same interface as :class:`NumpyEncoder`; ``members`` share one
    :class:`ModelConfig` and one id mapping (they differ in their seeds only).
    """

    def __init__(
        self,
        config: ModelConfig,
        members: Sequence[Mapping[str, np.ndarray]],
        id_rows: Mapping[int, int],
    ) -> None:
        if len(members) < 2:
            raise ValueError("an ensemble needs at least two members")
        self.config = config
        self.members = [NumpyEncoder(config, weights, id_rows) for weights in members]

    @property
    def matches_text(self) -> bool:
        return self.members[0].matches_text

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def dimensions(self) -> int:
        extra = self.config.text_dimensions if self.matches_text else 0
        return self.config.dimensions * self.size + extra

    def item_vectors(
        self, product_ids: Sequence[int], text_vectors: np.ndarray | None
    ) -> np.ndarray:
        # As each member's product vector: unit representations, then the text as is.
        parts = [
            unit(member.representations(member.rows_for(product_ids), text_vectors))
            for member in self.members
        ]
        if self.matches_text:
            parts.append(np.asarray(text_vectors, np.float32))
        return unit(np.concatenate(parts, axis=1))

    def shopper_vector(
        self,
        product_ids: Sequence[int],
        event_types: Sequence[str],
        text_vectors: np.ndarray | None,
        content: np.ndarray | None = None,
    ) -> np.ndarray | None:
        d = self.config.dimensions
        vectors = [
            member.shopper_vector(product_ids, event_types, text_vectors)
            for member in self.members
        ]
        if any(vector is None for vector in vectors):
            return None
        parts = [vector[:d] for vector in vectors]
        if self.matches_text:
            parts.append(np.sum([vector[d:] for vector in vectors], axis=0))
        vector = np.concatenate(parts)
        if content is not None and self.matches_text:
            vector = add_content(vector, content, self.config.content_weight, members=self.size)
        vector = unit(vector[None])[0]
        return vector if vector.any() else None
