"""Maximal marginal relevance: trade a little relevance for less repetition."""

from __future__ import annotations

import numpy as np


def mmr(relevance: np.ndarray, vectors: np.ndarray, k: int, diversity: float) -> list[int]:
    """Indices of ``k`` items picked greedily by MMR.

    Each step takes the item maximising
    ``(1 - diversity) * relevance - diversity * max_similarity_to_picked``.
    ``diversity=0`` keeps the relevance order; vectors must be unit length.
    """
    if not 0.0 <= diversity <= 1.0:
        raise ValueError(f"diversity must be between 0 and 1, got {diversity}")
    if k < 0:
        raise ValueError(f"k must not be negative, got {k}")
    count = len(relevance)
    if vectors.shape[0] != count:
        raise ValueError("relevance and vectors must have one row per item")
    k = min(k, count)
    if k == 0:
        return []
    if diversity == 0.0:
        return [int(i) for i in np.argsort(-relevance, kind="stable")[:k]]
    similarity = vectors @ vectors.T
    picked: list[int] = []
    max_sim = np.full(count, -np.inf)
    available = np.ones(count, dtype=bool)
    for _ in range(k):
        redundancy = np.where(np.isfinite(max_sim), max_sim, 0.0)
        gain = (1.0 - diversity) * relevance - diversity * redundancy
        gain = np.where(available, gain, -np.inf)
        best = int(np.argmax(gain))
        picked.append(best)
        available[best] = False
        max_sim = np.maximum(max_sim, similarity[best])
    return picked
