"""A trained model and its serving face, :class:`LearnedModel` (numpy only)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from ..events import Event
from ..profiles import ProfileConfig
from ..ranking_model import ContentProfileModel
from .config import TrainConfig
from .ensemble import EnsembleEncoder, member_weights
from .numpy_encoder import NumpyEncoder


class TrainingCancelled(RuntimeError):
    """Training stopped because ``should_stop()`` asked it to; nothing was produced."""


@dataclass(frozen=True)
class TrainedModel:
    """Weights, item-id mapping and the record of one training run.

    ``id_rows`` maps product ids to id-embedding rows (products with too few
    training interactions have none). ``metrics`` are the best epoch's
    validation ``ndcg@10`` and ``recall@10`` and the ``epoch`` itself;
    ``history`` has one entry per epoch; ``window`` the oldest and newest
    training event time (None for data without times).
    """

    config: TrainConfig
    weights: dict[str, np.ndarray]
    id_rows: dict[int, int]
    metrics: dict[str, float]
    history: list[dict[str, float]] = field(default_factory=list)
    window: tuple[datetime | None, datetime | None] = (None, None)
    seconds: float = 0.0
    peak_memory_mb: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def encoder(self) -> NumpyEncoder | EnsembleEncoder:
        """The numpy forward pass of these weights (of every member, for an ensemble)."""
        if self.config.ensemble > 1:
            members = member_weights(self.weights, self.config.ensemble)
            return EnsembleEncoder(self.config.model, members, self.id_rows)
        return NumpyEncoder(self.config.model, self.weights, self.id_rows)

    def ranking_model(self, name: str = "learned") -> "LearnedModel":
        """This model behind the engine's :class:`~..ranking_model.RankingModel` interface."""
        return LearnedModel(self.encoder(), name=name)


class LearnedModel:
    """The learned recommender as a :class:`~..ranking_model.RankingModel`.

    Product vectors: the unit-length item representation (text adaptor plus
    id embedding where the product has one; a product the model never saw gets
    one from its text alone). Shopper vector: the causal encoder's output over
    the newest ``max_length`` events, oldest first; with the model's
    ``content_weight``, the content profile's query (``profile_config``) is added
    to its text part, so every score gains that weight times the content
    profile's cosine: products new or rarely bought, which the encoder has little
    evidence for, keep the content profile's ranking of them. Scores are cosines.
    """

    def __init__(
        self,
        encoder: NumpyEncoder | EnsembleEncoder,
        name: str = "learned",
        profile_config: ProfileConfig = ProfileConfig(),
    ) -> None:
        self.encoder = encoder
        self.name = name
        self.dimensions = encoder.dimensions
        config = encoder.config
        self.content = (
            ContentProfileModel(config.text_dimensions, profile_config)
            if encoder.matches_text and config.content_weight > 0 else None
        )

    def item_vectors(self, product_ids: Sequence[int], text_vectors: np.ndarray) -> np.ndarray:
        text = text_vectors if self.encoder.config.use_text else None
        return self.encoder.item_vectors(product_ids, text)

    def shopper_vector(
        self,
        events: Sequence[Event],
        text_vectors: Mapping[int, np.ndarray],
        now: datetime | None = None,
    ) -> np.ndarray | None:
        use_text = self.encoder.config.use_text
        ordered = [
            e for e in sorted(events, key=lambda e: e.occurred_at)
            if not use_text or e.product_id in text_vectors
        ][-self.encoder.config.max_length:]
        if not ordered:
            return None
        text = (
            np.stack([np.asarray(text_vectors[e.product_id], np.float32) for e in ordered])
            if use_text else None
        )
        content = (
            self.content.shopper_vector(events, text_vectors, now)
            if self.content is not None else None
        )
        return self.encoder.shopper_vector(
            [e.product_id for e in ordered], [e.event_type for e in ordered], text, content
        )
