"""The recommender end to end: real MiniLM vectors in real PostgreSQL + pgvector."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from saleor_personalization.engine.documents import ProductDocument, compose_text, content_hash
from saleor_personalization.engine.encoder import encode
from saleor_personalization.engine.events import Event
from saleor_personalization.engine.explain import ReasonKind
from saleor_personalization.engine.filters import CandidateFilter
from saleor_personalization.engine.ports import UnknownProductError
from saleor_personalization.engine.recommender import RankingConfig, Recommender
from saleor_personalization.store import DjangoStore, activate, create_space, ensure_index
from saleor_personalization.store.django_store import clear_popularity_cache

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)

CATALOG = {
    "coffee": [
        (1, "Ethiopian Yirgacheffe coffee beans", "Light roast whole bean coffee with floral notes."),
        (2, "Colombian dark roast ground coffee", "Rich chocolatey ground coffee for espresso."),
        (3, "Manual burr coffee grinder", "Ceramic burrs grind coffee beans evenly for pour-over."),
        (4, "Pour-over coffee dripper", "Glass dripper for brewing filter coffee at home."),
    ],
    "running": [
        (11, "Lightweight road running shoes", "Cushioned running shoes with breathable mesh."),
        (12, "Trail running shoes", "Grippy outsole running shoes for muddy trails."),
        (13, "Running socks, 3 pack", "Moisture-wicking socks for long runs."),
        (14, "GPS running watch", "Tracks pace, distance and heart rate on every run."),
    ],
    "camping": [
        (21, "Two-person backpacking tent", "Ultralight tent for camping and hiking trips."),
        (22, "Down sleeping bag", "Warm sleeping bag for camping down to -5 C."),
        (23, "Camping stove", "Compact gas stove for cooking at the campsite."),
        (24, "Headlamp", "Bright LED headlamp for camping and night hikes."),
    ],
    "books": [
        (31, "Mystery novel: The Silent Harbour", "A detective story set in a fishing town."),
        (32, "Science fiction novel: Orbit of Ash", "A space opera about a failing colony."),
        (33, "Cookbook: Weeknight Pasta", "Fifty quick pasta recipes for busy evenings."),
        (34, "Poetry collection: Salt and Light", "Poems about the sea and the seasons."),
    ],
}
CATEGORY_OF = {pid: cat for cat, rows in CATALOG.items() for pid, _n, _d in rows}
NAMES = {pid: name for rows in CATALOG.values() for pid, name, _d in rows}


@pytest.fixture(scope="session")
def catalog_vectors(encoder_config):
    docs = [
        ProductDocument(pid, name, description=desc, category_path=[cat.title()])
        for cat, rows in CATALOG.items()
        for pid, name, desc in rows
    ]
    texts = [compose_text(d) for d in docs]
    vectors = encode(texts, config=encoder_config)
    return [(d.product_id, content_hash(t), v) for d, t, v in zip(docs, texts, vectors)]


@pytest.fixture
def store(db, catalog_vectors, encoder_config):
    space = create_space(encoder_config.model, 384)
    DjangoStore(space).upsert_vectors(catalog_vectors)
    ensure_index(space)
    activate(space)
    return DjangoStore()


@pytest.fixture
def recommender(store):
    return Recommender(store, clock=lambda: NOW)


def track(rec, key, pid, kind, minutes_ago=0.0, channel="web"):
    rec.track(Event(key, pid, kind, NOW - timedelta(minutes=minutes_ago), channel))


def categories(items):
    return [CATEGORY_OF[i.product_id] for i in items]


def test_recommends_from_the_shoppers_taste_and_explains_with_their_item(recommender):
    track(recommender, "u:1", 1, "view", 10)
    track(recommender, "u:1", 2, "add_to_cart", 5)
    result = recommender.recommend("u:1", "web", 4)
    # A short list holds only new products (a fifth of 4 leaves no room for reminders).
    assert [i.product_id for i in result.items][:3] == [3, 4, 23]
    assert not {1, 2} & {i.product_id for i in result.items}
    assert [i.reason.render(NAMES) for i in result.items][:3] == [
        "Because you added Colombian dark roast ground coffee to your cart",
        "Because you added Colombian dark roast ground coffee to your cart",
        "Because you viewed Ethiopian Yirgacheffe coffee beans",
    ]
    assert result.id is not None


def test_by_default_bought_products_are_hidden_and_viewed_ones_shown_again():
    defaults = RankingConfig()
    assert (defaults.exclude_purchased, defaults.exclude_seen) == (True, False)


def test_seen_products_are_at_most_a_fifth_of_a_long_list(recommender):
    viewed = {1, 2, 3, 4, 11}
    for pid in viewed:
        track(recommender, "u:1", pid, "view", 5)
    items = recommender.recommend("u:1", "web", 10).items
    seen = [i.product_id for i in items if i.product_id in viewed]
    assert len(items) == 10 and len(seen) == 2
    assert [i.product_id for i in items[-2:]] == seen


@pytest.mark.parametrize(
    ("exclude_purchased", "exclude_seen", "expected"),
    [
        # Seen products come after the new one (as reminders, when too few are new).
        (False, False, [14, 13, 11, 12]),
        (True, False, [14, 13, 12]),
        (False, True, [14]),
        (True, True, [14]),
    ],
)
def test_hiding_bought_and_seen_products_is_configurable(
    store, exclude_purchased, exclude_seen, expected
):
    config = RankingConfig(exclude_purchased=exclude_purchased, exclude_seen=exclude_seen)
    rec = Recommender(store, ranking_config=config, clock=lambda: NOW)
    track(rec, "u:1", 11, "purchase", 60)
    track(rec, "u:1", 12, "view", 5)
    track(rec, "u:1", 13, "add_to_cart", 3)
    allowed = CandidateFilter.allow([11, 12, 13, 14])
    items = rec.recommend("u:1", "web", 4, candidate_filter=allowed).items
    assert [i.product_id for i in items] == expected


def test_diversity_spreads_the_list_over_more_categories(store):
    plain = Recommender(store, ranking_config=RankingConfig(diversity=0.0), clock=lambda: NOW)
    varied = Recommender(store, ranking_config=RankingConfig(diversity=0.7), clock=lambda: NOW)
    track(plain, "u:1", 21, "view", 5)
    assert len(set(categories(varied.recommend("u:1", "web", 4).items))) > len(
        set(categories(plain.recommend("u:1", "web", 4).items))
    )


def test_cold_start_gets_popular_products_of_the_channel_then_newest(recommender, store):
    track(recommender, "a", 31, "purchase", 30)
    track(recommender, "b", 32, "view", 30)
    track(recommender, "c", 14, "purchase", 30, channel="other")
    result = recommender.recommend("new-guest", "web", 4)
    assert [i.product_id for i in result.items[:2]] == [31, 32]
    assert result.items[0].reason.render(NAMES) == "Popular in web"
    assert result.items[2].product_id == 14  # shop-wide best-seller next
    assert result.items[3].reason.kind is ReasonKind.NEW
    assert recommender.recommend(None, "web", 4).items[0].product_id == 31


def test_a_product_nobody_interacted_with_is_recommended_from_its_text(store):
    rec = Recommender(store, ranking_config=RankingConfig(exclude_seen=True), clock=lambda: NOW)
    track(rec, "u:1", 21, "view", 5)
    track(rec, "u:1", 22, "view", 3)
    items = rec.recommend("u:1", "web", 2).items
    assert [i.product_id for i in items] == [23, 24]
    assert [i.reason.kind for i in items] == [ReasonKind.HISTORY, ReasonKind.HISTORY]


def test_channel_filter_still_fills_k(recommender):
    track(recommender, "u:1", 1, "view", 5)
    allowed = CandidateFilter.allow([13, 24, 33, 34])
    items = recommender.recommend("u:1", "web", 3, candidate_filter=allowed).items
    assert [i.product_id for i in items] == [24, 33, 13]


def test_product_page_context_without_history(recommender):
    result = recommender.recommend("guest", "web", 3, context_product_id=12)
    assert 12 not in [i.product_id for i in result.items]
    assert categories(result.items)[0] == "running"
    assert result.items[0].reason.render(NAMES) == "Similar to Trail running shoes"


def test_similar_products_excludes_itself(recommender):
    items = recommender.similar_products(23, 3)
    assert 23 not in [i.product_id for i in items]
    assert categories(items) == ["camping"] * 3
    assert all(i.reason.kind is ReasonKind.CONTEXT and i.reason.product_id == 23 for i in items)


def test_unknown_products_are_clear_errors(recommender):
    with pytest.raises(UnknownProductError, match="product 999 is unknown"):
        recommender.similar_products(999)
    with pytest.raises(UnknownProductError):
        recommender.recommend("u", "web", context_product_id=999)
    with pytest.raises(UnknownProductError):
        track(recommender, "u", 999, "view")


@pytest.mark.parametrize("k", [0, 101, "10"])
def test_k_is_bounded(recommender, k):
    with pytest.raises(ValueError, match="k must be an integer from 1 to 100"):
        recommender.recommend("u", "web", k)


def test_new_events_change_recommendations_online(recommender):
    track(recommender, "u:1", 31, "purchase", 60 * 24 * 20)
    track(recommender, "u:1", 32, "view", 60 * 24 * 20)
    assert categories(recommender.recommend("u:1", "web", 2).items) == ["books", "books"]
    track(recommender, "u:1", 21, "view", 3)
    track(recommender, "u:1", 22, "add_to_cart", 1)
    assert categories(recommender.recommend("u:1", "web", 2).items) == ["camping", "camping"]


def test_guest_history_is_merged_into_the_account_at_sign_in(recommender):
    track(recommender, "guest:9", 11, "view", 20)
    track(recommender, "guest:9", 12, "view", 10)
    track(recommender, "user:9", 33, "view", 60 * 24 * 60)
    recommender.merge_shoppers("guest:9", "user:9")
    result = recommender.recommend("user:9", "web", 2)
    assert categories(result.items) == ["running", "running"]
    assert recommender.recommend("guest:9", "web", 1).items[0].reason.kind is not ReasonKind.HISTORY


def test_a_replayed_event_changes_nothing(recommender, store):
    event = Event("u:1", 21, "purchase", NOW, "web", source_ref="order-line:1")
    assert recommender.track(event) is True
    before = store.load_profile("u:1")
    assert recommender.track(event) is False
    after = store.load_profile("u:1")
    assert after.event_count == before.event_count == 1
    assert after.weight_sum == before.weight_sum


def test_similar_products_for_a_page_match_one_by_one(recommender):
    page = recommender.similar_products_many([1, 12, 999], 3, channel="web")
    assert page[999] == []
    for product_id in (1, 12):
        single = recommender.similar_products(product_id, 3, channel="web")
        assert [i.product_id for i in page[product_id]] == [i.product_id for i in single]


def test_a_page_of_similar_products_costs_the_same_queries_whatever_its_size(recommender):
    track(recommender, "a", 2, "add_to_cart")
    track(recommender, "b", 13, "view")

    def queries(page):
        clear_popularity_cache()
        with CaptureQueriesContext(connection) as captured:
            found = recommender.similar_products_many(page, 3, channel="web")
        assert all(len(items) == 3 for items in found.values())
        return len(captured)

    assert queries([1, 11]) == queries([1, 2, 11, 12, 21, 31])


def test_serving_writes_no_profile_and_the_next_event_folds_in_the_whole_history(store):
    from saleor_personalization.models import ShopperProfile

    recommender = Recommender(store, clock=lambda: NOW)
    # Kept while nothing was indexed: events without a profile.
    for pid, minutes in ((1, 30), (2, 20)):
        store.record(Event("u:9", pid, "view", NOW - timedelta(minutes=minutes), "web"))
    assert recommender.recommend("u:9", "web", 4).items
    assert not ShopperProfile.objects.exists()

    track(recommender, "u:9", 3, "add_to_cart", 10)
    stored = store.load_profile("u:9")
    assert stored.event_count == 3
    rebuilt = recommender.rebuild_profile("u:9")
    np.testing.assert_allclose(stored.vector_sum, rebuilt.vector_sum, rtol=1e-6)
