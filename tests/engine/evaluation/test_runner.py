import re

import numpy as np
import pytest
from saleor_personalization.engine.evaluation import runner
from saleor_personalization.engine.evaluation.data import EvalDataset
from saleor_personalization.engine.evaluation.methods import (
    ItemKNNScorer,
    PopularityScorer,
)
from saleor_personalization.engine.evaluation.runner import (
    METHODS,
    evaluate,
    register_method,
)
from tiny_eval_data import HISTORIES, TARGETS, tiny_dataset


class FixedScorer:
    """Returns preset rows of scores; records what the runner asked for."""

    def __init__(self, name: str, rows: list[list[float]]) -> None:
        self.name = name
        self.rows = np.array(rows, dtype=np.float32)
        self.fitted = False

    def fit(self, data: EvalDataset) -> None:
        self.fitted = True

    def score(self, users: np.ndarray) -> np.ndarray:
        return self.rows[users]


def test_evaluate_reports_every_metric_per_method():
    result = evaluate(tiny_dataset(), [PopularityScorer(), ItemKNNScorer()], k=1)

    header = ("dataset", "protocol", "k", "users", "items")
    assert {key: result[key] for key in header} == {
        "dataset": "tiny",
        "protocol": "Tiny protocol.",
        "k": 1,
        "users": 5,
        "items": 5,
    }
    assert list(result["methods"]) == ["popularity", "itemknn"]
    for metrics in result["methods"].values():
        assert list(metrics) == [
            "recall@1", "ndcg@1", "mrr", "coverage", "cold recall@1", "cold ndcg@1",
            "train seconds", "seconds", "peak MB",
        ]
        assert all(round(value, 4) == value for value in metrics.values())
        assert metrics["seconds"] >= metrics["train seconds"] >= 0
        assert metrics["peak MB"] > 0


def test_the_cold_slice_holds_users_whose_target_has_few_training_interactions():
    # Training interactions per item: 0 three, 1 two, 2 two, 3 one, 4 none; targets 2 1 3 0 1.
    result = evaluate(tiny_dataset(), [PopularityScorer()], k=1, cold_threshold=1)
    assert result["cold_threshold"] == 1 and result["cold_users"] == 1
    # The one cold user (target 3) sits at popularity rank 1: a miss at k=1.
    assert result["methods"]["popularity"]["cold recall@1"] == 0.0
    everyone = evaluate(tiny_dataset(), [PopularityScorer()], k=1, cold_threshold=3)
    assert everyone["cold_users"] == 5
    assert everyone["methods"]["popularity"]["cold recall@1"] == 0.8


def test_popularity_metrics_by_hand():
    # Popularity order 0, 1, 2, 3, 4. After removing each history, the top item is
    # 2, 1, 0, 0, 1 and the targets 2, 1, 3, 0, 1 sit at ranks 0, 0, 1, 0, 0.
    result = evaluate(tiny_dataset(), [PopularityScorer()], k=1)
    metrics = result["methods"]["popularity"]

    assert metrics["recall@1"] == 0.8
    assert metrics["ndcg@1"] == 0.8
    assert metrics["mrr"] == 0.9  # (1 + 1 + 1/2 + 1 + 1) / 5
    assert metrics["coverage"] == 0.6  # items {0, 1, 2} of 5


def test_excluded_items_are_never_ranked():
    # Every user's history items get the highest scores, the target the next.
    rows = np.zeros((5, 5))
    for user, (history, target) in enumerate(zip(HISTORIES, TARGETS)):
        rows[user, history] = 10.0
        rows[user, target] = 5.0
    cheat = FixedScorer("cheat", rows.tolist())

    metrics = evaluate(tiny_dataset(), [cheat], k=1)["methods"]["cheat"]

    assert cheat.fitted
    assert (metrics["recall@1"], metrics["mrr"]) == (1.0, 1.0)


def test_an_excluded_target_cannot_be_hit():
    data = tiny_dataset()
    data.exclude[0] = np.array([0, 1, 2])  # user 0's target 2, as for a repeat purchase
    rows = np.ones((5, 5)).tolist()

    metrics = evaluate(data, [FixedScorer("flat", rows)], k=2)["methods"]["flat"]

    # Every other user's top 2 (lowest rankable indices) holds its target.
    assert metrics["recall@2"] == 0.8


def test_progress_is_reported_per_batch():
    calls = []
    evaluate(tiny_dataset(), [PopularityScorer()], k=2, batch_size=2,
             progress=lambda *args: calls.append(args))
    assert calls == [("popularity", 2, 5), ("popularity", 4, 5), ("popularity", 5, 5)]


@pytest.mark.parametrize(
    ("scorers", "kwargs", "message"),
    [
        ([PopularityScorer()], {"k": 0}, "k must be between 1 and n_items"),
        ([PopularityScorer()], {"k": 6}, "k must be between 1 and n_items"),
        ([PopularityScorer()], {"k": 2, "batch_size": 0}, "batch_size"),
        ([PopularityScorer(), PopularityScorer()], {"k": 2}, "unique"),
        ([FixedScorer("narrow", [[1.0, 2.0]] * 5)], {"k": 1}, "expected (5, 5)"),
    ],
)
def test_evaluate_rejects_bad_input(scorers, kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        evaluate(tiny_dataset(), scorers, **kwargs)


def test_method_registry(monkeypatch):
    monkeypatch.setattr(runner, "METHODS", dict(METHODS))
    assert isinstance(runner.METHODS["popularity"](), PopularityScorer)
    assert isinstance(runner.METHODS["itemknn"](), ItemKNNScorer)

    register_method("flat", lambda: FixedScorer("flat", [[0.0] * 5] * 5))
    assert runner.METHODS["flat"]().name == "flat"
    with pytest.raises(ValueError, match="already registered"):
        register_method("flat", PopularityScorer)
    register_method("flat", PopularityScorer, replace=True)
    assert runner.METHODS["flat"] is PopularityScorer
    assert "flat" not in METHODS
