"""Stored shopper lists ranked by a RankingModel with product vectors of its own."""

from datetime import UTC, datetime, timedelta

import numpy as np
from saleor_personalization.engine.events import Event
from saleor_personalization.engine.memory_store import MemoryStore
from saleor_personalization.engine.recommender import ModelRanking, RankingConfig, Recommender

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


class NextProduct:
    """A model that learned "after product p comes p + 1": its query is the vector of
    the product after the newest event, in a space where product p is axis p."""

    name = "next"
    dimensions = 8

    def item_vectors(self, product_ids, text_vectors):
        return np.eye(self.dimensions, dtype=np.float32)[list(product_ids)]

    def shopper_vector(self, events, text_vectors, now=None):
        newest = max(events, key=lambda e: e.occurred_at).product_id
        return np.eye(self.dimensions, dtype=np.float32)[(newest + 1) % self.dimensions]


def stores() -> tuple[MemoryStore, MemoryStore]:
    text, learned = MemoryStore(), MemoryStore()
    rng = np.random.default_rng(1)
    for pid in range(8):
        vector = rng.normal(size=4).astype(np.float32)
        text.upsert_vectors([(pid, str(pid), vector / np.linalg.norm(vector))])
    learned.upsert_vectors(
        [(pid, str(pid), v) for pid, v in zip(range(8), NextProduct().item_vectors(range(8), None))]
    )
    return text, learned


def test_the_model_ranks_the_lasting_list_and_one_event_changes_it():
    text, learned = stores()
    engine = Recommender(
        text, ranking_config=RankingConfig(popularity_weight=0.0, diversity=0.0),
        clock=lambda: NOW, model_ranking=ModelRanking(NextProduct(), learned),
    )
    engine.track(Event("s", 2, "view", NOW - timedelta(minutes=5)))
    first = engine.save_shopper_lists("s")
    assert first.session is None and first.session_until is None
    assert first.lasting[0].product_id == 3

    engine.track(Event("s", 5, "purchase", NOW))
    second = engine.save_shopper_lists("s")

    assert second.lasting[0].product_id == 6
    assert 5 not in [item.product_id for item in second.lasting]  # bought: excluded as before


def test_without_a_model_the_content_profile_ranks_as_before():
    text, learned = stores()
    plain = Recommender(text, clock=lambda: NOW)
    plain.track(Event("s", 2, "view", NOW))
    lists = plain.save_shopper_lists("s")
    assert lists.session is not None  # the visit's list exists only with the content profile
