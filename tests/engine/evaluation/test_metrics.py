import math
import re

import numpy as np
import pytest
from saleor_personalization.engine.evaluation.metrics import (
    coverage,
    mrr,
    ndcg_at_k,
    recall_at_k,
    target_ranks,
    top_k,
)

# Three users, five items. Rankings (ties go to the lower index):
#   user 0: 1 (0.9), 3 (0.9), 2, 0, 4  -> target 3 at rank 1
#   user 1: 2, 0, 4, 1, 3              -> target 4 at rank 2
#   user 2: 4, 1, 2, 3, 0 (-inf)       -> target 0 at rank 4
SCORES = np.array(
    [
        [0.1, 0.9, 0.3, 0.9, 0.0],
        [0.5, 0.2, 0.8, 0.1, 0.4],
        [-np.inf, 0.7, 0.6, 0.5, 0.9],
    ]
)
TARGETS = np.array([3, 4, 0])


def test_top_k_orders_best_first_with_ties_to_lower_index():
    assert top_k(SCORES, 2).tolist() == [[1, 3], [2, 0], [4, 1]]
    assert top_k(SCORES, 5).tolist() == [
        [1, 3, 2, 0, 4],
        [2, 0, 4, 1, 3],
        [4, 1, 2, 3, 0],
    ]


def test_top_k_cuts_ties_at_the_boundary_by_lower_index():
    scores = np.array([[1.0, 2.0, 2.0, 2.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0]])
    assert top_k(scores, 2).tolist() == [[1, 2], [0, 1]]


def test_top_k_uses_excluded_items_only_when_nothing_else_is_left():
    scores = np.array([[-np.inf, 0.5, -np.inf]])
    assert top_k(scores, 3).tolist() == [[1, 0, 2]]


def test_target_ranks_are_full_ranking_positions():
    assert target_ranks(SCORES, TARGETS).tolist() == [1, 2, 4]


def test_recall_at_k():
    # Only user 0's target (rank 1) is in the top 2; user 1's (rank 2) joins at 3.
    assert recall_at_k(top_k(SCORES, 2), TARGETS, 2) == pytest.approx(1 / 3)
    assert recall_at_k(top_k(SCORES, 3), TARGETS, 3) == pytest.approx(2 / 3)


def test_ndcg_at_k():
    # k=2: user 0 hits at position 1 -> 1/log2(3) = 0.6309; others 0.
    assert ndcg_at_k(top_k(SCORES, 2), TARGETS, 2) == pytest.approx(
        (1 / math.log2(3)) / 3
    )
    # k=3: plus user 1 at position 2 -> 1/log2(4) = 0.5.
    assert ndcg_at_k(top_k(SCORES, 3), TARGETS, 3) == pytest.approx(
        (1 / math.log2(3) + 0.5) / 3
    )


def test_ndcg_of_a_first_place_hit_is_one():
    assert ndcg_at_k(np.array([[7, 1]]), np.array([7]), 2) == 1.0


def test_recall_and_ndcg_only_read_the_first_k_columns():
    ranked = np.array([[0, 1, 2]])
    assert recall_at_k(ranked, np.array([2]), 2) == 0.0
    assert ndcg_at_k(ranked, np.array([2]), 2) == 0.0


def test_mrr():
    # Ranks 1, 2, 4 -> (1/2 + 1/3 + 1/5) / 3 = 0.34444
    assert mrr(np.array([1, 2, 4])) == pytest.approx((1 / 2 + 1 / 3 + 1 / 5) / 3)
    assert mrr(np.array([0])) == 1.0


def test_coverage():
    # Top 1 lists: {1, 2, 4} of 5 items; top 2 lists cover all five.
    assert coverage(top_k(SCORES, 1), 5, 1) == pytest.approx(3 / 5)
    assert coverage(top_k(SCORES, 2), 5, 2) == 1.0
    assert coverage(top_k(SCORES, 2), 10, 1) == pytest.approx(3 / 10)


def test_recall_agrees_with_target_ranks_on_heavily_tied_scores():
    rng = np.random.default_rng(7)
    scores = rng.integers(0, 4, size=(50, 30)).astype(np.float32)
    targets = rng.integers(0, 30, size=50)
    ranks = target_ranks(scores, targets)
    for k in (1, 5, 10):
        assert recall_at_k(top_k(scores, k), targets, k) == pytest.approx(
            float((ranks < k).mean())
        )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: top_k(SCORES, 0), "k must be between 1"),
        (lambda: top_k(SCORES, 6), "k must be between 1"),
        (lambda: top_k(np.array([1.0, 2.0]), 1), "users x items matrix"),
        (lambda: top_k(np.array([[np.nan, 1.0]]), 1), "NaN"),
        (lambda: target_ranks(SCORES, np.array([0, 1])), "one per row"),
        (lambda: target_ranks(SCORES, np.array([0, 1, 5])), "0..4"),
        (lambda: target_ranks(SCORES, np.array([0.0, 1.0, 2.0])), "integer"),
        (lambda: recall_at_k(top_k(SCORES, 2), TARGETS, 3), "(>= 3)"),
        (lambda: recall_at_k(top_k(SCORES, 2), TARGETS, 0), "k must be at least 1"),
        (lambda: ndcg_at_k(top_k(SCORES, 2), TARGETS[:2], 2), "one item per ranked"),
        (lambda: mrr(np.array([], dtype=int)), "non-empty"),
        (lambda: mrr(np.array([-1])), "non-negative"),
        (lambda: coverage(top_k(SCORES, 2), 3, 2), "0..2"),
        (lambda: coverage(top_k(SCORES, 2), 0, 2), "n_items must be at least 1"),
    ],
)
def test_invalid_inputs_say_what_was_expected(call, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        call()
