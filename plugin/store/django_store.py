"""The engine's store protocol on Django models."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta

import numpy as np
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from ..engine.events import Event, EventType
from ..engine.explain import Reason, ReasonKind
from ..engine.filters import CandidateFilter
from ..engine.ports import (
    NO_HISTORY,
    Neighbor,
    Recommendation,
    ShopperLists,
    _NoHistory,
    similar_window,
)
from ..engine.profiles import LongTermState
from ..models import (
    EmbeddingSpace,
    InteractionEvent,
    ProductPopularity,
    ProductVector,
    RecommendationList,
    ShopperProfile,
    SimilarProductList,
)
from ..ttl_cache import TtlCache
from . import prepared, similar_lists, spaces, vector_search
from .routing import read_alias, read_connection

# Events older than this many popularity half-lives add almost nothing (<0.1%).
_POPULARITY_HORIZON_HALF_LIVES = 10
_TOP_POPULARITY_TTL_SECONDS = 300
_TOP_POPULARITY: dict[tuple, tuple[float, datetime]] = {}
_POPULARITY_TABLE = ProductPopularity._meta.db_table
_SIMILAR_TABLE = SimilarProductList._meta.db_table
_VECTOR_STAGE = "personalization_vector_stage"
_MAX_CACHED_SCOPES = 1024
# Whether a channel has a popularity snapshot, per process; a channel without one
# (never refreshed, or no events) is served by summing its events.
_SNAPSHOTS: TtlCache[bool] = TtlCache(ttl=60.0, max_entries=_MAX_CACHED_SCOPES)


class DjangoStore:
    """Vectors of one embedding space (the active one unless given), events and profiles."""

    def __init__(
        self,
        space: EmbeddingSpace | None = None,
        search_settings: vector_search.SearchSettings = vector_search.SearchSettings(),
    ) -> None:
        self._space = space
        self.search_settings = search_settings

    @property
    def space(self) -> EmbeddingSpace:
        """The space this store serves: given, or the active one at first use.

        Pinned for the store's lifetime so that everything one request does (read
        the shopper's item vectors, then search with them) uses one model even if
        a switch happens meanwhile; create a store per request or job.
        """
        if self._space is None:
            self._space = spaces.active_space()
        return self._space

    # -- product vectors ----------------------------------------------------------

    def nearest(
        self, query: np.ndarray, k: int, candidate_filter: CandidateFilter
    ) -> list[Neighbor]:
        return vector_search.nearest(self.space, query, k, candidate_filter, self.search_settings)

    def nearest_many(
        self, product_ids: Sequence[int], k: int, candidate_filter: CandidateFilter
    ) -> dict[int, list[Neighbor]]:
        return vector_search.nearest_many(
            self.space, product_ids, k, candidate_filter, self.search_settings
        )

    def stored_similar(
        self, product_ids: Sequence[int], k: int, candidate_filter: CandidateFilter
    ) -> dict[int, list[tuple[int, float]]]:
        """One statement for a page of products. Without a pinned space it reads the
        active one's lists in the same statement, so a page that needs no live search
        costs a single round trip."""
        if not product_ids:
            return {}
        where, params = vector_search.filter_sql(candidate_filter, "u.id")
        space = self._space_sql()
        # Deleted products leave every list as they go (``delete_products``), so the
        # lists are not checked against the vectors here: on a new database session
        # each table a statement touches first loads its catalog entries (0.9 ms).
        sql = (
            f"SELECT s.product_id, n.ids, n.scores FROM {_SIMILAR_TABLE} s "
            "CROSS JOIN LATERAL (SELECT array_agg(u.id ORDER BY u.ord) AS ids, "
            "  array_agg(u.score ORDER BY u.ord) AS scores FROM ("
            "    SELECT u.id, u.score, u.ord "
            "    FROM unnest(s.product_ids, s.scores) WITH ORDINALITY AS u(id, score, ord) "
            f"   WHERE u.ord <= %s{where} ORDER BY u.ord LIMIT %s) u) n "
            f"WHERE s.space_id = {space} AND s.product_id = ANY(%s::bigint[]) "
            "AND cardinality(n.ids) >= %s"
        )
        ids = vector_search.array_literal(product_ids)
        rows = prepared.fetchall(
            read_connection(), sql, [similar_window(k), *params, int(k), ids, int(k)]
        )
        return {
            int(source): [(int(pid), float(score)) for pid, score in zip(found, scores)]
            for source, found, scores in rows
        }

    def save_similar(self, lists: Mapping[int, Sequence[tuple[int, float]]]) -> None:
        now = timezone.now()
        SimilarProductList.objects.bulk_create(
            [
                SimilarProductList(
                    space=self.space,
                    product_id=int(source),
                    product_ids=[int(pid) for pid, _ in entries],
                    scores=[float(score) for _, score in entries],
                    computed_at=now,
                )
                for source, entries in lists.items()
            ],
            update_conflicts=True,
            unique_fields=["space", "product_id"],
            update_fields=["product_ids", "scores", "computed_at"],
            batch_size=1000,
        )

    def vectors(self, product_ids: Sequence[int]) -> dict[int, np.ndarray]:
        if not product_ids:
            return {}
        with read_connection().cursor() as cursor:
            cursor.execute(
                f"SELECT product_id, vector_send(embedding) FROM {vector_search.TABLE} "
                "WHERE space_id = %s AND product_id = ANY(%s)",
                [self.space.pk, list(product_ids)],
            )
            return {int(pid): vector_search.decode_vector(raw) for pid, raw in cursor.fetchall()}

    def newest(self, k: int, candidate_filter: CandidateFilter) -> list[int]:
        where, params = vector_search.filter_sql(candidate_filter, "v.product_id")
        with read_connection().cursor() as cursor:
            cursor.execute(
                f"SELECT v.product_id FROM {vector_search.TABLE} v WHERE v.space_id = %s{where} "
                "ORDER BY v.updated_at DESC, v.product_id LIMIT %s",
                [self.space.pk, *params, k],
            )
            return [int(row[0]) for row in cursor.fetchall()]

    def content_hashes(self, product_ids: Iterable[int]) -> dict[int, str]:
        rows = ProductVector.objects.filter(
            space=self.space, product_id__in=list(product_ids)
        ).values_list("product_id", "content_hash")
        return {int(pid): digest for pid, digest in rows}

    def upsert_vectors(self, rows: Sequence[tuple[int, str, np.ndarray]]) -> None:
        """Insert or replace (product_id, content_hash, vector) rows in this space."""
        space = self.space
        for product_id, _digest, vector in rows:
            if len(vector) != space.dimensions:
                raise ValueError(
                    f"product {product_id}: vector has {len(vector)} dimensions, "
                    f"space {space.model_name} has {space.dimensions}"
                )
        if not rows:
            return
        # Vectors are copied in pgvector's binary format into a staging table, then
        # upserted in one statement: formatting 384 floats as text per row cost about a
        # tenth of encoding them. The staging table lives for the transaction only.
        now = timezone.now()
        with transaction.atomic(), vector_search.vector_cursor(connection) as cursor:
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {_VECTOR_STAGE} "
                "(product_id bigint, content_hash text, embedding vector) ON COMMIT DROP"
            )
            with cursor.cursor.copy(
                f"COPY {_VECTOR_STAGE} FROM STDIN WITH (FORMAT BINARY)"
            ) as copy:
                copy.set_types(["bigint", "text", "vector"])
                for pid, digest, vec in rows:
                    copy.write_row([int(pid), digest, np.asarray(vec, dtype=np.float32)])
            cursor.execute(
                f"INSERT INTO {vector_search.TABLE} "
                "(space_id, product_id, content_hash, embedding, updated_at) "
                f"SELECT %s, product_id, content_hash, embedding, %s FROM {_VECTOR_STAGE} "
                "ON CONFLICT (space_id, product_id) DO UPDATE "
                "SET content_hash = EXCLUDED.content_hash, embedding = EXCLUDED.embedding, "
                "updated_at = EXCLUDED.updated_at",
                [space.pk, now],
            )
            cursor.execute(f"DELETE FROM {_VECTOR_STAGE}")  # an enclosing transaction goes on

    def delete_products(self, product_ids: Iterable[int]) -> None:
        """Remove products everywhere: vectors of every space and their events."""
        ids = list(product_ids)
        with transaction.atomic():
            ProductVector.objects.filter(product_id__in=ids).delete()
            SimilarProductList.objects.filter(product_id__in=ids).delete()
            _strip_from_similar_lists(ids)
            InteractionEvent.objects.filter(product_id__in=ids).delete()

    # -- interactions ---------------------------------------------------------------

    def record(self, event: Event) -> bool:
        row = InteractionEvent(
            shopper_key=event.shopper_key,
            product_id=event.product_id,
            event_type=event.event_type.value,
            channel=event.channel,
            occurred_at=event.occurred_at,
            recommendation_list_id=event.recommendation_list_id,
            source_ref=event.source_ref,
        )
        try:
            with transaction.atomic():
                row.save()
        except IntegrityError:
            if event.source_ref is None:
                raise
            return False
        return True

    def history(self, shopper_key: str, limit: int) -> list[Event]:
        rows = (
            InteractionEvent.objects.using(read_alias())
            .filter(shopper_key=shopper_key)
            .order_by("-occurred_at", "-id")
            .values_list(
                "product_id", "event_type", "channel", "occurred_at", "recommendation_list_id"
            )[:limit]
        )
        events = [
            Event(
                shopper_key=shopper_key,
                product_id=int(pid),
                event_type=EventType(kind),
                occurred_at=when,
                channel=channel,
                recommendation_list_id=str(list_id) if list_id else None,
            )
            for pid, kind, channel, when, list_id in rows
        ]
        events.reverse()
        return events

    def popular(
        self,
        channel: str | None,
        k: int,
        candidate_filter: CandidateFilter,
        weights: Mapping[str, float],
        half_life_days: float,
        now: datetime,
    ) -> list[tuple[int, float]]:
        if _has_snapshot(channel):
            where, params = vector_search.filter_sql(candidate_filter, "p.product_id")
            rows = prepared.fetchall(
                read_connection(),
                f"SELECT p.product_id, p.score FROM {_POPULARITY_TABLE} p "
                f"WHERE p.channel = %s{where} ORDER BY p.score DESC, p.product_id LIMIT %s",
                [channel or "", *params, k],
            )
            return [(int(pid), float(score)) for pid, score in rows if score > 0]
        where, params = vector_search.filter_sql(candidate_filter, "e.product_id")
        sql, base_params = _popularity_query(channel, weights, half_life_days, now)
        with read_connection().cursor() as cursor:
            cursor.execute(
                f"{sql}{where} GROUP BY e.product_id ORDER BY score DESC, e.product_id LIMIT %s",
                [*base_params, *params, k],
            )
            return [(int(pid), float(score)) for pid, score in cursor.fetchall() if score > 0]

    def popularity(
        self,
        product_ids: Sequence[int],
        channel: str | None,
        weights: Mapping[str, float],
        half_life_days: float,
        now: datetime,
    ) -> tuple[dict[int, float], float]:
        if _has_snapshot(channel):
            # The channel's top comes along as one more row (product id NULL).
            with read_connection().cursor() as cursor:
                cursor.execute(
                    f"SELECT product_id, score FROM {_POPULARITY_TABLE} "
                    "WHERE channel = %s AND product_id = ANY(%s) "
                    f"UNION ALL SELECT NULL, max(score) FROM {_POPULARITY_TABLE} "
                    "WHERE channel = %s",
                    [channel or "", list(product_ids), channel or ""],
                )
                rows = cursor.fetchall()
            scores = {int(pid): float(score) for pid, score in rows if pid is not None}
            top = next((score for pid, score in rows if pid is None), None)
            return scores, float(top or 0.0)
        sql, params = _popularity_query(channel, weights, half_life_days, now)
        with read_connection().cursor() as cursor:
            cursor.execute(
                f"{sql} AND e.product_id = ANY(%s) GROUP BY e.product_id",
                [*params, list(product_ids)],
            )
            scores = {int(pid): float(score) for pid, score in cursor.fetchall()}
        return scores, self._top_popularity(channel, weights, half_life_days, now)

    def _top_popularity(
        self,
        channel: str | None,
        weights: Mapping[str, float],
        half_life_days: float,
        now: datetime,
    ) -> float:
        # The channel's best score needs a full aggregation; it moves slowly, so it
        # is reused for a few minutes instead of being recomputed per request.
        key = (channel, tuple(sorted(weights.items())), half_life_days)
        cached = _TOP_POPULARITY.get(key)
        if cached is not None and (now - cached[1]).total_seconds() < _TOP_POPULARITY_TTL_SECONDS:
            return cached[0]
        top = self.popular(channel, 1, CandidateFilter(), weights, half_life_days, now)
        value = top[0][1] if top else 0.0
        if len(_TOP_POPULARITY) >= _MAX_CACHED_SCOPES:
            _TOP_POPULARITY.clear()
        _TOP_POPULARITY[key] = (value, now)
        return value

    def refresh_popularity(
        self, weights: Mapping[str, float], half_life_days: float, now: datetime
    ) -> int:
        """Recompute every product's score per channel and shop-wide; returns the rows.

        One transaction: readers see the previous snapshot until it commits.
        """
        per_channel, params = _popularity_query(
            None, weights, half_life_days, now, with_channel=True
        )
        shop_wide, shop_params = _popularity_query(None, weights, half_life_days, now)
        columns = "channel, product_id, score, computed_at"
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {_POPULARITY_TABLE}")
            cursor.execute(
                f"INSERT INTO {_POPULARITY_TABLE} ({columns}) "
                f"SELECT channel, product_id, score, %s FROM ({per_channel} "
                "AND e.channel <> '' GROUP BY e.channel, e.product_id) s WHERE score > 0 "
                f"UNION ALL SELECT '', product_id, score, %s FROM ({shop_wide} "
                "GROUP BY e.product_id) t WHERE score > 0",
                [now, *params, now, *shop_params],
            )
            rows = cursor.rowcount
        _SNAPSHOTS.clear()
        return rows

    def save_list(
        self,
        shopper_key: str,
        channel: str,
        product_ids: Sequence[int],
        context_product_id: int | None,
    ) -> str:
        served = RecommendationList.objects.create(
            shopper_key=shopper_key,
            channel=channel,
            product_ids=list(product_ids),
            context_product_id=context_product_id,
        )
        return str(served.pk)

    def merge_shoppers(self, source_key: str, target_key: str) -> int:
        """Move a guest's events to an account (at sign-in); returns how many moved."""
        if source_key == target_key:
            return 0
        with transaction.atomic():
            moved = InteractionEvent.objects.filter(shopper_key=source_key).update(
                shopper_key=target_key
            )
            RecommendationList.objects.filter(shopper_key=source_key).update(
                shopper_key=target_key
            )
            ShopperProfile.objects.filter(shopper_key__in=[source_key, target_key]).delete()
        return moved

    def forget_shopper(self, shopper_key: str) -> None:
        """Delete everything known about a shopper (events, lists, profiles)."""
        with transaction.atomic():
            InteractionEvent.objects.filter(shopper_key=shopper_key).delete()
            RecommendationList.objects.filter(shopper_key=shopper_key).delete()
            ShopperProfile.objects.filter(shopper_key=shopper_key).delete()

    # -- profiles -------------------------------------------------------------------

    def load_profile(self, shopper_key: str) -> LongTermState | None:
        row = (
            ShopperProfile.objects.using(read_alias())
            .filter(shopper_key=shopper_key, space=self.space)
            .first()
        )
        return _state(row) if row is not None else None

    def save_shopper_lists(self, shopper_key: str, lists: ShopperLists | None) -> None:
        # A plain UPDATE leaves ``updated_at`` alone: the lists are valid for the
        # profile as it is now, and a later profile change invalidates them.
        ShopperProfile.objects.filter(shopper_key=shopper_key, space=self.space).update(
            session_list=_entries(lists.session) if lists is not None else None,
            lasting_list=_entries(lists.lasting) if lists is not None else None,
            session_until=lists.session_until if lists is not None else None,
            lists_for=F("updated_at") if lists is not None else None,
        )

    def stored_recommendations(
        self,
        shopper_key: str,
        now: datetime,
        candidate_filter: CandidateFilter,
        limit: int | None = None,
    ) -> list[Recommendation] | None | _NoHistory:
        """One statement: whether the shopper has events, their profile row's list for
        ``now`` (when still valid) and the filter. With ``limit``, at most that many new
        and that many seen entries are checked against the filter and returned."""
        entry_id = "(e.value->>0)::bigint"
        where, params = vector_search.filter_sql(candidate_filter, entry_id)
        cap = f" LIMIT {int(limit)}" if limit is not None else ""

        def entries(kind: str) -> str:
            return (
                "SELECT e.value, e.ord FROM jsonb_array_elements(CASE WHEN p.session_until >= %s "
                "  THEN p.session_list ELSE p.lasting_list END) WITH ORDINALITY AS e(value, ord) "
                f"WHERE (e.value->>2 = 'seen') = {kind} AND EXISTS (SELECT 1 "
                f"  FROM {vector_search.TABLE} v "
                f"  WHERE v.space_id = p.space_id AND v.product_id = {entry_id}){where} "
                f"ORDER BY e.ord{cap}"
            )

        sql = (
            f"SELECT EXISTS (SELECT 1 FROM {InteractionEvent._meta.db_table} h "
            "  WHERE h.shopper_key = %s), p.id IS NOT NULL, e.value "
            f"FROM (SELECT 1) one LEFT JOIN {ShopperProfile._meta.db_table} p "
            f"  ON p.shopper_key = %s AND p.space_id = {self._space_sql()} "
            "  AND p.lists_for = p.updated_at "
            f"LEFT JOIN LATERAL (({entries('false')}) UNION ALL ({entries('true')})) e ON true "
            "ORDER BY e.ord"
        )
        rows = prepared.fetchall(
            read_connection(), sql, [shopper_key, shopper_key, now, *params, now, *params]
        )
        has_events, has_lists, _value = rows[0]
        if not has_events:
            return NO_HISTORY
        if not has_lists:
            return None
        return [_recommendation(value) for *_flags, value in rows if value is not None]

    def _space_sql(self) -> str:
        """The pinned space's id, or the active one's (see ``spaces.active_space_id``)."""
        if self._space is not None:
            return str(int(self._space.pk))
        return str(int(spaces.active_space_id()))

    def update_profile(
        self,
        shopper_key: str,
        update: Callable[[LongTermState | None], LongTermState | None],
    ) -> LongTermState | None:
        space = self.space
        with transaction.atomic():
            row = (
                ShopperProfile.objects.select_for_update()
                .filter(shopper_key=shopper_key, space=space)
                .first()
            )
            new = update(_state(row) if row is not None else None)
            if new is None:
                if row is not None:
                    row.delete()
                return None
            if not math.isfinite(new.weight_sum):
                raise ValueError("profile weight is not finite")
            values = {
                "vector_sum": np.asarray(new.vector_sum, dtype=np.float32),
                "weight_sum": new.weight_sum,
                "as_of": new.as_of,
                "event_count": new.event_count,
            }
            ShopperProfile.objects.update_or_create(
                shopper_key=shopper_key, space=space, defaults=values
            )
        return new


def _strip_from_similar_lists(product_ids: Sequence[int]) -> None:
    """Take these products out of every stored similar list, keeping the others' order."""
    ids = vector_search.array_literal(product_ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_SIMILAR_TABLE} s SET product_ids = k.ids, scores = k.scores "
            f"FROM {_SIMILAR_TABLE} t CROSS JOIN LATERAL ("
            "  SELECT coalesce(array_agg(u.id ORDER BY u.ord), '{}') AS ids, "
            "  coalesce(array_agg(u.score ORDER BY u.ord), '{}') AS scores "
            "  FROM unnest(t.product_ids, t.scores) WITH ORDINALITY AS u(id, score, ord) "
            "  WHERE NOT (u.id = ANY(%s::bigint[]))) k "
            f"WHERE s.id = t.id AND t.id = ANY(ARRAY({similar_lists.lists_naming_sql()}))",
            [ids, ids],
        )


def clear_popularity_cache() -> None:
    """Forget cached channel tops (tests, or after bulk-importing events)."""
    _TOP_POPULARITY.clear()
    _SNAPSHOTS.clear()


def _has_snapshot(channel: str | None) -> bool:
    """Whether the popularity table holds the scores of this channel (checked once a minute)."""
    scope = channel or ""

    def look() -> bool:
        with read_connection().cursor() as cursor:
            cursor.execute(
                f"SELECT EXISTS (SELECT 1 FROM {_POPULARITY_TABLE} WHERE channel = %s)", [scope]
            )
            return bool(cursor.fetchone()[0])

    return _SNAPSHOTS.get(scope, look)


def _popularity_query(
    channel: str | None,
    weights: Mapping[str, float],
    half_life_days: float,
    now: datetime,
    *,
    with_channel: bool = False,
) -> tuple[str, list]:
    """SELECT [channel,] product_id, score FROM events WHERE … (open for more conditions
    and GROUP BY)."""
    cases = " ".join("WHEN %s THEN %s::float8" for _ in weights)
    params: list = [item for pair in weights.items() for item in pair]
    since = now - timedelta(days=half_life_days * _POPULARITY_HORIZON_HALF_LIVES)
    sql = (
        f"SELECT {'e.channel AS channel, ' if with_channel else ''}"
        "e.product_id AS product_id, SUM(CASE e.event_type "
        f"{cases} ELSE 0 END * power(0.5, "
        "extract(epoch FROM (%s - e.occurred_at)) / 86400.0 / %s)) AS score "
        f"FROM {InteractionEvent._meta.db_table} e WHERE e.occurred_at > %s"
    )
    params += [now, half_life_days, since]
    if channel:
        sql += " AND e.channel = %s"
        params.append(channel)
    return sql, params


def _entries(items: Sequence[Recommendation] | None) -> list | None:
    if items is None:
        return None
    return [
        [
            i.product_id,
            i.score,
            i.reason.kind.value,
            i.reason.product_id,
            i.reason.event_type.value if i.reason.event_type is not None else None,
        ]
        for i in items
    ]


def _recommendation(entry) -> Recommendation:
    if isinstance(entry, str):  # a driver that leaves jsonb as text
        entry = json.loads(entry)
    product_id, score, kind, source, event_type = entry
    reason = Reason(
        ReasonKind(kind),
        product_id=source,
        event_type=EventType(event_type) if event_type is not None else None,
    )
    return Recommendation(int(product_id), float(score), reason)


def _state(row: ShopperProfile) -> LongTermState:
    return LongTermState(
        # Through float32, the stored type: exact whether the ORM read text or binary.
        vector_sum=np.asarray(row.vector_sum, dtype=np.float32).astype(np.float64),
        weight_sum=row.weight_sum,
        as_of=row.as_of,
        event_count=row.event_count,
    )
