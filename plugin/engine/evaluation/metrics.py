"""Ranking metrics: pure functions over arrays of scores, rankings and targets.

Every user has exactly one relevant item (its held-out target). Rankings are
rows of item indices, best first. Ties between equal scores always go to the
lower item index, in :func:`top_k` and :func:`target_ranks` alike, so that
``recall_at_k(top_k(s, k), t, k) == mean(target_ranks(s, t) < k)``.
"""

from __future__ import annotations

import numpy as np


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` best item indices per row of ``scores``, best first.

    ``scores`` is a users x items matrix (higher is better, ``-inf`` for items
    that must not be recommended). Equal scores are ordered by lower item index,
    so the result is deterministic. Returns an int64 matrix of shape users x k.
    """
    scores = _score_matrix(scores)
    n_items = scores.shape[1]
    if not 1 <= k <= n_items:
        raise ValueError(
            f"k must be between 1 and the number of items ({n_items}); got {k}"
        )
    # The k-th largest score per row; argpartition alone would cut ties at that
    # score arbitrarily, so the tied items are taken by lowest index instead.
    threshold = np.partition(scores, n_items - k, axis=1)[:, n_items - k, None]
    above = scores > threshold
    tied = scores == threshold
    room = k - above.sum(axis=1, keepdims=True)
    chosen = above | (tied & (np.cumsum(tied, axis=1) <= room))
    candidates = np.nonzero(chosen)[1].reshape(len(scores), k)
    candidate_scores = np.take_along_axis(scores, candidates, axis=1)
    # A stable sort keeps ascending index order among equal scores.
    order = np.argsort(-candidate_scores, axis=1, kind="stable")
    return np.take_along_axis(candidates, order, axis=1).astype(np.int64)


def target_ranks(scores: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """0-based position of each row's target in the full ranking of that row.

    The rank counts the items scored strictly higher than the target plus the
    items scored equally with a lower index (the :func:`top_k` tie rule).
    Excluded items should carry ``-inf`` so they never outrank the target.
    """
    scores = _score_matrix(scores)
    targets = _targets(targets, len(scores), scores.shape[1])
    target_scores = scores[np.arange(len(scores)), targets][:, None]
    lower_index = np.arange(scores.shape[1])[None, :] < targets[:, None]
    beaten = (scores > target_scores) | ((scores == target_scores) & lower_index)
    return beaten.sum(axis=1).astype(np.int64)


def recall_at_k(ranked: np.ndarray, targets: np.ndarray, k: int) -> float:
    """Fraction of users whose target is among the first ``k`` ranked items.

    ``ranked`` is a users x (>= k) matrix of item indices in rank order and
    ``targets`` one item index per user. With one relevant item per user this is
    also the hit rate.
    """
    return float((_hit_positions(ranked, targets, k) >= 0).mean())


def ndcg_at_k(ranked: np.ndarray, targets: np.ndarray, k: int) -> float:
    """Mean normalised DCG at ``k`` with a single relevant item per user.

    A target at 0-based position ``r < k`` gains ``1 / log2(r + 2)``; a miss gains
    0. The ideal DCG of one relevant item is 1, so no further normalisation.
    """
    positions = _hit_positions(ranked, targets, k)
    hit = positions >= 0
    gains = np.zeros(len(positions))
    gains[hit] = 1.0 / np.log2(positions[hit] + 2.0)
    return float(gains.mean())


def mrr(target_ranks: np.ndarray) -> float:
    """Mean reciprocal rank: mean of ``1 / (rank + 1)`` over 0-based target ranks."""
    ranks = np.asarray(target_ranks)
    if ranks.ndim != 1 or len(ranks) == 0:
        raise ValueError(
            f"target_ranks must be a non-empty 1-D array; got shape {ranks.shape}"
        )
    if not np.issubdtype(ranks.dtype, np.integer) or (ranks < 0).any():
        raise ValueError("target_ranks must be non-negative integers (0 = first)")
    return float((1.0 / (ranks + 1.0)).mean())


def coverage(ranked: np.ndarray, n_items: int, k: int) -> float:
    """Share of the catalogue that appears in at least one user's top ``k``."""
    if n_items < 1:
        raise ValueError(f"n_items must be at least 1; got {n_items}")
    top = _ranked_matrix(ranked, k)
    if top.size and (top.min() < 0 or top.max() >= n_items):
        raise ValueError(f"ranked item indices must lie in 0..{n_items - 1}")
    return len(np.unique(top)) / n_items


def _hit_positions(ranked: np.ndarray, targets: np.ndarray, k: int) -> np.ndarray:
    """Per user the target's position in the top ``k``, or -1 for a miss."""
    top = _ranked_matrix(ranked, k)
    targets = np.asarray(targets)
    if targets.shape != (len(top),):
        raise ValueError(
            f"targets must hold one item per ranked row ({len(top)}); "
            f"got shape {targets.shape}"
        )
    hits = top == targets[:, None]
    return np.where(hits.any(axis=1), hits.argmax(axis=1), -1)


def _ranked_matrix(ranked: np.ndarray, k: int) -> np.ndarray:
    """The first ``k`` columns of ``ranked``, after checking its shape."""
    ranked = np.asarray(ranked)
    if k < 1:
        raise ValueError(f"k must be at least 1; got {k}")
    if ranked.ndim != 2 or len(ranked) == 0 or ranked.shape[1] < k:
        raise ValueError(
            f"ranked must be a users x (>= {k}) matrix with at least one user; "
            f"got shape {ranked.shape}"
        )
    return ranked[:, :k]


def _score_matrix(scores: np.ndarray) -> np.ndarray:
    scores = np.asarray(scores)
    if scores.ndim != 2 or 0 in scores.shape:
        raise ValueError(
            f"scores must be a non-empty users x items matrix; got shape {scores.shape}"
        )
    if np.isnan(scores).any():
        raise ValueError("scores must not contain NaN; use -inf for excluded items")
    return scores


def _targets(targets: np.ndarray, n_users: int, n_items: int) -> np.ndarray:
    targets = np.asarray(targets)
    if targets.shape != (n_users,) or not np.issubdtype(targets.dtype, np.integer):
        raise ValueError(
            f"targets must be {n_users} integer item indices, one per row; "
            f"got {targets.dtype} array of shape {targets.shape}"
        )
    if (targets < 0).any() or (targets >= n_items).any():
        raise ValueError(f"targets must lie in 0..{n_items - 1}")
    return targets
