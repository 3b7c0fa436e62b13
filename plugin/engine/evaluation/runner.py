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

from .content import ContentScorer
from .data import EvalDataset
from .methods import ItemKNNScorer, PopularityScorer, Scorer
from .metrics import coverage, mrr, ndcg_at_k, recall_at_k, target_ranks, top_k

#: ``progress(method_name, users_done, users_total)``, called after each batch.
Progress = Callable[[str, int, int], None]

METHODS: dict[str, Callable[[], Scorer]] = {
    "popularity": PopularityScorer,
    "itemknn": ItemKNNScorer,
    "content": ContentScorer,
}


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
) -> dict[str, Any]:
    """Fit and score every scorer on ``data``; return the metrics per method.

    The result is ``{"dataset", "protocol", "k", "users", "items", "methods"}``
    where ``methods[name]`` holds ``recall@k``, ``ndcg@k``, ``mrr``, ``coverage``
    (rounded to 4 decimals) and ``seconds`` (fit plus scoring wall time, rounded
    to 2 decimals).
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
    methods: dict[str, dict[str, float]] = {}
    for scorer in scorers:
        started = time.perf_counter()
        scorer.fit(data)
        ranked, ranks = _rank_all(scorer, data, excluded, k, batch_size, progress)
        seconds = time.perf_counter() - started
        methods[scorer.name] = {
            f"recall@{k}": round(recall_at_k(ranked, data.targets, k), 4),
            f"ndcg@{k}": round(ndcg_at_k(ranked, data.targets, k), 4),
            "mrr": round(mrr(ranks), 4),
            "coverage": round(coverage(ranked, data.n_items, k), 4),
            "seconds": round(seconds, 2),
        }
    return {
        "dataset": data.name,
        "protocol": data.protocol,
        "k": k,
        "users": data.n_users,
        "items": data.n_items,
        "methods": methods,
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
