"""One contract for every store the engine runs on: the same assertions, exact ids
and orders, against the in-memory store and the PostgreSQL + pgvector one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from saleor_personalization.engine import profiles
from saleor_personalization.engine.events import Event, EventType
from saleor_personalization.engine.explain import Reason, ReasonKind
from saleor_personalization.engine.filters import NO_FILTER, CandidateFilter
from saleor_personalization.engine.memory_store import MemoryStore
from saleor_personalization.engine.ports import NO_HISTORY, Recommendation, ShopperLists
from saleor_personalization.store import DjangoStore

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
WEIGHTS = {"view": 1.0, "click": 1.5, "add_to_cart": 3.0, "purchase": 5.0}
COUNT, DIMS = 300, 8


@dataclass
class Catalog:
    store: DjangoStore | MemoryStore
    vectors: np.ndarray  # row i is product i + 1
    unit_rows: Callable[[int, int, int], np.ndarray]

    def query(self, seed: int) -> np.ndarray:
        return self.unit_rows(1, DIMS, seed)[0]

    def exact_top(self, query: np.ndarray, k: int, allowed=None, excluded=()) -> list[int]:
        order = [int(i) + 1 for i in np.argsort(-(self.vectors @ query), kind="stable")]
        passing = [
            pid for pid in order if (allowed is None or pid in allowed) and pid not in excluded
        ]
        return passing[:k]


@pytest.fixture(params=["memory", pytest.param("postgresql", marks=pytest.mark.django_db)])
def catalog(request, unit_vectors) -> Catalog:
    """Products 1..COUNT with random unit vectors (the same in both), in the store under test."""
    if request.param == "postgresql":
        _space, vectors = request.getfixturevalue("make_space")(COUNT, DIMS)
        return Catalog(DjangoStore(), vectors, unit_vectors)
    vectors = unit_vectors(COUNT, DIMS, 0)
    store = MemoryStore()
    store.upsert_vectors([(pid, str(pid), vectors[pid - 1]) for pid in range(1, COUNT + 1)])
    return Catalog(store, vectors, unit_vectors)


@pytest.fixture
def store(catalog):
    return catalog.store


def record(store, key, pid, kind, hours_ago=0.0, channel="web", source_ref=None) -> bool:
    return store.record(
        Event(key, pid, kind, NOW - timedelta(hours=hours_ago), channel, source_ref=source_ref)
    )


# -- product vectors ------------------------------------------------------------------


def test_nearest_is_the_exact_cosine_top_k_best_first(catalog):
    query = catalog.query(42)
    found = catalog.store.nearest(query, 10, NO_FILTER)
    assert [n.product_id for n in found] == catalog.exact_top(query, 10)
    best = found[0]
    assert best.similarity == pytest.approx(float(catalog.vectors[best.product_id - 1] @ query), abs=1e-5)
    assert best.vector.tolist() == catalog.vectors[best.product_id - 1].tolist()


def test_nearest_honours_allowed_and_excluded_ids(catalog):
    query = catalog.query(7)
    allowed = set(range(1, COUNT + 1, 10))
    excluded = set(catalog.exact_top(query, 3, allowed))
    flt = CandidateFilter.allow(allowed).excluding(excluded)
    found = catalog.store.nearest(query, 5, flt)
    assert [n.product_id for n in found] == catalog.exact_top(query, 5, allowed, excluded)


def test_a_filter_passing_fewer_than_k_returns_all_it_passes(catalog):
    found = catalog.store.nearest(catalog.query(3), 10, CandidateFilter.allow([5, 6, 7, 9999]))
    assert sorted(n.product_id for n in found) == [5, 6, 7]


def test_nearest_many_excludes_each_source_and_skips_unknown_ones(catalog):
    allowed = set(range(1, COUNT + 1, 3))
    found = catalog.store.nearest_many([1, 2, 999999], 4, CandidateFilter.allow(allowed))
    assert sorted(found) == [1, 2]
    for source in (1, 2):
        expected = catalog.exact_top(catalog.vectors[source - 1], 4, allowed, excluded={source})
        assert [n.product_id for n in found[source]] == expected
    assert catalog.store.nearest_many([], 4, NO_FILTER) == {}


@pytest.mark.parametrize("k", [0, -1])
def test_k_below_one_is_rejected(catalog, k):
    store = catalog.store
    with pytest.raises(ValueError, match="k must be at least 1"):
        store.nearest(catalog.query(1), k, NO_FILTER)
    with pytest.raises(ValueError, match="k must be at least 1"):
        store.nearest_many([1], k, NO_FILTER)


def test_a_query_of_the_wrong_dimension_is_rejected(store):
    with pytest.raises(ValueError, match=f"query has 3 dimensions, .* has {DIMS}"):
        store.nearest(np.ones(3, dtype=np.float32), 5, NO_FILTER)


def test_vectors_are_returned_exactly_for_known_ids(store, precise_vector):
    vector = np.concatenate([precise_vector, precise_vector])
    store.upsert_vectors([(5, "h", vector)])
    assert store.vectors([5, 999999]).keys() == {5}
    assert store.vectors([5])[5].tolist() == vector.tolist()
    assert store.vectors([]) == {}


def test_an_upsert_replaces_hash_and_vector_in_place(store):
    replacement = np.eye(DIMS, dtype=np.float32)[1]
    store.upsert_vectors([(1, "new-hash", replacement)])
    assert store.content_hashes([1, 999999]) == {1: "new-hash"}
    assert store.vectors([1])[1].tolist() == replacement.tolist()
    with pytest.raises(ValueError, match="product 2: vector has 3 dimensions"):
        store.upsert_vectors([(2, "h", np.ones(3, dtype=np.float32))])


def test_newest_are_the_last_written_first(store):
    for pid in (5, 2):  # written again, in two writes
        store.upsert_vectors([(pid, "again", store.vectors([pid])[pid])])
    assert store.newest(2, NO_FILTER) == [2, 5]
    assert store.newest(2, CandidateFilter.allow([5, 7])) == [5, 7]
    assert store.newest(1, NO_FILTER.excluding([2])) == [5]


def test_deleting_products_removes_their_vectors_and_events(store):
    record(store, "u:1", 5, "view")
    record(store, "u:1", 6, "view")
    store.delete_products([5])
    assert store.vectors([5, 6]).keys() == {6}
    assert [e.product_id for e in store.history("u:1", 10)] == [6]


# -- interactions -----------------------------------------------------------------------


def test_history_is_the_newest_events_oldest_first(store):
    for hours, pid in [(3, 1), (2, 2), (1, 3)]:
        record(store, "u:1", pid, "view", hours)
    record(store, "u:1", 4, "click", 1)  # same time as 3: recorded later, so after it
    record(store, "u:2", 9, "view")
    history = store.history("u:1", 3)
    assert [(e.product_id, e.event_type.value) for e in history] == [
        (2, "view"), (3, "view"), (4, "click")
    ]
    assert history[0] == Event("u:1", 2, "view", NOW - timedelta(hours=2), "web")
    assert store.history("nobody", 10) == []


def test_an_event_with_a_recorded_source_ref_is_ignored(store):
    assert record(store, "u:1", 1, "purchase", source_ref="order-line:1") is True
    assert record(store, "u:1", 1, "purchase", source_ref="order-line:1") is False
    assert record(store, "u:1", 1, "view") is True
    assert record(store, "u:1", 1, "view") is True  # without a source_ref, always recorded
    assert len(store.history("u:1", 10)) == 3


@pytest.fixture(params=["summed per request", "snapshot"])
def scored(request, store) -> Callable[[], None]:
    """Call after recording events: popularity is then summed per request, or read
    from a snapshot taken now."""

    def ready() -> None:
        if request.param == "snapshot":
            assert store.refresh_popularity(WEIGHTS, 7.0, NOW) > 0

    return ready


def test_popular_is_weighted_decayed_per_channel_and_filtered(store, scored):
    record(store, "a", 1, "view")
    record(store, "b", 1, "view")
    record(store, "c", 2, "purchase", hours_ago=24 * 7)  # 5 * 0.5 = 2.5
    record(store, "d", 3, "add_to_cart")  # 3
    record(store, "e", 4, "purchase", channel="other")
    record(store, "f", 5, "purchase", hours_ago=24 * 7 * 11)  # older than 10 half-lives
    scored()
    ranked = store.popular("web", 10, NO_FILTER, WEIGHTS, 7.0, NOW)
    assert [pid for pid, _ in ranked] == [3, 2, 1]
    assert [score for _, score in ranked] == pytest.approx([3.0, 2.5, 2.0])
    assert store.popular(None, 2, NO_FILTER, WEIGHTS, 7.0, NOW) == [
        (4, pytest.approx(5.0)), (3, pytest.approx(3.0))
    ]
    flt = CandidateFilter.allow([1, 2, 3]).excluding([3])
    assert [pid for pid, _ in store.popular("web", 10, flt, WEIGHTS, 7.0, NOW)] == [2, 1]
    assert store.popular("nowhere", 10, NO_FILTER, WEIGHTS, 7.0, NOW) == []


def test_popularity_of_given_products_and_of_the_channels_top(store, scored):
    record(store, "a", 1, "purchase")
    record(store, "b", 2, "view")
    record(store, "c", 3, "add_to_cart", channel="other")
    scored()
    scores, top = store.popularity([2, 3, 4], "web", WEIGHTS, 7.0, NOW)
    assert scores == {2: pytest.approx(1.0)}
    assert top == pytest.approx(5.0)
    assert store.popularity([1], "nowhere", WEIGHTS, 7.0, NOW) == ({}, 0.0)


def test_a_popularity_snapshot_serves_until_the_next_refresh(store):
    record(store, "a", 1, "purchase")
    assert store.refresh_popularity(WEIGHTS, 7.0, NOW) == 2  # channel "web" and shop-wide
    record(store, "b", 2, "purchase")
    record(store, "b", 2, "purchase")
    assert [pid for pid, _ in store.popular("web", 5, NO_FILTER, WEIGHTS, 7.0, NOW)] == [1]
    assert store.refresh_popularity(WEIGHTS, 7.0, NOW) == 4
    assert [pid for pid, _ in store.popular("web", 5, NO_FILTER, WEIGHTS, 7.0, NOW)] == [2, 1]


def test_merging_moves_a_guests_events_and_drops_both_profiles(store):
    record(store, "guest:1", 1, "view", 2)
    record(store, "user:1", 2, "purchase", 1)
    for key in ("guest:1", "user:1"):
        store.update_profile(key, lambda _old: profiles.LongTermState(np.ones(DIMS), 1.0, NOW, 1))
    assert store.merge_shoppers("guest:1", "user:1") == 1
    assert [e.product_id for e in store.history("user:1", 10)] == [1, 2]
    assert store.history("guest:1", 10) == []
    assert store.load_profile("user:1") is None and store.load_profile("guest:1") is None
    assert store.merge_shoppers("user:1", "user:1") == 0


def test_forgetting_a_shopper_leaves_nothing_and_touches_no_one_else(store):
    record(store, "user:7", 1, "view")
    record(store, "user:8", 1, "view")
    store.save_list("user:7", "web", [2], None)
    for key in ("user:7", "user:8"):
        store.update_profile(key, lambda _old: profiles.LongTermState(np.ones(DIMS), 1.0, NOW, 1))
    store.forget_shopper("user:7")
    assert store.history("user:7", 10) == [] and store.load_profile("user:7") is None
    assert len(store.history("user:8", 10)) == 1 and store.load_profile("user:8") is not None


def test_a_saved_list_gets_an_id(store):
    first = store.save_list("u:1", "web", [3, 4], None)
    second = store.save_list("", "web", [5], context_product_id=3)
    assert isinstance(first, str) and first and first != second


# -- profiles ---------------------------------------------------------------------------


def test_profile_updates_see_the_previous_state(store):
    config = profiles.ProfileConfig()
    vector = np.eye(DIMS, dtype=np.float32)[0]
    store.update_profile("u:1", lambda s: profiles.add_event(s, vector, "view", NOW, config))
    store.update_profile("u:1", lambda s: profiles.add_event(s, vector, "purchase", NOW, config))
    state = store.load_profile("u:1")
    assert (state.weight_sum, state.event_count, state.as_of) == (pytest.approx(6.0), 2, NOW)
    assert state.vector_sum.tolist() == pytest.approx([6.0] + [0.0] * (DIMS - 1))
    assert store.load_profile("u:2") is None
    assert store.update_profile("u:1", lambda _old: None) is None
    assert store.load_profile("u:1") is None


def test_profiles_are_kept_as_float32_exactly(store, precise_vector):
    vector = np.concatenate([precise_vector, precise_vector]).astype(np.float64)
    store.update_profile("u:1", lambda _old: profiles.LongTermState(vector, 1.0, NOW, 1))
    assert store.load_profile("u:1").vector_sum.tolist() == vector.tolist()
    # A float64 value is stored as the nearest float32, as in a vector column.
    store.update_profile("u:2", lambda _old: profiles.LongTermState(np.full(DIMS, 0.1), 1.0, NOW, 1))
    assert store.load_profile("u:2").vector_sum.tolist() == [float(np.float32(0.1))] * DIMS


def test_a_profile_weight_that_is_not_finite_is_refused(store):
    state = profiles.LongTermState(np.ones(DIMS), float("inf"), NOW, 1)
    with pytest.raises(ValueError, match="not finite"):
        store.update_profile("u:1", lambda _old: state)
    assert store.load_profile("u:1") is None


# -- stored similar lists ------------------------------------------------------------


def test_a_stored_similar_list_serves_its_first_k_passing_entries_in_order(store):
    store.save_similar({1: [(5, 0.9), (3, 0.8), (7, 0.7), (2, 0.6)], 2: [(9, 0.5)]})
    assert store.stored_similar([1, 2, 4], 2, NO_FILTER) == {1: [(5, 0.9), (3, 0.8)]}
    # 3 is filtered out: the next entries move up, the stored order is kept.
    passing = CandidateFilter.allow([2, 5, 7]).excluding([5])
    assert store.stored_similar([1], 2, passing) == {1: [(7, 0.7), (2, 0.6)]}
    # Fewer than k pass: absent, so the caller searches live.
    assert store.stored_similar([1], 3, passing) == {}
    store.save_similar({1: [(8, 0.4), (6, 0.3)]})
    assert store.stored_similar([1], 2, NO_FILTER) == {1: [(8, 0.4), (6, 0.3)]}


def test_a_stored_similar_list_skips_products_deleted_since(store):
    store.save_similar({1: [(5, 0.9), (3, 0.8), (7, 0.7)], 2: [(3, 0.6)], 4: [(7, 0.5)]})
    store.delete_products([3])
    assert store.stored_similar([1], 2, NO_FILTER) == {1: [(5, 0.9), (7, 0.7)]}
    # A list left with nothing serves nothing; the lists not naming 3 are as they were.
    assert store.stored_similar([2, 4], 1, NO_FILTER) == {4: [(7, 0.5)]}
    store.delete_products([1])
    assert store.stored_similar([1], 1, NO_FILTER) == {}


# -- stored shopper lists --------------------------------------------------------------


def entry(pid: int, kind: ReasonKind = ReasonKind.HISTORY, source: int | None = 9) -> Recommendation:
    event = EventType.VIEW if kind in (ReasonKind.HISTORY, ReasonKind.SEEN) else None
    return Recommendation(pid, 1.0 / pid, Reason(kind, product_id=source, event_type=event))


def give_profile(store, key: str) -> None:
    """An event and the profile it makes (the lists' validity follows the profile)."""
    vector = np.eye(DIMS, dtype=np.float32)[0]
    config = profiles.ProfileConfig()
    store.record(Event(key, 1, "view", NOW, "web"))
    store.update_profile(key, lambda s: profiles.add_event(s, vector, "view", NOW, config))


def test_stored_shopper_lists_serve_the_visits_then_the_lasting_one_until_the_profile_changes(
    store,
):
    give_profile(store, "u:1")
    session = [entry(5), entry(3, ReasonKind.SEEN, 3), entry(7, ReasonKind.NEW, None)]
    lasting = [entry(2), entry(4)]
    until = NOW + timedelta(minutes=30)
    store.save_shopper_lists("u:1", ShopperLists(session, lasting, until))

    assert store.stored_recommendations("u:1", NOW, NO_FILTER) == session
    assert store.stored_recommendations("u:1", until + timedelta(seconds=1), NO_FILTER) == lasting
    passing = CandidateFilter.allow([3, 4, 7]).excluding([7])
    assert store.stored_recommendations("u:1", NOW, passing) == [session[1]]
    assert store.stored_recommendations("u:1", NOW, CandidateFilter.allow([99])) == []
    store.delete_products([5])
    assert store.stored_recommendations("u:1", NOW, NO_FILTER) == session[1:]
    # An unknown shopper is told apart from one whose lists are missing or stale.
    assert store.stored_recommendations("u:2", NOW, NO_FILTER) is NO_HISTORY
    store.record(Event("u:2", 1, "view", NOW, "web"))
    assert store.stored_recommendations("u:2", NOW, NO_FILTER) is None
    give_profile(store, "u:1")
    assert store.stored_recommendations("u:1", NOW, NO_FILTER) is None


def test_stored_shopper_lists_without_a_visit_and_cleared(store):
    give_profile(store, "u:1")
    store.save_shopper_lists("u:1", ShopperLists(None, [entry(2)], None))
    assert store.stored_recommendations("u:1", NOW, NO_FILTER) == [entry(2)]
    store.save_shopper_lists("u:1", None)
    assert store.stored_recommendations("u:1", NOW, NO_FILTER) is None


def test_a_limit_keeps_the_first_passing_new_and_seen_entries(store):
    give_profile(store, "u:1")
    new = [entry(pid) for pid in (5, 3, 7, 2)]
    seen = [entry(pid, ReasonKind.SEEN, pid) for pid in (9, 8, 6)]
    store.save_shopper_lists("u:1", ShopperLists(None, new + seen, None))
    limited = store.stored_recommendations("u:1", NOW, CandidateFilter.allow([3, 7, 2, 8, 6]), 2)
    assert limited == [new[1], new[2], seen[1], seen[2]]
