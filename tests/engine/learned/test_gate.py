from datetime import timedelta

import numpy as np
import pytest
from planted_data import START, TEXT_DIMENSIONS, text_vectors
from saleor_personalization.engine.learned import (
    evaluate_models,
    holdout_newest,
    promotion_decision,
)
from saleor_personalization.engine.ranking_model import ContentProfileModel


def test_holdout_keeps_the_newest_share_aside():
    events = [
        ("a", 100, "view", START), ("a", 101, "view", START + timedelta(days=1)),
        ("a", 102, "view", START + timedelta(days=9)), ("b", 103, "view", START + timedelta(days=8)),
        ("c", 104, "view", START + timedelta(days=2)), ("c", 104, "view", START + timedelta(days=9)),
    ]
    before, cases, cutoff = holdout_newest(events, fraction=0.5)
    assert cutoff == START + timedelta(days=8)
    assert [event[1] for event in before] == [100, 101, 104]
    # b has nothing before the cut-off; c only repeats a product it already had.
    assert [(case.target, [e.product_id for e in case.history]) for case in cases] == [
        (102, [100, 101])
    ]
    with pytest.raises(ValueError, match="fraction must be between 0 and 1"):
        holdout_newest(events, fraction=1.0)


def test_evaluate_models_ranks_targets_with_each_models_vectors():
    texts = text_vectors()
    _, cases, _ = holdout_newest(
        [("a", 100, "view", START), ("a", 100, "view", START + timedelta(days=1))]
        + [("b", 101, "view", START), ("b", 101, "view", START + timedelta(days=1))],
        fraction=0.5,
    )
    assert cases == []  # repeats are not new products
    from saleor_personalization.engine.events import Event
    from saleor_personalization.engine.learned.gate import HeldOutCase

    twin = {**texts, 999: texts[100]}  # the target's text equals the history's
    case = HeldOutCase([Event("a", 100, "view", START)], 999)
    metrics = evaluate_models({"content": ContentProfileModel(TEXT_DIMENSIONS)}, [case], twin, k=1)
    assert metrics == {"content": {"recall@1": 1.0, "ndcg@1": 1.0, "mrr": 1.0, "cases": 1}}


def test_a_better_candidate_is_promoted_and_a_worse_one_rejected():
    metrics = {"learned": {"ndcg@10": 0.09}, "content": {"ndcg@10": 0.08}, "live": {"ndcg@10": 0.085}}
    decision = promotion_decision(metrics, "learned")
    assert decision.promote and "beats content (0.0800), live (0.0850)" in decision.reason
    worse = promotion_decision({**metrics, "learned": {"ndcg@10": 0.082}}, "learned")
    assert not worse.promote and worse.reason == "ndcg@10 0.0820 does not beat live (0.0850)"
    assert not promotion_decision(metrics, "learned", margin=0.01).promote
    with pytest.raises(ValueError, match="no metrics for candidate 'x'"):
        promotion_decision(metrics, "x")
    assert np.isclose(decision.metrics["live"]["ndcg@10"], 0.085)
