"""The recommender's logic on the in-memory store, with hand-made vectors.

Four categories lie on four axes; a product's small components on four more axes
make it lean towards some products of other categories. The same scenarios run
on PostgreSQL with real model vectors in test_recommender.py.
"""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from saleor_personalization.engine.events import Event
from saleor_personalization.engine.explain import ReasonKind
from saleor_personalization.engine.filters import CandidateFilter, SqlCondition
from saleor_personalization.engine.memory_store import MemoryStore
from saleor_personalization.engine.recommender import RankingConfig, Recommender

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
AXES = {"coffee": 0, "running": 1, "camping": 2, "books": 3}
# product id: (category, {detail axis: weight})
CATALOG = {
    1: ("coffee", {0: 0.3}),
    2: ("coffee", {1: 0.3}),
    3: ("coffee", {1: 0.3, 2: 0.1}),  # closest to 2
    4: ("coffee", {0: 0.3, 2: 0.1}),  # closest to 1
    11: ("running", {0: 0.2}),
    12: ("running", {1: 0.2}),
    13: ("running", {2: 0.2}),
    14: ("running", {3: 0.2}),
    21: ("camping", {}),
    22: ("camping", {0: 0.3}),  # 22 and 23 are exactly as close to 21
    23: ("camping", {1: 0.3}),
    24: ("camping", {2: 0.5}),
    31: ("books", {0: 0.2}),
    32: ("books", {1: 0.2}),
    33: ("books", {2: 0.2}),
    34: ("books", {3: 0.2}),  # indexed last: the newest
}


def product_vector(category: str, details: dict[int, float]) -> np.ndarray:
    vector = np.zeros(8)
    vector[AXES[category]] = 1.0
    for axis, weight in details.items():
        vector[4 + axis] = weight
    return (vector / np.linalg.norm(vector)).astype(np.float32)


@pytest.fixture
def store():
    store = MemoryStore()
    store.upsert_vectors(
        [(pid, str(pid), product_vector(*spec)) for pid, spec in CATALOG.items()]
    )
    return store


def recommender(store, **ranking) -> Recommender:
    return Recommender(store, ranking_config=RankingConfig(**ranking), clock=lambda: NOW)


def track(rec, key, pid, kind, minutes_ago=0.0, channel="web"):
    rec.track(Event(key, pid, kind, NOW - timedelta(minutes=minutes_ago), channel))


def ids(items) -> list[int]:
    return [i.product_id for i in items]


def test_ranks_the_shoppers_taste_first_and_names_the_item_behind_each(store):
    rec = recommender(store)
    track(rec, "u:1", 1, "view", 10)
    track(rec, "u:1", 2, "add_to_cart", 5)
    items = rec.recommend("u:1", "web", 4).items
    assert ids(items)[:2] == [3, 4]  # the cart weighs more than the view
    assert [(i.reason.kind, i.reason.product_id) for i in items[:2]] == [
        (ReasonKind.HISTORY, 2), (ReasonKind.HISTORY, 1)
    ]
    assert not {1, 2} & set(ids(items))  # a list of 4 has no room for reminders


def test_viewed_products_come_back_after_the_new_ones_at_most_a_fifth(store):
    rec = recommender(store)
    viewed = [1, 2, 3, 4, 11]
    for pid in viewed:
        track(rec, "u:1", pid, "view", 5)
    items = rec.recommend("u:1", "web", 10).items
    assert len(items) == 10 and not set(ids(items[:8])) & set(viewed)
    assert ids(items[:3]) == [12, 13, 14]  # like the one viewed product left to follow
    assert ids(items[8:]) == [1, 4]
    assert [i.reason.kind for i in items[8:]] == [ReasonKind.SEEN, ReasonKind.SEEN]


@pytest.mark.parametrize(
    ("exclude_purchased", "exclude_seen", "expected"),
    [
        (False, False, [14, 11, 13, 12]),
        (True, False, [14, 13, 12]),
        (False, True, [14]),
        (True, True, [14]),
    ],
)
def test_hiding_bought_and_seen_products_is_configurable(
    store, exclude_purchased, exclude_seen, expected
):
    rec = recommender(store, exclude_purchased=exclude_purchased, exclude_seen=exclude_seen)
    track(rec, "u:1", 11, "purchase", 60)
    track(rec, "u:1", 12, "view", 5)
    track(rec, "u:1", 13, "add_to_cart", 3)
    allowed = CandidateFilter.allow([11, 12, 13, 14])
    assert ids(rec.recommend("u:1", "web", 4, candidate_filter=allowed).items) == expected


def test_cold_start_gets_channel_best_sellers_then_shop_wide_ones_then_the_newest(store):
    rec = recommender(store)
    track(rec, "a", 31, "purchase", 30)
    track(rec, "b", 32, "view", 30)
    track(rec, "c", 14, "purchase", 30, channel="other")
    items = rec.recommend("new-guest", "web", 4).items
    assert ids(items) == [31, 32, 14, 34]
    assert [(i.reason.kind, i.reason.channel) for i in items] == [
        (ReasonKind.POPULAR, "web"),
        (ReasonKind.POPULAR, "web"),
        (ReasonKind.POPULAR, ""),
        (ReasonKind.NEW, ""),
    ]
    assert ids(rec.recommend(None, "web", 1).items) == [31]


def test_a_filter_passing_exactly_k_products_fills_the_list_by_similarity(store):
    rec = recommender(store)
    track(rec, "u:1", 1, "view", 5)
    allowed = CandidateFilter.allow([13, 22, 31])
    assert ids(rec.recommend("u:1", "web", 3, candidate_filter=allowed).items) == [22, 31, 13]


def test_what_sells_goes_first_among_equally_similar_products(store):
    rec = recommender(store)
    assert ids(rec.similar_products(21, 2)) == [22, 23]
    track(rec, "a", 23, "purchase", 30)
    items = rec.similar_products(21, 2)
    assert ids(items) == [23, 22]
    assert all(i.reason.kind is ReasonKind.CONTEXT and i.reason.product_id == 21 for i in items)


def test_a_product_page_leads_a_guests_list(store):
    items = recommender(store).recommend("guest", "web", 3, context_product_id=12).items
    assert ids(items) == [11, 13, 14]
    assert all(i.reason.kind is ReasonKind.CONTEXT for i in items)


def test_a_sql_condition_needs_the_sql_store(store):
    sellable = CandidateFilter(condition=SqlCondition("{product_id} > %s", (0,)))
    with pytest.raises(ValueError, match="cannot evaluate a SqlCondition"):
        recommender(store).recommend(None, "web", 3, candidate_filter=sellable)


def test_stored_similar_lists_serve_a_page_and_a_narrow_filter_searches_live(store):
    rec = recommender(store)
    live = {pid: ids(items) for pid, items in rec.similar_products_many([1, 21], 3).items()}
    assert rec.save_similar_lists([1, 21]) == 2
    stored = rec.similar_products_many([1, 21], 3)
    assert {pid: ids(items) for pid, items in stored.items()} == live
    assert all(
        i.reason.kind is ReasonKind.CONTEXT and i.reason.product_id == pid
        for pid, items in stored.items()
        for i in items
    )
    # A product added since (closer to 21 than any) appears once 21's list is recomputed.
    store.upsert_vectors([(25, "25", product_vector("camping", {1: 0.29}))])
    assert ids(rec.similar_products_many([21], 1)[21]) == [22]
    rec.save_similar_lists([21])
    assert ids(rec.similar_products_many([21], 1)[21]) == [25]
    # A filter leaving fewer than k of the stored list is searched live, and still gives k.
    narrow = CandidateFilter.allow([2, 3, 14])
    assert ids(rec.similar_products_many([1], 3, narrow)[1]) == ids(
        rec.similar_products(1, 3, narrow)
    )


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_stored_shopper_lists_serve_what_a_live_ranking_gives_until_the_next_event(store):
    clock = Clock(NOW)
    rec = Recommender(store, clock=clock)
    for minutes_ago, pid, kind in [(60 * 24 * 3, 31, "purchase"), (4, 1, "view"), (2, 2, "view")]:
        track(rec, "u:1", pid, kind, minutes_ago)
    live = rec.recommend("u:1", "web", 6).items
    assert {i.reason.kind for i in live} >= {ReasonKind.HISTORY, ReasonKind.SEEN}

    lists = rec.save_shopper_lists("u:1")
    assert lists.session_until == NOW + timedelta(minutes=28)
    assert store.stored_recommendations("u:1", NOW, CandidateFilter()) is not None
    assert rec.recommend("u:1", "web", 6).items == live
    # After the visit: the lasting list, as a live ranking without the visit gives it.
    clock.now = NOW + timedelta(hours=2)
    after_visit = rec.recommend("u:1", "web", 6).items
    store.save_shopper_lists("u:1", None)
    # (Scores differ a little: popularity decayed over the two hours.)
    assert ids(rec.recommend("u:1", "web", 6).items) == ids(after_visit) != ids(live)
    # One more event: the stored lists no longer hold, the live ranking serves at once.
    rec.save_shopper_lists("u:1")
    track(rec, "u:1", 12, "add_to_cart", -120)
    assert store.stored_recommendations("u:1", clock.now, CandidateFilter()) is None
    assert ids(rec.recommend("u:1", "web", 3).items)[0] in {11, 13, 14}


def test_a_stored_list_too_short_after_the_filter_is_served_live(store):
    rec = recommender(store)
    track(rec, "u:1", 1, "view", 5)
    rec.save_shopper_lists("u:1")
    narrow = CandidateFilter.allow([13, 22, 31])
    assert len(store.stored_recommendations("u:1", NOW, narrow)) == 3
    assert ids(rec.recommend("u:1", "web", 3, candidate_filter=narrow).items) == [22, 31, 13]
    assert ids(rec.recommend("u:1", "web", 3, candidate_filter=CandidateFilter.allow([13]))
               .items)[:1] == [13]
