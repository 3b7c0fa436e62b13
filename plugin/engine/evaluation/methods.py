"""The scorer interface every evaluated method implements, and two baselines.

A scorer is fitted on an :class:`EvalDataset` (its histories, never its targets)
and then scores batches of that dataset's users against every item. The runner,
not the scorer, removes excluded items, so baselines stay simple.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
from scipy import sparse

from .data import EvalDataset


@runtime_checkable
class Scorer(Protocol):
    """A recommendation method under evaluation."""

    name: str

    def fit(self, data: EvalDataset) -> None:
        """Learn from ``data``'s histories; called once before any :meth:`score`."""
        ...

    def score(self, users: np.ndarray) -> np.ndarray:
        """Scores for the given user indices: float32, ``len(users) x n_items``.

        Higher is better. Items in the users' exclusion lists may get any finite
        score; the runner masks them.
        """
        ...


class PopularityScorer:
    """Scores every item by how many users interacted with it positively."""

    name = "popularity"

    def __init__(self) -> None:
        self._counts: np.ndarray | None = None

    def fit(self, data: EvalDataset) -> None:
        """Count, per item, the users whose history holds it with weight > 0."""
        matrix = data.interaction_matrix()
        self._counts = np.asarray(matrix.sum(axis=0), dtype=np.float32).ravel()

    def score(self, users: np.ndarray) -> np.ndarray:
        """The same popularity row for every user."""
        if self._counts is None:
            raise RuntimeError("PopularityScorer.score called before fit")
        return np.tile(self._counts, (len(users), 1))


class ItemKNNScorer:
    """Item-based nearest neighbours with cosine similarity.

    ``sim(i, j) = |U_i & U_j| / (sqrt(|U_i| * |U_j|) + shrink)`` over the sets of
    users in the training interactions; each item keeps its ``neighbours`` most
    similar items (``None`` keeps all). A user's score for item ``j`` is the sum
    of ``sim(i, j)`` over the entries ``i`` of the user's positive history.

    The defaults (no pruning, no shrinkage) reproduce the item-kNN reference
    figures quoted for Amazon Scientific; pruning bounds memory on catalogues far
    larger than the evaluation data sets.
    """

    name = "itemknn"

    def __init__(self, neighbours: int | None = None, shrink: float = 0.0) -> None:
        if neighbours is not None and neighbours < 1:
            raise ValueError(f"neighbours must be at least 1 or None; got {neighbours}")
        if shrink < 0:
            raise ValueError(f"shrink must be non-negative; got {shrink}")
        self.neighbours = neighbours
        self.shrink = shrink
        self._profiles: sparse.csr_matrix | None = None
        self._similarity: sparse.csr_matrix | None = None

    def fit(self, data: EvalDataset) -> None:
        """Similarities from the training interactions; profiles from the histories."""
        self._profiles = data.history_matrix()
        self._similarity = item_similarity(
            data.interaction_matrix(), self.neighbours, self.shrink
        )

    def score(self, users: np.ndarray) -> np.ndarray:
        """Sum of the similarities from each user's history items to every item."""
        if self._profiles is None or self._similarity is None:
            raise RuntimeError("ItemKNNScorer.score called before fit")
        scores = self._profiles[np.asarray(users)] @ self._similarity
        return scores.toarray().astype(np.float32, copy=False)


def item_similarity(
    interactions: sparse.csr_matrix, neighbours: int | None = None, shrink: float = 0.0
) -> sparse.csr_matrix:
    """Cosine item x item similarity of a binary users x items matrix.

    Row ``i`` holds item ``i``'s ``neighbours`` most similar other items (all of
    them when ``None``); ties at the cut go to the lower item index. The
    diagonal is zero: an item does not recommend itself.
    """
    binary = (interactions > 0).astype(np.float32)
    overlap = (binary.T @ binary).tocoo()
    norms = np.sqrt(np.asarray(binary.sum(axis=0), dtype=np.float64).ravel())
    off_diagonal = overlap.row != overlap.col
    row, col = overlap.row[off_diagonal], overlap.col[off_diagonal]
    values = overlap.data[off_diagonal] / (norms[row] * norms[col] + shrink)
    similarity = sparse.csr_matrix(
        (values.astype(np.float32), (row, col)), shape=overlap.shape
    )
    if neighbours is not None:
        similarity = _keep_top(similarity, neighbours)
    return similarity


def _keep_top(matrix: sparse.csr_matrix, n: int) -> sparse.csr_matrix:
    """Keep the ``n`` largest entries of each row (lower column wins ties)."""
    matrix.sort_indices()
    keep = np.zeros(matrix.nnz, dtype=bool)
    for start, end in zip(matrix.indptr[:-1], matrix.indptr[1:]):
        best = np.argsort(-matrix.data[start:end], kind="stable")[:n]
        keep[start + best] = True
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    return sparse.csr_matrix(
        (matrix.data[keep], (rows[keep], matrix.indices[keep])), shape=matrix.shape
    )
