"""Offline evaluation of recommenders: pure metrics, baselines, the engine as a method.

Run scorers over a loaded :class:`EvalDataset` with :func:`evaluate`. Nothing here
reads files or draws: the dataset readers and the report are in
:mod:`saleor_personalization.offline`. Nothing here imports Django or Saleor.
"""

from .data import EvalDataset
from .methods import ItemKNNScorer, PopularityScorer, Scorer, item_similarity
from .metrics import coverage, mrr, ndcg_at_k, recall_at_k, target_ranks, top_k
from .runner import METHODS, evaluate, register_method

__all__ = [
    "METHODS",
    "EvalDataset",
    "ItemKNNScorer",
    "PopularityScorer",
    "Scorer",
    "coverage",
    "evaluate",
    "item_similarity",
    "mrr",
    "ndcg_at_k",
    "recall_at_k",
    "register_method",
    "target_ranks",
    "top_k",
]
