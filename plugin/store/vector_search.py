"""Similarity search SQL over the product vector table.

The query orders by ``embedding::vector(n) <=> query`` exactly as the partial
HNSW index is defined, so PostgreSQL can use it; filters sit in the same WHERE
clause, and pgvector 0.8's iterative index scan keeps reading the index until k
rows pass them. How much of the catalog a filter lets through decides the plan:
a narrow filter (at most 2% or 2,000 products) is searched exactly, which is
both faster and exact there; a wider one searches the index with ``ef_search``
raised in proportion, since HNSW recall drops as a filter gets narrower. If the
index scan still gives up early, the same query runs exactly, so a search asked
for k rows returns k whenever k products pass the filter.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper
from pgvector.psycopg import register_vector

from ..engine.filters import CandidateFilter
from ..engine.ports import Neighbor
from ..models import EmbeddingSpace, ProductVector
from ..ttl_cache import TtlCache
from .routing import read_alias, read_connection
from .spaces import vector_expression

TABLE = ProductVector._meta.db_table
# Rows fetched beyond k by a filtered index search, at most (see nearest_sql).
FILTERED_OVERFETCH = 10

@dataclass(frozen=True)
class SearchSettings:
    ef_search: int = 100
    # Upper bound on index tuples an iterative scan may visit before giving up.
    max_scan_tuples: int = 20000
    # Filters passing at most this share (or count) of the space are searched exactly.
    exact_max_fraction: float = 0.02
    exact_max_rows: int = 2000
    # A filter passing a share f of the space searches with ef_search ≈ budget / f.
    filtered_ef_budget: float = 100.0
    max_ef_search: int = 1000  # pgvector's upper bound for hnsw.ef_search


# How many rows pass a SQL condition changes slowly; it is counted at most every
# few minutes per (space, condition).
_passing: TtlCache[int] = TtlCache(ttl=300.0, max_entries=1024)
_SAMPLE_ROWS = 2000


def clear_selectivity_cache() -> None:
    _passing.clear()


def vector_cursor(conn: BaseDatabaseWrapper | None = None) -> CursorWrapper:
    """A cursor whose connection sends numpy arrays as pgvector vectors.

    pgvector's psycopg adapter is registered on the connection at its first
    search; it writes every float32 exactly, where a text literal would need 9
    significant digits per value.
    """
    conn = conn if conn is not None else read_connection()
    conn.ensure_connection()
    raw = conn.connection
    if raw.adapters.types.get("vector") is None:
        register_vector(raw)
    return conn.cursor()


def decode_vector(raw: bytes | memoryview) -> np.ndarray:
    """pgvector's binary send format: int16 dims, int16 unused, float4 big-endian values."""
    return np.frombuffer(bytes(raw)[4:], dtype=">f4").astype(np.float32)


def filter_sql(candidate_filter: CandidateFilter, column: str) -> tuple[str, list]:
    """WHERE fragments (each starting with AND) and their params for a candidate filter."""
    clauses: list[str] = []
    params: list = []
    # Ids travel as one array literal: adapting a long Python list costs far more.
    if candidate_filter.allowed_ids is not None:
        clauses.append(f" AND {column} = ANY(%s::bigint[])")
        params.append(array_literal(candidate_filter.allowed_ids))
    if candidate_filter.excluded_ids:
        clauses.append(f" AND NOT ({column} = ANY(%s::bigint[]))")
        params.append(array_literal(candidate_filter.excluded_ids))
    if candidate_filter.condition is not None:
        clauses.append(" AND " + candidate_filter.condition.render(column))
        params.extend(candidate_filter.condition.params)
    return "".join(clauses), params


def array_literal(ids) -> str:
    """Ids as one PostgreSQL array literal (for ``= ANY(%s::bigint[])``): adapting a long
    Python list costs far more."""
    return "{" + ",".join(str(int(i)) for i in sorted(ids)) + "}"


def passing_rows(space: EmbeddingSpace, candidate_filter: CandidateFilter) -> tuple[int, int]:
    """(products passing the filter, products in the space), cached for a few minutes.

    Only the plan depends on it, so for a large space it is estimated from a sample
    of about ``_SAMPLE_ROWS`` rows: checking a shop's sellable condition on every
    row of 100,000 takes over a second, on a sample some tens of milliseconds.
    """
    size = _count(space, None)
    if candidate_filter.condition is None:
        if candidate_filter.allowed_ids is None:
            return size, size
        return min(len(candidate_filter.allowed_ids), size), size
    return _count(space, candidate_filter, size), size


def _count(
    space: EmbeddingSpace, candidate_filter: CandidateFilter | None, size: int | None = None
) -> int:
    condition = candidate_filter.condition if candidate_filter is not None else None
    allowed = candidate_filter.allowed_ids if candidate_filter is not None else None
    key = (
        space.pk,
        condition.sql if condition else None,
        condition.params if condition else None,
        hash(allowed) if allowed is not None else None,
    )
    counted = (
        CandidateFilter(allowed_ids=allowed, condition=condition)
        if candidate_filter is not None
        else None
    )
    return _passing.get(key, lambda: _count_now(space, counted, size))


def _count_now(
    space: EmbeddingSpace, candidate_filter: CandidateFilter | None, size: int | None
) -> int:
    with read_connection().cursor() as cursor:
        if candidate_filter is not None and size is not None and size > 2 * _SAMPLE_ROWS:
            # A sample is checked row by row, with the condition's correlated form.
            where, params = filter_sql(candidate_filter, "v.product_id")
            cursor.execute(
                f"SELECT count(*), count(*) FILTER (WHERE TRUE{where}) FROM {TABLE} v "
                f"TABLESAMPLE SYSTEM ({100.0 * _SAMPLE_ROWS / size:.6f}) "
                f"WHERE v.space_id = {int(space.pk)}",
                params,
            )
            seen, matched = cursor.fetchone()
            if seen:
                return round(size * matched / seen)
        where, params = ("", [])
        if candidate_filter is not None:
            where, params = filter_sql(candidate_filter.for_every_row(), "v.product_id")
        cursor.execute(
            f"SELECT count(*) FROM {TABLE} v WHERE v.space_id = {int(space.pk)}{where}", params
        )
        return int(cursor.fetchone()[0])


def plan(
    space: EmbeddingSpace, candidate_filter: CandidateFilter, k: int, settings: SearchSettings
) -> tuple[bool, int]:
    """(search exactly?, ef_search) for this filter."""
    if candidate_filter.allowed_ids is None and candidate_filter.condition is None:
        return False, max(settings.ef_search, k)
    passing, size = passing_rows(space, candidate_filter)
    fraction = passing / size if size else 0.0
    if passing <= settings.exact_max_rows or fraction <= settings.exact_max_fraction:
        return True, max(settings.ef_search, k)
    ef = math.ceil(settings.filtered_ef_budget / fraction)
    return False, max(settings.ef_search, k, min(ef, settings.max_ef_search))


def nearest_sql(
    space: EmbeddingSpace, query: np.ndarray, k: int, candidate_filter: CandidateFilter
) -> tuple[str, list]:
    """The search statement and its params (also used by the benchmark as 'raw SQL').

    The query vector is a numpy parameter: run it on a :func:`vector_cursor`, or
    on a psycopg connection with pgvector's ``register_vector``.
    """
    if query.shape != (space.dimensions,):
        raise ValueError(
            f"query has {query.shape[-1]} dimensions, the active space "
            f"({space.model_name}) has {space.dimensions}"
        )
    expression = vector_expression(space)
    where, params = filter_sql(candidate_filter, "v.product_id")
    fetch = k + min(k, FILTERED_OVERFETCH) if where else k
    sql = (
        f"SELECT v.product_id, {expression} <=> %s::vector({int(space.dimensions)}) AS distance, "
        f"v.embedding FROM {TABLE} v "
        f"WHERE v.space_id = {int(space.pk)}{where} "
        f"ORDER BY {expression} <=> %s::vector({int(space.dimensions)}) LIMIT %s"
    )
    # A filtered iterative scan returns rows roughly in order (relaxed_order): a few
    # more than asked, re-sorted, let a near row found a little late still make it.
    sql = (
        f"SELECT r.product_id, r.distance, vector_send(r.embedding) FROM ({sql}) r "
        "ORDER BY r.distance, r.product_id LIMIT %s"
    )
    return sql, [query, *params, query, int(fetch), int(k)]


def nearest(
    space: EmbeddingSpace,
    query: np.ndarray,
    k: int,
    candidate_filter: CandidateFilter,
    settings: SearchSettings = SearchSettings(),
) -> list[Neighbor]:
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    query = np.asarray(query, dtype=np.float32)
    exact, ef_search = plan(space, candidate_filter, k, settings)

    def search(exact: bool) -> list[tuple]:
        # An exact plan checks every row: the filter's whole-set form suits it.
        flt = candidate_filter.for_every_row() if exact else candidate_filter
        sql, params = nearest_sql(space, query, k, flt)
        return _run(sql, params, ef_search, settings, exact=exact)

    rows = search(exact)
    if len(rows) < k and not exact:
        rows = search(exact=True)
    neighbors = [
        Neighbor(int(pid), 1.0 - float(distance), decode_vector(raw)) for pid, distance, raw in rows
    ]
    # relaxed_order iterative scans may return rows slightly out of order.
    neighbors.sort(key=lambda n: (-n.similarity, n.product_id))
    return neighbors


def _run(
    sql: str, params: Sequence, ef_search: int, settings: SearchSettings, *, exact: bool
) -> list[tuple]:
    # SET LOCAL needs the search's own transaction, on the connection it reads from.
    if exact:
        plan_settings = "SET LOCAL enable_indexscan = off"
    else:
        plan_settings = (
            f"SET LOCAL hnsw.ef_search = {int(ef_search)}; "
            "SET LOCAL hnsw.iterative_scan = relaxed_order; "
            f"SET LOCAL hnsw.max_scan_tuples = {int(settings.max_scan_tuples)}"
        )
    with transaction.atomic(using=read_alias()), vector_cursor() as cursor:
        cursor.execute(plan_settings)  # one round trip for all of them
        cursor.execute(sql, params)
        return cursor.fetchall()


def nearest_many(
    space: EmbeddingSpace,
    product_ids: Sequence[int],
    k: int,
    candidate_filter: CandidateFilter,
    settings: SearchSettings = SearchSettings(),
) -> dict[int, list[Neighbor]]:
    """The ``k`` nearest products of each of ``product_ids`` (itself excluded), in one query.

    A LATERAL join runs one index-ordered search per source row, so a page of
    product cards costs one statement instead of one per card. As in
    :func:`nearest`, the sources whose index scan gave up before ``k`` rows
    passed the filter are searched again exactly, together in one more
    statement. Sources without a vector are absent from the result.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    if not product_ids:
        return {}
    expression = vector_expression(space)
    cast = f"::vector({int(space.dimensions)})"
    exact, ef_search = plan(space, candidate_filter, k, settings)

    def search(sources: Sequence[int], exact: bool) -> dict[int, list[Neighbor]]:
        flt = candidate_filter.for_every_row() if exact else candidate_filter
        where, params = filter_sql(flt, "v.product_id")
        # LEFT JOIN: a source whose search found nothing still has a row, so that it
        # can be told apart from a product without a vector.
        sql = (
            f"SELECT s.product_id, n.product_id, n.distance, vector_send(n.embedding) "
            f"FROM {TABLE} s LEFT JOIN LATERAL ("
            f"  SELECT v.product_id, v.embedding, {expression} <=> (s.embedding{cast}) AS distance "
            f"  FROM {TABLE} v WHERE v.space_id = {int(space.pk)} "
            f"  AND v.product_id <> s.product_id{where} "
            f"  ORDER BY {expression} <=> (s.embedding{cast}) LIMIT %s"
            f") n ON true WHERE s.space_id = {int(space.pk)} AND s.product_id = ANY(%s::bigint[])"
        )
        ids = array_literal(sources)
        rows = _run(sql, [*params, int(k), ids], ef_search, settings, exact=exact)
        found: dict[int, list[Neighbor]] = {}
        for source, pid, distance, raw in rows:
            neighbors = found.setdefault(int(source), [])
            if pid is not None:
                neighbors.append(Neighbor(int(pid), 1.0 - float(distance), decode_vector(raw)))
        for neighbors in found.values():
            neighbors.sort(key=lambda n: (-n.similarity, n.product_id))
        return found

    found = search(product_ids, exact)
    short = [source for source, neighbors in found.items() if len(neighbors) < k]
    if short and not exact:
        found.update(search(short, exact=True))
    return found
