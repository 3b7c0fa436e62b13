"""What only the in-memory store does; what both stores do is in tests/store/test_store_contract.py."""

import numpy as np
import pytest
from saleor_personalization.engine.filters import CandidateFilter, SqlCondition
from saleor_personalization.engine.memory_store import MemoryStore

SQL = CandidateFilter(condition=SqlCondition("{product_id} > %s", (1,)))


@pytest.fixture
def store():
    store = MemoryStore()
    store.upsert_vectors([(1, "a", np.array([1, 0], np.float32)), (2, "b", np.array([0, 1], np.float32))])
    return store


@pytest.mark.parametrize(
    "search",
    [
        lambda s: s.nearest(np.array([1, 0], np.float32), 1, SQL),
        lambda s: s.nearest_many([1], 1, SQL),
        lambda s: s.newest(1, SQL),
        lambda s: s.popular("web", 1, SQL, {"view": 1.0}, 7.0, None),
    ],
    ids=["nearest", "nearest_many", "newest", "popular"],
)
def test_a_sql_condition_is_refused_clearly(store, search):
    with pytest.raises(ValueError, match="MemoryStore cannot evaluate a SqlCondition"):
        search(store)


def test_an_empty_store_finds_nothing():
    store = MemoryStore()
    assert store.nearest(np.ones(3, np.float32), 5, CandidateFilter()) == []
    assert store.newest(5, CandidateFilter()) == []


def test_dimensions_are_fixed_by_the_first_vector(store):
    assert store.dimensions == 2
    with pytest.raises(ValueError, match="query has 3 dimensions, the store has 2"):
        store.nearest(np.ones(3, np.float32), 1, CandidateFilter())


def test_a_served_list_can_be_read_back(store):
    list_id = store.save_list("u:1", "web", [2, 1], context_product_id=None)
    assert store.served_list(list_id) == ("u:1", "web", [2, 1], None)
    store.merge_shoppers("u:1", "u:2")
    assert store.served_list(list_id)[0] == "u:2"
    store.forget_shopper("u:2")
    assert store.served_list(list_id) is None
