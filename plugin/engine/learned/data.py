"""What the learned model trains on: :class:`TrainingData`.

Built from a shop's ``(shopper, product, event type, time)`` tuples and the
products' text vectors with :meth:`TrainingData.from_events`, or from ready
sequences (the offline evaluation) with :meth:`TrainingData.from_sequences`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from ..events import EventType
from .config import EVENT_TYPES, event_type_index

#: A shop event as the trainer takes it: shopper key, product id, type, time.
EventTuple = tuple[str, int, "EventType | str", datetime]


@dataclass(frozen=True)
class ShopperSequence:
    """One shopper's events, oldest first: item rows and 1-based event types."""

    items: np.ndarray
    event_types: np.ndarray

    def __post_init__(self) -> None:
        if len(self.items) != len(self.event_types):
            raise ValueError(
                f"{len(self.items)} items but {len(self.event_types)} event types"
            )

    def __len__(self) -> int:
        return len(self.items)


@dataclass(frozen=True)
class TrainingData:
    """Item catalogue, training sequences and the early-stopping validation cases.

    ``item_ids[row]`` is the product id of item row ``row`` and
    ``text_vectors[row]`` its frozen text vector. ``validation`` pairs an input
    sequence with the row of the item that came next; none of those targets is
    in ``sequences``. ``window`` is the oldest and newest event time used.
    """

    item_ids: np.ndarray
    text_vectors: np.ndarray
    sequences: list[ShopperSequence]
    validation: list[tuple[ShopperSequence, int]] = field(default_factory=list)
    window: tuple[datetime | None, datetime | None] = (None, None)

    def __post_init__(self) -> None:
        if self.text_vectors.ndim != 2 or len(self.text_vectors) != len(self.item_ids):
            raise ValueError(
                f"text_vectors must hold one row per item ({len(self.item_ids)}); "
                f"got shape {self.text_vectors.shape}"
            )
        if len(np.unique(self.item_ids)) != len(self.item_ids):
            raise ValueError("item_ids must be unique")

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def item_counts(self) -> np.ndarray:
        """Training interactions per item row (validation targets not counted)."""
        rows = [s.items for s in self.sequences]
        return np.bincount(np.concatenate([np.zeros(0, np.int64), *rows]), minlength=self.n_items)

    @classmethod
    def from_events(
        cls,
        events: Iterable[EventTuple],
        text_vectors: Mapping[int, np.ndarray],
        *,
        min_validation_length: int = 3,
    ) -> "TrainingData":
        """Group events by shopper, by time; hold out each shopper's newest event.

        Shoppers with at least ``min_validation_length`` events give their newest
        one to the validation set (the model never learns it); events of products
        without a text vector are skipped.
        """
        by_shopper: dict[str, list[tuple[datetime, int, int]]] = {}
        for shopper, product_id, event_type, occurred_at in events:
            if product_id in text_vectors:
                by_shopper.setdefault(shopper, []).append(
                    (occurred_at, int(product_id), event_type_index(event_type))
                )
        item_ids = np.array(sorted(text_vectors), dtype=np.int64)
        row_of = {int(product_id): row for row, product_id in enumerate(item_ids)}
        sequences, validation, times = [], [], []
        for shopper in sorted(by_shopper):
            ordered = sorted(by_shopper[shopper], key=lambda event: event[0])
            times += [ordered[0][0], ordered[-1][0]]
            items = np.array([row_of[product] for _, product, _ in ordered], dtype=np.int64)
            types = np.array([kind for _, _, kind in ordered], dtype=np.int64)
            if len(items) >= min_validation_length:
                validation.append((ShopperSequence(items[:-1], types[:-1]), int(items[-1])))
                items, types = items[:-1], types[:-1]
            sequences.append(ShopperSequence(items, types))
        vectors = np.stack([np.asarray(text_vectors[int(p)], np.float32) for p in item_ids]) \
            if len(item_ids) else np.zeros((0, 1), np.float32)
        return cls(
            item_ids=item_ids,
            text_vectors=vectors,
            sequences=sequences,
            validation=validation,
            window=(min(times), max(times)) if times else (None, None),
        )

    @classmethod
    def from_sequences(
        cls,
        item_ids: Sequence[int],
        text_vectors: np.ndarray,
        sequences: Sequence[np.ndarray],
        event_types: Sequence[np.ndarray] | None = None,
        validation: Sequence[tuple[np.ndarray, np.ndarray, int]] = (),
    ) -> "TrainingData":
        """From item-row sequences; event types default to purchases."""
        purchase = EVENT_TYPES.index(EventType.PURCHASE) + 1

        def types_for(items: np.ndarray, types: np.ndarray | None) -> np.ndarray:
            if types is None:
                return np.full(len(items), purchase, dtype=np.int64)
            return np.asarray(types, dtype=np.int64)

        built = [
            ShopperSequence(
                np.asarray(items, np.int64),
                types_for(items, None if event_types is None else event_types[index]),
            )
            for index, items in enumerate(sequences)
        ]
        checks = [
            (ShopperSequence(np.asarray(items, np.int64), types_for(items, types)), int(target))
            for items, types, target in validation
        ]
        return cls(
            item_ids=np.asarray(item_ids, dtype=np.int64),
            text_vectors=np.asarray(text_vectors, dtype=np.float32),
            sequences=built,
            validation=checks,
        )
