import dataclasses
import math

import numpy as np
import pytest
from saleor_personalization.engine.evaluation.methods import (
    ItemKNNScorer,
    PopularityScorer,
    Scorer,
    item_similarity,
)
from tiny_eval_data import tiny_dataset

SIM_01 = SIM_02 = 1 / math.sqrt(6)  # one shared user / sqrt(3 * 2)
SIM_12 = 1 / 2  # one shared user / sqrt(2 * 2)


def test_baselines_satisfy_the_scorer_protocol():
    assert isinstance(PopularityScorer(), Scorer)
    assert isinstance(ItemKNNScorer(), Scorer)


def test_popularity_counts_positive_interactions_only():
    scorer = PopularityScorer()
    scorer.fit(tiny_dataset())
    scores = scorer.score(np.array([0, 3]))

    assert scores.dtype == np.float32
    assert scores.tolist() == [[3, 2, 2, 1, 0], [3, 2, 2, 1, 0]]
    scores[0, 0] = -np.inf  # the runner masks in place; rows must not alias
    assert scores[1, 0] == 3


def test_item_similarity_is_cosine_without_the_diagonal():
    similarity = item_similarity(tiny_dataset().interaction_matrix()).toarray()

    expected = np.zeros((5, 5))
    expected[0, 1] = expected[1, 0] = SIM_01
    expected[0, 2] = expected[2, 0] = SIM_02
    expected[1, 2] = expected[2, 1] = SIM_12
    np.testing.assert_allclose(similarity, expected, rtol=1e-6)


def test_item_similarity_pruning_and_shrinkage():
    matrix = tiny_dataset().interaction_matrix()
    pruned = item_similarity(matrix, neighbours=1).toarray()
    # Row 0 ties between items 1 and 2: the lower index stays.
    assert [np.flatnonzero(row).tolist() for row in pruned] == [[1], [2], [1], [], []]

    shrunk = item_similarity(matrix, shrink=2.0).toarray()
    assert shrunk[1, 2] == pytest.approx(1 / (2 + 2))
    assert shrunk[0, 1] == pytest.approx(1 / (math.sqrt(6) + 2))


def test_item_knn_sums_similarities_over_the_positive_history():
    scorer = ItemKNNScorer()
    scorer.fit(tiny_dataset())
    scores = scorer.score(np.array([0, 2, 3, 4]))

    expected = [
        [SIM_01, SIM_01, SIM_02 + SIM_12, 0, 0],  # user 0: items 0 and 1
        [SIM_01 + SIM_02, SIM_12, SIM_12, 0, 0],  # user 2: items 1 and 2
        [0, 0, 0, 0, 0],  # user 3: item 3 shares no user
        [0, SIM_01, SIM_02, 0, 0],  # user 4: item 0 only, item 4 was disliked
    ]
    assert scores.dtype == np.float32
    np.testing.assert_allclose(scores, expected, rtol=1e-6)
    order = np.argsort(-scores[0], kind="stable").tolist()
    assert order == [2, 0, 1, 3, 4]


def test_item_knn_counts_repeated_history_items_twice():
    data = tiny_dataset()
    repeated = dataclasses.replace(
        data,
        histories=[np.array([0, 1, 1]), *data.histories[1:]],
        history_weights=[np.ones(3), *data.history_weights[1:]],
    )
    scorer = ItemKNNScorer()
    scorer.fit(repeated)
    np.testing.assert_allclose(
        scorer.score(np.array([0]))[0], [2 * SIM_01, SIM_01, SIM_02 + 2 * SIM_12, 0, 0],
        rtol=1e-6,
    )


def test_scoring_before_fit_is_an_error():
    with pytest.raises(RuntimeError, match="before fit"):
        PopularityScorer().score(np.array([0]))
    with pytest.raises(RuntimeError, match="before fit"):
        ItemKNNScorer().score(np.array([0]))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"neighbours": 0}, "neighbours must be at least 1"),
        ({"shrink": -1.0}, "shrink must be non-negative"),
    ],
)
def test_item_knn_rejects_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ItemKNNScorer(**kwargs)
