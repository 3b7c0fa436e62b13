"""Run scorers over an evaluation dataset and collect their metrics.

:func:`evaluate` fits each scorer, scores users in batches, masks each user's
excluded items with ``-inf``, and reduces the rankings to Recall@k, NDCG@k, MRR
and catalogue coverage. :data:`METHODS` names the scorers a command line can ask
for; other modules add theirs with :func:`register_method`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy import sparse

from ..learned.resources import Usage
from .content import ContentScorer
from .data import EvalDataset
from .learned import LearnedScorer, SasrecIdScorer
from .methods import ItemKNNScorer, PopularityScorer, Scorer
from .metrics import coverage, mrr, ndcg_at_k, recall_at_k, target_ranks, top_k

#: ``progress(method_name, users_done, users_total)``, called after each batch.
Progress = Callable[[str, int, int], None]

METHODS: dict[str, Callable[[], Scorer]] = {
    "popularity": PopularityScorer,
    "itemknn": ItemKNNScorer,
    "content": ContentScorer,
    "learned": LearnedScorer,
    "sasrec-id": SasrecIdScorer,
}

#: Test users whose target has at most this many training interactions form the cold slice.
COLD_THRESHOLD = 5


def register_method(
    name: str, factory: Callable[[], Scorer], *, replace: bool = False
) -> None:
    """Make ``factory`` available in :data:`METHODS` under ``name``.

    Registering a taken name raises ``ValueError`` unless ``replace`` is true.
    """
    if not name or not name.strip():
        raise ValueError("method name must be a non-empty string")
    if name in METHODS and not replace:
        raise ValueError(
            f"method {name!r} is already registered; pass replace=True to override"
        )
    METHODS[name] = factory


def evaluate(
    data: EvalDataset,
    scorers: Sequence[Scorer],
    k: int = 10,
    batch_size: int = 512,
    progress: Progress | None = None,
    cold_threshold: int = COLD_THRESHOLD,
) -> dict[str, Any]:
    """Fit and score every scorer on ``data``; return the metrics per method.

    The result is ``{"dataset", "protocol", "k", "users", "items", "cold_threshold",
    "cold_users", "methods", "details"}`` where ``methods[name]`` holds ``recall@k``,
    ``ndcg@k``, ``mrr``, ``coverage`` (rounded to 4 decimals), ``cold recall@k``
    and ``cold ndcg@k`` (over the users whose target item has at most
    ``cold_threshold`` training interactions; 0 when there are none),
    ``train seconds`` (fit wall time), ``seconds`` (fit plus scoring) and
    ``peak MB`` (the process's peak resident memory during fit and scoring).
    ``details[name]`` holds what a scorer reports in its ``details`` attribute
    (for the learned methods: each loss's validation metrics).
    """
    if not 1 <= k <= data.n_items:
        raise ValueError(f"k must be between 1 and n_items ({data.n_items}); got {k}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1; got {batch_size}")
    if data.n_users == 0:
        raise ValueError(f"dataset {data.name!r} has no users to evaluate")
    names = [scorer.name for scorer in scorers]
    if len(set(names)) != len(names):
        raise ValueError(f"scorer names must be unique; got {names}")

    excluded = _exclusion_matrix(data)
    counts = np.asarray(data.interaction_matrix().sum(axis=0)).ravel()
    cold = counts[data.targets] <= cold_threshold
    methods: dict[str, dict[str, float]] = {}
    details: dict[str, Any] = {}
    for scorer in scorers:
        with Usage() as usage:
            started = time.perf_counter()
            scorer.fit(data)
            fitted = time.perf_counter() - started
            ranked, ranks = _rank_all(scorer, data, excluded, k, batch_size, progress)
        methods[scorer.name] = {
            f"recall@{k}": round(recall_at_k(ranked, data.targets, k), 4),
            f"ndcg@{k}": round(ndcg_at_k(ranked, data.targets, k), 4),
            "mrr": round(mrr(ranks), 4),
            "coverage": round(coverage(ranked, data.n_items, k), 4),
            **_cold_metrics(ranked, data.targets, cold, k),
            "train seconds": round(fitted, 2),
            "seconds": round(usage.seconds, 2),
            "peak MB": round(usage.peak_mb, 1),
        }
        if getattr(scorer, "details", None):
            details[scorer.name] = scorer.details
    return {
        "dataset": data.name,
        "protocol": data.protocol,
        "k": k,
        "users": data.n_users,
        "items": data.n_items,
        "cold_threshold": cold_threshold,
        "cold_users": int(cold.sum()),
        "methods": methods,
        "details": details,
    }


def _cold_metrics(
    ranked: np.ndarray, targets: np.ndarray, cold: np.ndarray, k: int
) -> dict[str, float]:
    """Recall@k and NDCG@k over the cold users only (0.0 when there are none)."""
    if not cold.any():
        return {f"cold recall@{k}": 0.0, f"cold ndcg@{k}": 0.0}
    return {
        f"cold recall@{k}": round(recall_at_k(ranked[cold], targets[cold], k), 4),
        f"cold ndcg@{k}": round(ndcg_at_k(ranked[cold], targets[cold], k), 4),
    }


def _rank_all(
    scorer: Scorer,
    data: EvalDataset,
    excluded: sparse.csr_matrix,
    k: int,
    batch_size: int,
    progress: Progress | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Top-k lists and full-ranking target ranks for every user, batch by batch."""
    ranked, ranks = [], []
    for start in range(0, data.n_users, batch_size):
        users = np.arange(start, min(start + batch_size, data.n_users))
        scores = np.array(scorer.score(users), dtype=np.float32)
        if scores.shape != (len(users), data.n_items):
            raise ValueError(
                f"{scorer.name}.score returned shape {scores.shape}; expected "
                f"({len(users)}, {data.n_items})"
            )
        batch_excluded = excluded[users]
        rows = np.repeat(np.arange(len(users)), np.diff(batch_excluded.indptr))
        scores[rows, batch_excluded.indices] = -np.inf
        ranked.append(top_k(scores, k))
        ranks.append(target_ranks(scores, data.targets[users]))
        if progress is not None:
            progress(scorer.name, int(users[-1]) + 1, data.n_users)
    return np.concatenate(ranked), np.concatenate(ranks)


def _exclusion_matrix(data: EvalDataset) -> sparse.csr_matrix:
    """Users x items matrix with a 1 wherever an item is excluded for a user."""
    cols = np.concatenate([np.zeros(0, dtype=np.int64), *data.exclude])
    rows = np.repeat(np.arange(data.n_users), [len(items) for items in data.exclude])
    matrix = sparse.csr_matrix(
        (np.ones(len(cols), dtype=np.int8), (rows, cols)),
        shape=(data.n_users, data.n_items),
    )
    matrix.sum_duplicates()
    return matrix
