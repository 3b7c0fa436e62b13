"""The engine's ports in memory: exact search with numpy, for tests and experiments.

:class:`MemoryStore` behaves as the PostgreSQL store does (same orders, same
tie-breaks, profiles kept as float32) so the recommender's logic can be tested
without a database; one contract test runs the same assertions against both.
It holds one embedding space and is not meant for concurrent use.
"""

from __future__ import annotations

import itertools
import math
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import numpy as np

from .events import Event
from .filters import CandidateFilter
from .ports import (
    NO_HISTORY,
    Neighbor,
    Recommendation,
    ShopperLists,
    _NoHistory,
    similar_window,
)
from .profiles import LongTermState

# As in the PostgreSQL store: events older than this many half-lives are not summed.
POPULARITY_HORIZON_HALF_LIVES = 10


@dataclass(frozen=True)
class _Vector:
    content_hash: str
    vector: np.ndarray
    version: int  # when it was last written, for :meth:`MemoryStore.newest`


@dataclass(frozen=True)
class _ServedList:
    shopper_key: str
    channel: str
    product_ids: tuple[int, ...]
    context_product_id: int | None


class MemoryStore:
    """Vectors, events, profiles and served lists in dictionaries.

    A filter's allowed and excluded ids are honoured; a
    :class:`~saleor_personalization.engine.filters.SqlCondition` needs SQL, so a
    filter carrying one raises ``ValueError``.
    """

    def __init__(self, dimensions: int | None = None) -> None:
        self.dimensions = dimensions
        self._vectors: dict[int, _Vector] = {}
        self._events: list[Event] = []
        self._profiles: dict[str, LongTermState] = {}
        self._lists: dict[str, _ServedList] = {}
        self._popularity: dict[str, dict[int, float]] = {}
        self._similar: dict[int, list[tuple[int, float]]] = {}
        # Lists with the profile they were computed from: valid while it is current.
        self._shopper_lists: dict[str, tuple[LongTermState, ShopperLists]] = {}
        self._versions = itertools.count()

    # -- product vectors ----------------------------------------------------------

    def upsert_vectors(self, rows: Sequence[tuple[int, str, np.ndarray]]) -> None:
        """Insert or replace (product_id, content_hash, vector) rows."""
        for product_id, _digest, vector in rows:
            if self.dimensions is None:
                self.dimensions = len(vector)
            if len(vector) != self.dimensions:
                raise ValueError(
                    f"product {product_id}: vector has {len(vector)} dimensions, "
                    f"the store has {self.dimensions}"
                )
        for product_id, digest, vector in rows:
            self._vectors[int(product_id)] = _Vector(
                digest, np.array(vector, dtype=np.float32), next(self._versions)
            )

    def content_hashes(self, product_ids: Iterable[int]) -> dict[int, str]:
        return {
            int(pid): self._vectors[int(pid)].content_hash
            for pid in product_ids
            if int(pid) in self._vectors
        }

    def vectors(self, product_ids: Sequence[int]) -> dict[int, np.ndarray]:
        return {
            int(pid): self._vectors[int(pid)].vector.copy()
            for pid in product_ids
            if int(pid) in self._vectors
        }

    def delete_products(self, product_ids: Iterable[int]) -> None:
        """Remove products: their vectors, similar lists and events."""
        ids = {int(pid) for pid in product_ids}
        for pid in ids:
            self._vectors.pop(pid, None)
            self._similar.pop(pid, None)
        for source, entries in self._similar.items():
            self._similar[source] = [(pid, score) for pid, score in entries if pid not in ids]
        self._events = [e for e in self._events if e.product_id not in ids]

    def nearest(
        self, query: np.ndarray, k: int, candidate_filter: CandidateFilter
    ) -> list[Neighbor]:
        _check_k(k)
        query = np.asarray(query, dtype=np.float32)
        if self.dimensions is not None and query.shape != (self.dimensions,):
            raise ValueError(
                f"query has {query.shape[-1]} dimensions, the store has {self.dimensions}"
            )
        return self._search(query, k, self._candidates(candidate_filter))

    def nearest_many(
        self, product_ids: Sequence[int], k: int, candidate_filter: CandidateFilter
    ) -> dict[int, list[Neighbor]]:
        _check_k(k)
        candidates = self._candidates(candidate_filter)
        return {
            int(source): self._search(
                self._vectors[int(source)].vector,
                k,
                [pid for pid in candidates if pid != int(source)],
            )
            for source in product_ids
            if int(source) in self._vectors
        }

    def stored_similar(
        self, product_ids: Sequence[int], k: int, candidate_filter: CandidateFilter
    ) -> dict[int, list[tuple[int, float]]]:
        _check_k(k)
        _check_filter(candidate_filter)
        found = {}
        for source in product_ids:
            window = self._similar.get(int(source), [])[: similar_window(k)]
            passing = [(pid, score) for pid, score in window if candidate_filter.allows(pid)]
            if len(passing) >= k:
                found[int(source)] = passing[:k]
        return found

    def save_similar(self, lists: Mapping[int, Sequence[tuple[int, float]]]) -> None:
        for source, entries in lists.items():
            self._similar[int(source)] = [(int(pid), float(score)) for pid, score in entries]

    def newest(self, k: int, candidate_filter: CandidateFilter) -> list[int]:
        candidates = self._candidates(candidate_filter)
        candidates.sort(key=lambda pid: (-self._vectors[pid].version, pid))
        return candidates[:k]

    def _candidates(self, candidate_filter: CandidateFilter) -> list[int]:
        _check_filter(candidate_filter)
        return [pid for pid in self._vectors if candidate_filter.allows(pid)]

    def _search(self, query: np.ndarray, k: int, candidates: list[int]) -> list[Neighbor]:
        if not candidates:
            return []
        matrix = np.stack([self._vectors[pid].vector for pid in candidates]).astype(np.float64)
        query64 = query.astype(np.float64)
        norms = np.linalg.norm(matrix, axis=1) * np.linalg.norm(query64)
        similarity = (matrix @ query64) / np.where(norms > 0, norms, 1.0)
        order = np.lexsort((np.array(candidates), -similarity))
        return [
            Neighbor(candidates[i], float(similarity[i]), self._vectors[candidates[i]].vector.copy())
            for i in order[:k]
        ]

    # -- interactions ---------------------------------------------------------------

    def record(self, event: Event) -> bool:
        if event.source_ref is not None and any(
            e.source_ref == event.source_ref for e in self._events
        ):
            return False
        self._events.append(event)
        return True

    def history(self, shopper_key: str, limit: int) -> list[Event]:
        # As read back from a table: in recording order for equal times, without source_ref.
        own = [e for e in self._events if e.shopper_key == shopper_key]
        own = sorted(own, key=lambda e: e.occurred_at)
        return [replace(e, source_ref=None) for e in own[len(own) - limit :]] if limit > 0 else []

    def popular(
        self,
        channel: str | None,
        k: int,
        candidate_filter: CandidateFilter,
        weights: Mapping[str, float],
        half_life_days: float,
        now: datetime,
    ) -> list[tuple[int, float]]:
        _check_filter(candidate_filter)
        scores = self._scores(channel, weights, half_life_days, now)
        ranked = sorted(
            ((pid, score) for pid, score in scores.items() if candidate_filter.allows(pid)),
            key=lambda item: (-item[1], item[0]),
        )
        return [(pid, score) for pid, score in ranked[:k] if score > 0]

    def popularity(
        self,
        product_ids: Sequence[int],
        channel: str | None,
        weights: Mapping[str, float],
        half_life_days: float,
        now: datetime,
    ) -> tuple[dict[int, float], float]:
        scores = self._scores(channel, weights, half_life_days, now)
        wanted = {int(pid) for pid in product_ids}
        top = max((s for s in scores.values() if s > 0), default=0.0)
        return {pid: s for pid, s in scores.items() if pid in wanted}, top

    def refresh_popularity(
        self, weights: Mapping[str, float], half_life_days: float, now: datetime
    ) -> int:
        """Snapshot the scores per channel and shop-wide; reads use it until the next one."""
        channels = sorted({e.channel for e in self._events if e.channel})
        snapshot = {
            scope: {
                pid: score
                for pid, score in _decayed_scores(
                    self._events, scope, weights, half_life_days, now
                ).items()
                if score > 0
            }
            for scope in ["", *channels]
        }
        self._popularity = {scope: scores for scope, scores in snapshot.items() if scores}
        return sum(len(scores) for scores in self._popularity.values())

    def _scores(
        self, channel: str | None, weights: Mapping[str, float], half_life_days: float, now: datetime
    ) -> dict[int, float]:
        snapshot = self._popularity.get(channel or "")
        if snapshot is not None:
            return dict(snapshot)
        return _decayed_scores(self._events, channel, weights, half_life_days, now)

    def merge_shoppers(self, source_key: str, target_key: str) -> int:
        """Move a guest's events and lists to an account; both profiles are dropped."""
        if source_key == target_key:
            return 0
        moved = 0
        for index, event in enumerate(self._events):
            if event.shopper_key == source_key:
                self._events[index] = replace(event, shopper_key=target_key)
                moved += 1
        for list_id, served in self._lists.items():
            if served.shopper_key == source_key:
                self._lists[list_id] = replace(served, shopper_key=target_key)
        self._profiles.pop(source_key, None)
        self._profiles.pop(target_key, None)
        return moved

    def forget_shopper(self, shopper_key: str) -> None:
        """Delete everything known about a shopper (events, lists, profile)."""
        self._events = [e for e in self._events if e.shopper_key != shopper_key]
        self._lists = {i: s for i, s in self._lists.items() if s.shopper_key != shopper_key}
        self._profiles.pop(shopper_key, None)

    def save_list(
        self,
        shopper_key: str,
        channel: str,
        product_ids: Sequence[int],
        context_product_id: int | None,
    ) -> str:
        list_id = str(uuid.uuid4())
        self._lists[list_id] = _ServedList(
            shopper_key, channel, tuple(int(p) for p in product_ids), context_product_id
        )
        return list_id

    def served_list(self, list_id: str) -> tuple[str, str, list[int], int | None] | None:
        """(shopper key, channel, product ids, context product) of a saved list."""
        served = self._lists.get(list_id)
        if served is None:
            return None
        return served.shopper_key, served.channel, list(served.product_ids), served.context_product_id

    # -- profiles -------------------------------------------------------------------

    def load_profile(self, shopper_key: str) -> LongTermState | None:
        return self._profiles.get(shopper_key)

    def save_shopper_lists(self, shopper_key: str, lists: ShopperLists | None) -> None:
        profile = self._profiles.get(shopper_key)
        if lists is None or profile is None:
            self._shopper_lists.pop(shopper_key, None)
        else:
            self._shopper_lists[shopper_key] = (profile, lists)

    def stored_recommendations(
        self,
        shopper_key: str,
        now: datetime,
        candidate_filter: CandidateFilter,
        limit: int | None = None,
    ) -> list[Recommendation] | None | _NoHistory:
        _check_filter(candidate_filter)
        if not any(e.shopper_key == shopper_key for e in self._events):
            return NO_HISTORY
        profile, lists = self._shopper_lists.get(shopper_key, (None, None))
        if lists is None or profile is not self._profiles.get(shopper_key):
            return None
        in_session = lists.session_until is not None and now <= lists.session_until
        chosen = (lists.session if in_session else lists.lasting) or []
        passing = [
            item
            for item in chosen
            if item.product_id in self._vectors and candidate_filter.allows(item.product_id)
        ]
        if limit is None:
            return passing
        new = [i for i in passing if i.reason.kind != "seen"][:limit]
        seen = [i for i in passing if i.reason.kind == "seen"][:limit]
        return [i for i in passing if i in new or i in seen]

    def update_profile(
        self,
        shopper_key: str,
        update: Callable[[LongTermState | None], LongTermState | None],
    ) -> LongTermState | None:
        new = update(self._profiles.get(shopper_key))
        if new is None:
            self._profiles.pop(shopper_key, None)
            return None
        if not math.isfinite(new.weight_sum):
            raise ValueError("profile weight is not finite")
        # Kept as float32, the type the PostgreSQL store keeps.
        stored = np.asarray(new.vector_sum, dtype=np.float32).astype(np.float64)
        self._profiles[shopper_key] = replace(new, vector_sum=stored)
        return new


def _check_k(k: int) -> None:
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")


def _check_filter(candidate_filter: CandidateFilter) -> None:
    if candidate_filter.condition is not None:
        raise ValueError(
            "MemoryStore cannot evaluate a SqlCondition (it is SQL, run by the PostgreSQL "
            "store); filter by allowed_ids / excluded_ids instead"
        )


def _decayed_scores(
    events: Iterable[Event],
    channel: str | None,
    weights: Mapping[str, float],
    half_life_days: float,
    now: datetime,
) -> dict[int, float]:
    """Per product: the sum of event weights, halved every ``half_life_days``."""
    since = now - timedelta(days=half_life_days * POPULARITY_HORIZON_HALF_LIVES)
    scores: dict[int, float] = {}
    for event in events:
        if event.occurred_at <= since or (channel and event.channel != channel):
            continue
        age_days = (now - event.occurred_at).total_seconds() / 86400.0
        score = weights.get(event.event_type.value, 0.0) * 0.5 ** (age_days / half_life_days)
        scores[event.product_id] = scores.get(event.product_id, 0.0) + score
    return scores
