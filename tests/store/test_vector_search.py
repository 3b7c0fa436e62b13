import numpy as np
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from saleor_personalization.engine.filters import NO_FILTER, CandidateFilter, SqlCondition
from saleor_personalization.store import DjangoStore
from saleor_personalization.store.vector_search import (
    SearchSettings,
    decode_vector,
    nearest_many,
    nearest_sql,
    vector_cursor,
)

pytestmark = pytest.mark.django_db

COUNT, DIMS = 3000, 16


def exact_top(vectors: np.ndarray, query: np.ndarray, k: int, allowed=None) -> list[int]:
    scores = vectors @ query
    order = [int(i) + 1 for i in np.argsort(-scores, kind="stable")]
    if allowed is not None:
        order = [pid for pid in order if pid in allowed]
    return order[:k]


def unit_rows(count: int, dims: int, seed: int) -> np.ndarray:
    rows = np.random.default_rng(seed).normal(size=(count, dims)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


@pytest.fixture
def catalog(make_space):
    space, vectors = make_space(COUNT, DIMS)
    return DjangoStore(), space, vectors


def test_unfiltered_search_matches_exact_search(catalog):
    store, _space, vectors = catalog
    query = unit_rows(1, DIMS, seed=42)[0]
    found = store.nearest(query, 10, NO_FILTER)
    assert len(found) == 10
    # HNSW is approximate; on 3,000 points with ef_search=100 it finds the true top 10.
    assert [n.product_id for n in found] == exact_top(vectors, query, 10)
    assert found[0].similarity == pytest.approx(float(vectors[found[0].product_id - 1] @ query), abs=1e-5)
    assert np.allclose(found[0].vector, vectors[found[0].product_id - 1], atol=1e-6)


def test_allowed_ids_keeping_one_percent_still_returns_k_exact_rows(catalog):
    store, _space, vectors = catalog
    allowed = set(range(1, COUNT + 1, 100))  # 30 products, 1%
    query = unit_rows(1, DIMS, seed=7)[0]
    found = store.nearest(query, 10, CandidateFilter.allow(allowed))
    assert [n.product_id for n in found] == exact_top(vectors, query, 10, allowed)


def test_sql_condition_keeping_one_percent_returns_k_rows(catalog):
    store, _space, vectors = catalog
    condition = SqlCondition("{product_id} %% 100 = %s", (1,))
    query = unit_rows(1, DIMS, seed=8)[0]
    found = store.nearest(query, 10, CandidateFilter(condition=condition))
    allowed = {pid for pid in range(1, COUNT + 1) if pid % 100 == 1}
    assert [n.product_id for n in found] == exact_top(vectors, query, 10, allowed)


def test_excluded_ids_are_never_returned(catalog):
    store, _space, vectors = catalog
    query = vectors[0]
    best = exact_top(vectors, query, 5)
    found = store.nearest(query, 5, NO_FILTER.excluding(best[:3]))
    assert [n.product_id for n in found] == exact_top(vectors, query, 8)[3:8]


def test_filter_with_fewer_matches_than_k_returns_all_matches(catalog):
    store, _space, _vectors = catalog
    found = store.nearest(unit_rows(1, DIMS, 3)[0], 10, CandidateFilter.allow([5, 6, 7]))
    assert sorted(n.product_id for n in found) == [5, 6, 7]


def test_the_search_statement_can_use_the_hnsw_index(catalog):
    _store, space, _vectors = catalog
    sql, params = nearest_sql(space, unit_rows(1, DIMS, 1)[0], 10, NO_FILTER)
    with transaction.atomic(), vector_cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert f"personalization_hnsw_{space.pk}" in plan


def test_the_query_vector_reaches_the_database_exactly(make_space, precise_vector):
    space, _vectors = make_space(3, 4)
    _sql, params = nearest_sql(space, precise_vector, 1, NO_FILTER)
    with vector_cursor() as cursor:
        cursor.execute("SELECT vector_send(%s::vector(4))", params[:1])
        sent = decode_vector(cursor.fetchone()[0])
    assert sent.tolist() == precise_vector.tolist()


def test_query_of_the_wrong_dimension_is_rejected(catalog):
    store, _space, _vectors = catalog
    with pytest.raises(ValueError, match="3 dimensions, the active space .* has 16"):
        store.nearest(np.ones(3, dtype=np.float32), 10, NO_FILTER)


def test_nearest_many_answers_a_page_of_products_in_one_query(catalog, django_assert_num_queries):
    store, _space, vectors = catalog
    allowed = set(range(1, COUNT + 1, 100))
    # active space, space size (a narrow filter: exact plan), SAVEPOINT, SET, SELECT, RELEASE
    with django_assert_num_queries(6):
        found = store.nearest_many([1, 2, 3, 999999], 5, CandidateFilter.allow(allowed))
    assert sorted(found) == [1, 2, 3]
    for source in (1, 2, 3):
        expected = [pid for pid in exact_top(vectors, vectors[source - 1], 6, allowed) if pid != source][:5]
        assert [n.product_id for n in found[source]] == expected


def test_nearest_many_searches_exactly_again_the_sources_the_index_left_short(make_space):
    space, vectors = make_space(COUNT, DIMS)
    rng = np.random.default_rng(5)
    centers = unit_rows(2, DIMS, seed=6)

    def near(center, count):
        rows = center + 0.05 * rng.normal(size=(count, DIMS))
        return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)

    # Source 1 sits among 100 products that pass the filter (ids divisible by 10),
    # source 2 among 360 that do not: an index scan stopped early finds k for the
    # first only.
    passing_near_1 = list(range(10, 1001, 10))
    failing_near_2 = [pid for pid in range(1001, 1401) if pid % 10]
    vectors[[0, *(pid - 1 for pid in passing_near_1)]] = near(centers[0], 101)
    vectors[[1, *(pid - 1 for pid in failing_near_2)]] = near(centers[1], 361)
    DjangoStore(space).upsert_vectors(
        [(pid, str(pid), vectors[pid - 1]) for pid in (1, 2, *passing_near_1, *failing_near_2)]
    )
    tenth = CandidateFilter(condition=SqlCondition("{product_id} %% 10 = %s", (0,)))
    # The index, with a small scan budget, whatever the filter's share.
    settings = SearchSettings(
        ef_search=10, max_ef_search=10, max_scan_tuples=50, exact_max_rows=0, exact_max_fraction=0.0
    )
    with connection.cursor() as cursor:
        # A table this small is cheaper to scan whole than through the index; make
        # the planner take the index, as on a real catalog (until the test ends).
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
    with CaptureQueriesContext(connection) as captured:
        found = nearest_many(space, [1, 2, 999999], 10, tenth, settings)

    allowed = set(range(10, COUNT + 1, 10))
    assert sorted(found) == [1, 2]
    for source in (1, 2):
        expected = exact_top(vectors, vectors[source - 1], 10, allowed)
        assert [n.product_id for n in found[source]] == expected
    searches = [q["sql"] for q in captured if "LATERAL" in q["sql"]]
    assert len(searches) == 2
    assert "'{1,2,999999}'" in searches[0] and "'{2}'" in searches[1]


def test_the_plan_follows_how_much_a_filter_lets_through(catalog):
    from saleor_personalization.store.vector_search import plan

    _store, space, _vectors = catalog
    # Count limit off, so that shares decide on this small catalog.
    settings = SearchSettings(exact_max_rows=0)
    assert plan(space, NO_FILTER, 10, settings) == (False, 100)
    # 1% of the space: exact.
    assert plan(space, CandidateFilter.allow(range(1, 31)), 10, settings)[0] is True
    # 10%: the index, with ef_search raised to 100 / 0.1 = 1000 (pgvector's maximum).
    tenth = CandidateFilter(condition=SqlCondition("{product_id} %% 10 = %s", (0,)))
    assert plan(space, tenth, 10, settings) == (False, 1000)
    # A fifth: 100 / 0.2 = 500. Half: 100 / 0.5 = 200.
    fifth = CandidateFilter(condition=SqlCondition("{product_id} %% 5 = %s", (0,)))
    assert plan(space, fifth, 10, settings) == (False, 500)
    half = CandidateFilter(condition=SqlCondition("{product_id} %% 2 = %s", (0,)))
    assert plan(space, half, 10, settings) == (False, 200)
    # By default 300 passing products are few enough to search exactly.
    assert plan(space, tenth, 10, SearchSettings())[0] is True


def test_a_plan_that_checks_every_row_uses_the_conditions_whole_set_form(catalog):
    store, _space, vectors = catalog
    whole = SqlCondition("{product_id} IN (SELECT g FROM generate_series(2, 20, 2) g)")
    evens = SqlCondition("{product_id} <= 20 AND {product_id} %% 2 = %s", (0,), whole_set=whole)
    query = vectors[3]
    with CaptureQueriesContext(connection) as captured:
        found = store.nearest(query, 5, CandidateFilter(condition=evens))
    # Ten products pass: few enough to search exactly, with the set form.
    expected = sorted(range(2, 21, 2), key=lambda pid: -float(vectors[pid - 1] @ query))[:5]
    assert [n.product_id for n in found] == expected
    searches = [q["sql"] for q in captured.captured_queries if "<=>" in q["sql"]]
    assert searches and all("generate_series" in sql for sql in searches)


def test_a_large_space_estimates_what_passes_from_a_sample(catalog, monkeypatch):
    from saleor_personalization.store import vector_search

    _store, space, _vectors = catalog
    monkeypatch.setattr(vector_search, "_SAMPLE_ROWS", 300)  # 3,000 rows: sampled
    evens = CandidateFilter(condition=SqlCondition("{product_id} %% 2 = %s", (0,)))
    with CaptureQueriesContext(connection) as captured:
        passing, size = vector_search.passing_rows(space, evens)
    assert size == COUNT
    # An estimate: pages of consecutive ids hold evens and odds alike.
    assert 0.35 * COUNT <= passing <= 0.65 * COUNT
    assert any("TABLESAMPLE SYSTEM" in q["sql"] for q in captured.captured_queries)
