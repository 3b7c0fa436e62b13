"""What only the PostgreSQL store does; what every store does is in test_store_contract.py."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from saleor_personalization.engine import profiles
from saleor_personalization.engine.events import Event
from saleor_personalization.engine.filters import NO_FILTER
from saleor_personalization.models import (
    InteractionEvent,
    ProductPopularity,
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


def test_a_popularity_refresh_replaces_the_whole_snapshot(store):
    record(store, "a", 1, "purchase")
    record(store, "b", 2, "view", channel="other")
    assert store.refresh_popularity(WEIGHTS, 7.0, NOW) == 4  # two channels, two shop-wide
    record(store, "c", 3, "purchase")
    assert store.refresh_popularity(WEIGHTS, 7.0, NOW) == 6
    rows = ProductPopularity.objects.values_list("channel", "product_id")
    assert sorted(rows) == [("", 1), ("", 2), ("", 3), ("other", 2), ("web", 1), ("web", 3)]