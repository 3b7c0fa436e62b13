"""Training windows, padded batches and negative samples for the learned model."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from .data import ShopperSequence, TrainingData


@dataclass(frozen=True)
class Windows:
    """Next-item training windows: ``max_length + 1`` events at most, each owned by a shopper."""

    items: list[np.ndarray]
    types: list[np.ndarray]
    owner: np.ndarray
    positives: sparse.csr_matrix  # shoppers x items: what must never be a negative

    @property
    def lengths(self) -> np.ndarray:
        return np.array([len(items) for items in self.items], dtype=np.int64)


def windows(data: TrainingData, max_length: int) -> Windows:
    """Cut every sequence, from its newest event back, into windows of ``max_length + 1``."""
    items, types, owner = [], [], []
    for shopper, sequence in enumerate(data.sequences):
        end = len(sequence)
        while end >= 2:
            start = max(0, end - max_length - 1)
            items.append(sequence.items[start:end])
            types.append(sequence.event_types[start:end])
            owner.append(shopper)
            end = start + 1 if start > 0 else 0
    rows = [s.items for s in data.sequences]
    cols = np.concatenate([np.zeros(0, np.int64), *rows])
    row_of = np.repeat(np.arange(len(rows)), [len(r) for r in rows])
    positives = sparse.csr_matrix(
        (np.ones(len(cols), np.float32), (row_of, cols)), shape=(len(rows), data.n_items)
    )
    return Windows(items, types, np.asarray(owner, dtype=np.int64), positives.tocsr())


def pad_left(
    sequences: list[np.ndarray], length: int, fill: int
) -> np.ndarray:
    """Stack sequences into a matrix, right-aligned, padded on the left with ``fill``."""
    out = np.full((len(sequences), length), fill, dtype=np.int64)
    for row, sequence in enumerate(sequences):
        if len(sequence):
            out[row, -len(sequence):] = sequence[-length:]
    return out


def padded_cases(
    cases: list[ShopperSequence], max_length: int
) -> tuple[np.ndarray, np.ndarray]:
    """Item rows (-1 padding) and types (0 padding) of input sequences, newest kept."""
    length = max(1, min(max_length, max(len(case) for case in cases)))
    return (
        pad_left([case.items for case in cases], length, -1),
        pad_left([case.event_types for case in cases], length, 0),
    )
