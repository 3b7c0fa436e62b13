"""The learned sequential recommender as evaluation methods: ``learned`` and ``sasrec-id``.

Training uses only what the dataset lets models learn from (its training
histories); early stopping uses, per user, the next item after the training
history where the split provides one (the test split's validation item) and
otherwise the newest positive of the training history, held out from
training. Scoring runs the serving path: the numpy forward pass over each
user's history events and dot products with the product vectors.
``learned`` trains once per loss and keeps the better on validation (for an
ensemble, the better loss then trains the other members); ``details`` reports
both.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ..encoder import EncoderConfig
from ..events import EventType
from ..learned import LOSSES, LearnedModel, ModelConfig, TrainConfig, TrainingData, train_best
from ..learned.config import event_type_index
from .content import history_events
from .data import EvalDataset
from .text_cache import encode_cached

_PURCHASE = event_type_index(EventType.PURCHASE)
_VIEW = event_type_index(EventType.VIEW)


class LearnedScorer:
    """Text plus id item representations, causal self-attention shoppers."""

    name = "learned"

    def __init__(
        self,
        config: TrainConfig = TrainConfig(),
        losses: tuple[str, ...] = LOSSES,
        encoder_config: EncoderConfig = EncoderConfig(),
        cache_dir: Path | None = None,
        show_progress: bool = False,
    ) -> None:
        self.config = config
        self.losses = losses
        self.encoder_config = encoder_config
        self.cache_dir = cache_dir
        self.show_progress = show_progress
        self.details: dict[str, Any] = {}
        self._data: EvalDataset | None = None
        self._model: LearnedModel | None = None
        self._items: np.ndarray | None = None
        self._text: np.ndarray | None = None

    def fit(self, data: EvalDataset, vectors: np.ndarray | None = None) -> None:
        """Train on the dataset's training histories; precompute the product vectors."""
        if self.config.model.use_text and vectors is None:
            vectors = encode_cached(
                data.item_texts, self.encoder_config, self.cache_dir, self.show_progress
            )
        text = (
            np.asarray(vectors, np.float32) if vectors is not None
            else np.zeros((data.n_items, 1), np.float32)
        )
        best, report = train_best(training_data(data, text), self.config, losses=self.losses)
        # An ensemble's first member is its loss's entry of the report.
        grown = best.seconds - report[best.config.loss]["seconds"] if best.config.ensemble > 1 else 0
        self.details = {
            "losses": report,
            "chosen_loss": best.config.loss,
            "ensemble": best.config.ensemble,
            "validation": {name: best.metrics[name] for name in ("ndcg@10", "recall@10")},
            "train_seconds": round(sum(m["seconds"] for m in report.values()) + grown, 2),
            "peak_memory_mb": max(
                best.peak_memory_mb, *(m["peak_memory_mb"] for m in report.values())
            ),
        }
        self._data, self._text = data, text
        self._model = best.ranking_model(self.name)
        self._items = self._model.item_vectors(list(range(data.n_items)), text)

    def score(self, users: np.ndarray) -> np.ndarray:
        """Cosine of each user's shopper vector (from their whole history) with every item."""
        if self._data is None or self._model is None or self._items is None:
            raise RuntimeError(f"{self.name}: call fit() before scoring")
        by_item = dict(enumerate(self._text))
        scores = np.zeros((len(users), self._data.n_items), dtype=np.float32)
        for row, user in enumerate(users):
            events = history_events(self._data, int(user), disliked=EventType.VIEW)
            query = self._model.shopper_vector(events, by_item)
            if query is not None:
                scores[row] = self._items @ query
        return scores


class SasrecIdScorer(LearnedScorer):
    """The same architecture with id embeddings only (every trained item gets one)."""

    name = "sasrec-id"

    def __init__(self, config: TrainConfig = TrainConfig(), **options: Any) -> None:
        model = replace(config.model, use_text=False, use_ids=True, id_min_count=1)
        super().__init__(replace(config, model=model), **options)


def training_data(data: EvalDataset, text_vectors: np.ndarray) -> TrainingData:
    """Training sequences and early-stopping cases from an evaluation split.

    Never looks at ``data.targets``.
    """
    sequences, types, validation = [], [], []
    for user in range(data.n_users):
        items = data.histories[user]
        kinds = np.where(data.history_weights[user] > 0, _PURCHASE, _VIEW)
        train_items = data.train_histories[user] if data.train_histories is not None else None
        if train_items is not None and len(items) > len(train_items):
            # The split holds a newer item the models must not learn from: validate on it.
            cut = len(train_items)
            if cut:
                validation.append((items[:cut], kinds[:cut], int(items[cut])))
            sequences.append(items[:cut])
            types.append(kinds[:cut])
            continue
        positives = np.flatnonzero(kinds == _PURCHASE)
        if len(positives) and positives[-1] >= 2:
            cut = int(positives[-1])
            validation.append((items[:cut], kinds[:cut], int(items[cut])))
            items, kinds = items[:cut], kinds[:cut]
        sequences.append(items)
        types.append(kinds)
    return TrainingData.from_sequences(
        list(range(data.n_items)), text_vectors, sequences, types, validation
    )


def default_config(**overrides: Any) -> TrainConfig:
    """The evaluation's training configuration, with model fields overridable by name."""
    model_fields = set(ModelConfig.__dataclass_fields__)
    model = replace(TrainConfig().model, **{k: v for k, v in overrides.items() if k in model_fields})
    rest = {k: v for k, v in overrides.items() if k not in model_fields}
    return replace(TrainConfig(), model=model, **rest)
