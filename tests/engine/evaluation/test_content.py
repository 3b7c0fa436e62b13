"""The engine's recommender as an evaluation method."""

import numpy as np
from saleor_personalization.engine.evaluation.content import ContentScorer
from saleor_personalization.engine.evaluation.runner import evaluate
from saleor_personalization.engine.recommender import RankingConfig
from tiny_eval_data import tiny_dataset


class OneHotContentScorer(ContentScorer):
    """Item i's vector is the i-th unit vector: a user's history items score highest."""

    def fit(self, data, vectors=None):
        super().fit(data, np.eye(data.n_items, dtype=np.float32))


def test_history_is_excluded_whatever_the_serving_exclusions_say():
    serving = RankingConfig(diversity=0.0, exclude_purchased=False, exclude_seen=False)
    scorer = OneHotContentScorer(ranking_config=serving)

    metrics = evaluate(tiny_dataset(), [scorer], k=1)["methods"]["content"]

    # Unexcluded, every user's top item would be one of their own history items
    # (recall 0). Excluded, only the popularity nudge orders the rest: the top
    # items are 2, 1, 0, 0, 1 and the targets 2, 1, 3, 0, 1 sit at ranks 0, 0, 1, 0, 0.
    assert (metrics["recall@1"], metrics["mrr"]) == (0.8, 0.9)
