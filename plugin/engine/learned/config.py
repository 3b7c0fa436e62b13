"""Hyper-parameters of the learned sequential recommender, as frozen dataclasses.

:class:`ModelConfig` is the architecture (it travels in the artifact, the numpy
forward pass reads it); :class:`TrainConfig` is how it is trained.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ..events import EventType

#: Event types in the order of their learned embeddings (row 0 is padding).
EVENT_TYPES: tuple[EventType, ...] = (
    EventType.VIEW,
    EventType.CLICK,
    EventType.ADD_TO_CART,
    EventType.PURCHASE,
)
LOSSES = ("bce", "sampled_softmax")


def event_type_index(event_type: EventType | str) -> int:
    """1-based embedding row of an event type (0 is padding)."""
    return EVENT_TYPES.index(EventType.parse(event_type)) + 1


@dataclass(frozen=True)
class ModelConfig:
    """The architecture: item representation and shopper encoder.

    Items are ``text adaptor(text vector) + id embedding`` (the id part only for
    items with at least ``id_min_count`` training interactions, and only when
    ``use_ids``); ``use_text=False`` gives the id-only SASRec baseline. The
    shopper encoder is ``layers`` pre-norm causal self-attention blocks over the
    newest ``max_length`` events, with positions counted from the newest event
    and event-type embeddings. With ``text_match`` (and ``use_text``) the
    vectors also carry the raw text vector: the shopper's part is a learned,
    attention-weighted mean of the history's text vectors, so full-fidelity text
    similarity adds to the learned score within the same dot product. Scores
    are cosine similarities; training divides them by ``temperature``. Served
    shopper vectors (not training) add ``content_weight`` times the content
    profile's cosine to every score (text models with ``text_match`` only).
    """

    dimensions: int = 64
    text_dimensions: int = 384
    layers: int = 2
    heads: int = 2
    max_length: int = 50
    experts: int = 4
    dropout: float = 0.2
    text_dropout: float = 0.2
    id_min_count: int = 5
    use_text: bool = True
    use_ids: bool = True
    text_match: bool = True
    temperature: float = 0.07
    content_weight: float = 0.2

    def __post_init__(self) -> None:
        if self.dimensions < 2 or self.dimensions % self.heads:
            raise ValueError(
                f"dimensions ({self.dimensions}) must be at least 2 and divisible by "
                f"heads ({self.heads})"
            )
        for name in ("layers", "heads", "max_length", "experts", "text_dimensions"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1; got {getattr(self, name)}")
        for name in ("dropout", "text_dropout"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"{name} must be in [0, 1); got {getattr(self, name)}")
        if not (self.use_text or self.use_ids):
            raise ValueError("use_text and use_ids cannot both be off")
        if self.id_min_count < 1:
            raise ValueError(f"id_min_count must be at least 1; got {self.id_min_count}")
        if self.content_weight < 0:
            raise ValueError(f"content_weight must be non-negative; got {self.content_weight}")
        if self.temperature <= 0:
            raise ValueError(f"temperature must be positive; got {self.temperature}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "ModelConfig":
        return cls(**values)


@dataclass(frozen=True)
class TrainConfig:
    """How the model is trained.

    ``loss`` is ``"bce"`` (binary cross-entropy, ``bce_negatives`` uniform catalogue
    negatives per positive: each costs a dot product per position, so keep it small) or
    ``"sampled_softmax"`` (in-batch targets plus ``negatives`` uniform catalogue items,
    logQ-corrected; a catalogue of at most ``full_softmax_items`` items is ranked whole,
    an exact softmax with nothing to correct). Training stops after
    ``patience`` epochs without a better validation NDCG@10, keeping the best
    epoch. ``device`` None picks CUDA when present; ``threads`` caps torch's
    CPU threads.
    """

    model: ModelConfig = field(default_factory=ModelConfig)
    loss: str = "sampled_softmax"
    negatives: int = 512
    full_softmax_items: int = 10_000
    bce_negatives: int = 16
    epochs: int = 60
    batch_size: int = 128
    learning_rate: float = 1e-3
    weight_decay: float = 1e-4
    patience: int = 5
    seed: int = 0
    device: str | None = None
    threads: int = 1
    validation_users: int = 5000
    ensemble: int = 2

    def __post_init__(self) -> None:
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {', '.join(LOSSES)}; got {self.loss!r}")
        for name in ("negatives", "bce_negatives", "epochs", "batch_size", "patience", "threads",
                     "validation_users", "ensemble"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1; got {getattr(self, name)}")
        if self.full_softmax_items < 0:
            raise ValueError(
                f"full_softmax_items must be non-negative; got {self.full_softmax_items}"
            )
        if self.learning_rate <= 0 or self.weight_decay < 0:
            raise ValueError("learning_rate must be positive and weight_decay non-negative")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
