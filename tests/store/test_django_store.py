from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from saleor_personalization.engine import profiles
from saleor_personalization.engine.events import Event
from saleor_personalization.engine.filters import NO_FILTER, CandidateFilter
from saleor_personalization.models import (
    InteractionEvent,
    ProductVector,
    RecommendationList,
    ShopperProfile,
)
from saleor_personalization.store import DjangoStore

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
WEIGHTS = {"view": 1.0, "click": 1.5, "add_to_cart": 3.0, "purchase": 5.0}


@pytest.fixture
def store(make_space):
    make_space(20, 4)
    return DjangoStore()


def record(store, key, pid, kind, hours_ago=0.0, channel="web"):
    store.record(Event(key, pid, kind, NOW - timedelta(hours=hours_ago), channel))


def test_history_is_newest_events_oldest_first(store):
    for hours, pid in [(3, 1), (2, 2), (1, 3)]:
        record(store, "u:1", pid, "view", hours)
    record(store, "u:2", 9, "view")
    assert [e.product_id for e in store.history("u:1", 2)] == [2, 3]


def test_popular_is_weighted_decayed_per_channel_and_filtered(store):
    record(store, "a", 1, "view")
    record(store, "b", 1, "view")
    record(store, "c", 2, "purchase", hours_ago=24 * 7)  # 5 * 0.5 = 2.5
    record(store, "d", 3, "add_to_cart")  # 3
    record(store, "e", 4, "purchase", channel="other")
    ranked = store.popular("web", 10, NO_FILTER, WEIGHTS, 7.0, NOW)
    assert [pid for pid, _ in ranked] == [3, 2, 1]
    assert ranked[1][1] == pytest.approx(2.5)
    assert [pid for pid, _ in store.popular(None, 1, NO_FILTER, WEIGHTS, 7.0, NOW)] == [4]
    assert [pid for pid, _ in store.popular("web", 10, CandidateFilter.allow([1, 2]), WEIGHTS, 7.0, NOW)] == [2, 1]


def test_profile_updates_are_stored_per_shopper(store):
    config = profiles.ProfileConfig()
    vector = np.array([1, 0, 0, 0], dtype=np.float32)
    store.update_profile("u:1", lambda s: profiles.add_event(s, vector, "view", NOW, config))
    store.update_profile("u:1", lambda s: profiles.add_event(s, vector, "purchase", NOW, config))
    state = store.load_profile("u:1")
    assert state.weight_sum == pytest.approx(6.0)
    assert state.event_count == 2
    assert state.vector_sum == pytest.approx([6.0, 0, 0, 0])
    assert store.load_profile("u:2") is None


def test_vectors_and_profiles_are_stored_exactly(store, precise_vector):
    store.upsert_vectors([(5, "h", precise_vector)])
    assert store.vectors([5])[5].tolist() == precise_vector.tolist()
    stored = ProductVector.objects.get(product_id=5).embedding
    assert np.asarray(stored, dtype=np.float32).tolist() == precise_vector.tolist()
    found = store.nearest(precise_vector, 1, NO_FILTER)
    assert found[0].product_id == 5 and found[0].vector.tolist() == precise_vector.tolist()
    state = profiles.LongTermState(precise_vector.astype(np.float64), 1.0, NOW, 1)
    store.update_profile("u:1", lambda _old: state)
    assert store.load_profile("u:1").vector_sum.tolist() == precise_vector.tolist()


def test_merge_moves_a_guests_history_into_the_account(store):
    record(store, "guest:1", 1, "view", 2)
    record(store, "user:1", 2, "purchase", 1)
    list_id = store.save_list("guest:1", "web", [3, 4], None)
    assert store.merge_shoppers("guest:1", "user:1") == 1
    assert [e.product_id for e in store.history("user:1", 10)] == [1, 2]
    assert store.history("guest:1", 10) == []
    assert RecommendationList.objects.get(pk=list_id).shopper_key == "user:1"


def test_forget_shopper_leaves_nothing_behind(store):
    record(store, "user:7", 1, "view")
    store.save_list("user:7", "web", [2], None)
    store.update_profile(
        "user:7", lambda s: profiles.add_event(s, np.ones(4, np.float32), "view", NOW, profiles.ProfileConfig())
    )
    record(store, "user:8", 1, "view")
    store.forget_shopper("user:7")
    assert not InteractionEvent.objects.filter(shopper_key="user:7").exists()
    assert not RecommendationList.objects.filter(shopper_key="user:7").exists()
    assert not ShopperProfile.objects.filter(shopper_key="user:7").exists()
    assert InteractionEvent.objects.filter(shopper_key="user:8").count() == 1


def test_delete_products_removes_vectors_and_events(store):
    record(store, "u:1", 5, "view")
    store.delete_products([5])
    assert store.vectors([5, 6]).keys() == {6}
    assert store.history("u:1", 10) == []


def test_content_hashes_and_upsert_replace_in_place(store):
    store.upsert_vectors([(1, "new-hash", np.array([0, 1, 0, 0], dtype=np.float32))])
    assert store.content_hashes([1, 99]) == {1: "new-hash"}
    assert store.vectors([1])[1] == pytest.approx([0, 1, 0, 0])


def test_popularity_of_given_products_and_of_the_channel_top(store):
    record(store, "a", 1, "purchase")
    record(store, "b", 2, "view")
    record(store, "c", 3, "add_to_cart", channel="other")
    scores, top = store.popularity([2, 3, 4], "web", WEIGHTS, 7.0, NOW)
    assert scores == {2: pytest.approx(1.0)}
    assert top == pytest.approx(5.0)
    assert store.popularity([1], "nowhere", WEIGHTS, 7.0, NOW) == ({}, 0.0)


def test_events_with_the_same_source_ref_are_recorded_once(store):
    event = Event("u:1", 1, "purchase", NOW, "web", source_ref="order:1:line:1")
    assert store.record(event) is True
    assert store.record(event) is False
    assert InteractionEvent.objects.filter(shopper_key="u:1").count() == 1
