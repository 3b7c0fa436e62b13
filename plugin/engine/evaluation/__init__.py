"""Offline evaluation of recommenders on public interaction data.

Load a leave-one-out split with :func:`load_dataset`, run scorers over it with
:func:`evaluate`, and write the numbers out with :func:`write_report`. Nothing
here imports Django or Saleor; matplotlib is imported only to draw the chart.
"""

from .datasets import DatasetError, EvalDataset, load_dataset
from .methods import ItemKNNScorer, PopularityScorer, Scorer, item_similarity
from .metrics import coverage, mrr, ndcg_at_k, recall_at_k, target_ranks, top_k
from .report import write_report
from .runner import METHODS, evaluate, register_method

__all__ = [
    "METHODS",
    "DatasetError",
    "EvalDataset",
    "ItemKNNScorer",
    "PopularityScorer",
    "Scorer",
    "coverage",
    "evaluate",
    "item_similarity",
    "load_dataset",
    "mrr",
    "ndcg_at_k",
    "recall_at_k",
    "register_method",
    "target_ranks",
    "top_k",
    "write_report",
]
