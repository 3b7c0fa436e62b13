"""Serving recommendations: profile → candidates → re-rank → explain."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from . import profiles
from .diversity import mmr
from .events import Event, EventType
from .explain import Reason, ReasonKind, attribute, strongest_events
from .filters import NO_FILTER, CandidateFilter
from .ports import (
    NO_HISTORY,
    Neighbor,
    ProductVectorStore,
    Recommendation,
    RecommendationStore,
    ShopperLists,
    UnknownProductError,
)
from .profiles import ProfileConfig
from .ranking_model import RankingModel

MAX_RESULTS = 100


SIMILAR_POOL_PER_RESULT = 5
# Entries kept per product in a stored similar list: room for a channel's filter to
# drop most of them and still fill a product page's or a listing card's few slots.
SIMILAR_LIST_LENGTH = 40
# Entries kept per stored shopper list (see :meth:`Recommender.save_shopper_lists`).
SHOPPER_LIST_LENGTH = 50


@dataclass(frozen=True)
class RankingConfig:
    """How candidates are found and re-ranked."""

    candidate_pool: int = 100
    diversity: float = 0.1
    # Re-ranking nudge towards what sells: relevance + weight * popularity_boost.
    popularity_weight: float = 0.2
    # Bought products are hidden by default; viewed ones may come back, since a
    # shopper comparing products wants to find them again, but as reminders after
    # the new ones, at most ``seen_share`` of a list (unless too few are new): their own
    # products resemble the shopper's profile most and would otherwise fill the list.
    exclude_purchased: bool = True
    exclude_seen: bool = False
    seen_share: float = 0.2
    history_limit: int = 200
    # Share of the query taken by the product page being looked at.
    context_weight: float = 0.6
    popularity_half_life_days: float = 7.0

    def __post_init__(self) -> None:
        if self.candidate_pool < 1:
            raise ValueError(f"candidate_pool must be at least 1, got {self.candidate_pool}")
        if not 0.0 <= self.diversity <= 1.0:
            raise ValueError(f"diversity must be between 0 and 1, got {self.diversity}")
        if self.popularity_weight < 0:
            raise ValueError(f"popularity_weight must not be negative, got {self.popularity_weight}")
        if not 0.0 <= self.context_weight <= 1.0:
            raise ValueError(f"context_weight must be between 0 and 1, got {self.context_weight}")
        if not 0.0 <= self.seen_share <= 1.0:
            raise ValueError(f"seen_share must be between 0 and 1, got {self.seen_share}")
        if self.history_limit < 1:
            raise ValueError(f"history_limit must be at least 1, got {self.history_limit}")
        if self.popularity_half_life_days <= 0:
            raise ValueError("popularity_half_life_days must be positive")


@dataclass(frozen=True)
class ModelRanking:
    """A ranking model that ranks shoppers' stored lists, with its own product vectors.

    ``vectors`` searches the model's product vectors (as ``model.item_vectors``
    made them) under the same filters as the main store; the shopper's query is
    ``model.shopper_vector`` over their history and the main store's text
    vectors. Without one, the content profile ranks.
    """

    model: RankingModel
    vectors: ProductVectorStore


@dataclass(frozen=True)
class RecommendationList:
    id: str | None
    shopper_key: str | None
    channel: str
    items: list[Recommendation]


def popularity_boost(popularity: np.ndarray, top_popularity: float) -> np.ndarray:
    """Popularity on a 0..1 log scale relative to the most popular product."""
    if top_popularity <= 0:
        return np.zeros_like(popularity, dtype=np.float64)
    return np.log1p(np.maximum(popularity, 0.0)) / np.log1p(top_popularity)


def _check_k(k: int) -> None:
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= MAX_RESULTS:
        raise ValueError(f"k must be an integer from 1 to {MAX_RESULTS}, got {k!r}")


class Recommender:
    """The engine's serving entry point, over any :class:`RecommendationStore`."""

    def __init__(
        self,
        store: RecommendationStore,
        profile_config: ProfileConfig = ProfileConfig(),
        ranking_config: RankingConfig = RankingConfig(),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        model_ranking: ModelRanking | None = None,
    ) -> None:
        self.store = store
        self.profile_config = profile_config
        self.ranking_config = ranking_config
        self.clock = clock
        self.model_ranking = model_ranking

    # -- learning from events -------------------------------------------------

    def track(self, event: Event) -> bool:
        """Record an event and fold it into the shopper's long-term profile.

        Returns False (and changes nothing) for an event already recorded.
        """
        vector = self.store.vectors([event.product_id]).get(event.product_id)
        if vector is None:
            raise UnknownProductError(event.product_id)
        if not self.store.record(event):
            return False

        def fold(state: profiles.LongTermState | None) -> profiles.LongTermState | None:
            if state is None:  # none stored yet: the whole history, this event included
                return self._long_term_from_history(event.shopper_key)
            return profiles.add_event(
                state, vector, event.event_type, event.occurred_at, self.profile_config
            )

        self.store.update_profile(event.shopper_key, fold)
        return True

    def _long_term_from_history(self, shopper_key: str) -> profiles.LongTermState | None:
        history = self.store.history(shopper_key, self.ranking_config.history_limit)
        vectors = self.store.vectors(sorted({e.product_id for e in history}))
        return profiles.long_term(history, vectors, self.profile_config)

    def rebuild_profile(self, shopper_key: str) -> profiles.LongTermState | None:
        """Recompute a long-term profile from the stored events (after a merge or model switch)."""
        state = self._long_term_from_history(shopper_key)
        return self.store.update_profile(shopper_key, lambda _old: state)

    def merge_shoppers(self, source_key: str, target_key: str) -> None:
        """Fold a guest's history into an account, e.g. when the guest signs in."""
        self.store.merge_shoppers(source_key, target_key)
        self.rebuild_profile(target_key)

    def forget_shopper(self, shopper_key: str) -> None:
        """Delete the shopper's events, served lists and profiles."""
        self.store.forget_shopper(shopper_key)

    # -- serving ----------------------------------------------------------------

    def recommend(
        self,
        shopper_key: str | None,
        channel: str,
        k: int = 10,
        *,
        context_product_id: int | None = None,
        candidate_filter: CandidateFilter = NO_FILTER,
        remember: bool = True,
    ) -> RecommendationList:
        """Top-``k`` products for a shopper (or a guest with no key) in ``channel``."""
        _check_k(k)
        history: list[Event] | None = None
        if shopper_key and context_product_id is None:
            stored = self.store.stored_recommendations(
                shopper_key, self.clock(), candidate_filter, limit=k
            )
            if stored is NO_HISTORY:
                history, stored = [], None
            items = self._pick_stored(stored, k) if stored is not None else []
            if len(items) == k:
                list_id = None
                if remember:
                    list_id = self.store.save_list(
                        shopper_key, channel, [i.product_id for i in items], None
                    )
                return RecommendationList(list_id, shopper_key, channel, items)
        return self._recommend_live(
            shopper_key, channel, k, context_product_id, candidate_filter, remember, history
        )

    def _recommend_live(
        self,
        shopper_key: str | None,
        channel: str,
        k: int,
        context_product_id: int | None,
        candidate_filter: CandidateFilter,
        remember: bool,
        history: list[Event] | None = None,
    ) -> RecommendationList:
        config = self.ranking_config
        if history is None:
            history = self.store.history(shopper_key, config.history_limit) if shopper_key else []
        wanted = {e.product_id for e in history}
        if context_product_id is not None:
            wanted.add(context_product_id)
        vectors = self.store.vectors(sorted(wanted))
        context = None
        if context_product_id is not None:
            context = vectors.get(context_product_id)
            if context is None:
                raise UnknownProductError(context_product_id)

        query = self._query(shopper_key, history, vectors, context)
        excluded = self._excluded(history, context_product_id)
        flt = candidate_filter.excluding(excluded)
        items: list[Recommendation] = []
        if query is not None:
            neighbors = self.store.nearest(query, max(config.candidate_pool, k), flt)
            items = self._rerank(
                neighbors, k, history, vectors, context_product_id, context, channel
            )
        if len(items) < k:
            items += self._fallback(channel, k - len(items), flt.excluding(i.product_id for i in items))
        list_id = None
        if remember and items:
            list_id = self.store.save_list(
                shopper_key or "", channel, [i.product_id for i in items], context_product_id
            )
        return RecommendationList(list_id, shopper_key, channel, items)

    def shopper_lists(
        self, shopper_key: str, length: int = SHOPPER_LIST_LENGTH
    ) -> ShopperLists | None:
        """The shopper's lists to store (see :class:`ShopperLists`); None without history.

        With a :class:`ModelRanking` its model ranks one list from the whole
        sequence (the visit and the lasting taste are both in it).
        """
        history = self.store.history(shopper_key, self.ranking_config.history_limit)
        if not history:
            return None
        if self.model_ranking is not None:
            return self._model_lists(history, length)
        vectors = self.store.vectors(sorted({e.product_id for e in history}))
        state = self.store.load_profile(shopper_key)
        if state is None:
            state = profiles.long_term(history, vectors, self.profile_config)
        lasting_query = state.preference() if state is not None else None
        now = self.clock()
        session_query = self._query(shopper_key, history, vectors, None, state)
        newest = max(e.occurred_at for e in history)
        session_until = newest + timedelta(minutes=self.profile_config.session_gap_minutes)
        in_session = session_query is not None and now <= session_until
        excluded = NO_FILTER.excluding(self._excluded(history, None))

        def ranked(query: np.ndarray | None) -> list[Recommendation] | None:
            if query is None:
                return None
            pool = max(self.ranking_config.candidate_pool, length)
            neighbors = self.store.nearest(query, pool, excluded)
            return self._rerank(neighbors, length, history, vectors, None, None)

        lasting = ranked(lasting_query)
        if not in_session:
            return ShopperLists(None, lasting, None)
        # Without a long-term profile the visit's list is all there is.
        same = lasting_query is not None and np.array_equal(session_query, lasting_query)
        session = lasting if same else ranked(session_query)
        return ShopperLists(session, lasting, session_until)

    def _model_lists(self, history: Sequence[Event], length: int) -> ShopperLists:
        ranking = self.model_ranking
        assert ranking is not None
        seen = sorted({e.product_id for e in history})
        query = ranking.model.shopper_vector(history, self.store.vectors(seen), now=self.clock())
        if query is None:
            return ShopperLists(None, None, None)
        excluded = NO_FILTER.excluding(self._excluded(history, None))
        pool = max(self.ranking_config.candidate_pool, length)
        neighbors = ranking.vectors.nearest(query, pool, excluded)
        # Diversity and reasons compare products in the model's own space.
        own = ranking.vectors.vectors(seen)
        return ShopperLists(None, self._rerank(neighbors, length, history, own, None, None), None)

    def save_shopper_lists(self, shopper_key: str) -> ShopperLists | None:
        """Compute and store the shopper's lists (a worker's job after each event)."""
        lists = self.shopper_lists(shopper_key)
        self.store.save_shopper_lists(shopper_key, lists)
        return lists

    def _pick_stored(self, stored: Sequence[Recommendation], k: int) -> list[Recommendation]:
        """The list a live ranking gives from stored entries: new products first, then
        at most :attr:`RankingConfig.seen_share` of ``k`` seen ones as reminders."""
        new = [i for i in stored if i.reason.kind is not ReasonKind.SEEN]
        seen = [i for i in stored if i.reason.kind is ReasonKind.SEEN]
        reminders = min(int(k * self.ranking_config.seen_share), len(seen))
        picked = new[: k - reminders]
        return picked + seen[: k - len(picked)]

    def similar_products(
        self,
        product_id: int,
        k: int = 10,
        candidate_filter: CandidateFilter = NO_FILTER,
        channel: str | None = None,
    ) -> list[Recommendation]:
        """Products most like ``product_id`` by text, itself excluded, lightly diversified."""
        _check_k(k)
        vector = self.store.vectors([product_id]).get(product_id)
        if vector is None:
            raise UnknownProductError(product_id)
        flt = candidate_filter.excluding([product_id])
        neighbors = self.store.nearest(vector, self._similar_pool(k), flt)
        return self._rerank(neighbors, k, [], {product_id: vector}, product_id, vector, channel)

    def similar_products_many(
        self,
        product_ids: Sequence[int],
        k: int = 10,
        candidate_filter: CandidateFilter = NO_FILTER,
        channel: str | None = None,
    ) -> dict[int, list[Recommendation]]:
        """:meth:`similar_products` for a page of products at once; unknown ids map to []."""
        _check_k(k)
        stored = self.store.stored_similar(list(product_ids), k, candidate_filter)
        results = {
            product_id: [
                Recommendation(pid, score, Reason(ReasonKind.CONTEXT, product_id=product_id))
                for pid, score in entries
            ]
            for product_id, entries in stored.items()
        }
        missing = [pid for pid in product_ids if pid not in stored]
        if missing:
            results.update(self._similar_live(missing, k, candidate_filter, channel))
        return results

    def similar_lists(
        self, product_ids: Sequence[int], length: int = SIMILAR_LIST_LENGTH
    ) -> dict[int, list[Recommendation]]:
        """Each product's similar list for the store: unfiltered, shop-wide popularity.

        Serving keeps the first entries a channel can sell; a filter that leaves
        fewer than it needs sends that product to a live search instead.
        """
        return self._similar_live(list(product_ids), length, NO_FILTER, None)

    def save_similar_lists(self, product_ids: Sequence[int]) -> int:
        """Compute and store the similar lists of these products; returns how many."""
        lists = self.similar_lists(product_ids)
        self.store.save_similar(
            {pid: [(i.product_id, i.score) for i in items] for pid, items in lists.items()}
        )
        return len(lists)

    def _similar_live(
        self,
        product_ids: Sequence[int],
        k: int,
        candidate_filter: CandidateFilter,
        channel: str | None,
    ) -> dict[int, list[Recommendation]]:
        neighbors = self.store.nearest_many(
            list(product_ids), self._similar_pool(k), candidate_filter
        )
        sources = self.store.vectors(sorted(neighbors))
        # One popularity read for the whole page, so a page costs the same number
        # of queries whatever its size.
        boosts: dict[int, float] | None = None
        if self.ranking_config.popularity_weight > 0:
            page = sorted({n.product_id for found in neighbors.values() for n in found})
            boosts = dict(zip(page, self._popularity(page, channel).tolist())) if page else {}
        results: dict[int, list[Recommendation]] = {}
        for product_id in product_ids:
            vector = sources.get(product_id)
            found = neighbors.get(product_id, [])
            results[product_id] = (
                self._rerank(
                    found, k, [], {product_id: vector}, product_id, vector, channel, boosts
                )
                if vector is not None
                else []
            )
        return results

    # -- steps ------------------------------------------------------------------

    def _similar_pool(self, k: int) -> int:
        # Five candidates per result, at most half the personal pool: a product page
        # needs little re-ranking room, and every candidate of every product on a
        # page is checked against what the channel can sell. Both similar paths
        # use it, so a page gives exactly what one-by-one calls give.
        return max(min(self.ranking_config.candidate_pool // 2, SIMILAR_POOL_PER_RESULT * k), k)

    def _query(
        self,
        shopper_key: str | None,
        history: Sequence[Event],
        vectors: dict[int, np.ndarray],
        context: np.ndarray | None,
        state: profiles.LongTermState | None = None,
    ) -> np.ndarray | None:
        config = self.profile_config
        long_vector = None
        if history:
            if state is None and shopper_key:
                state = self.store.load_profile(shopper_key)
            if state is None:
                # No stored profile (events kept before anything was indexed, or
                # under another model): computed from the history already read, not
                # stored, since serving writes nothing. The next event stores one.
                state = profiles.long_term(history, vectors, config)
            long_vector = state.preference() if state is not None else None
        short_vector = profiles.short_term(history, vectors, config, now=self.clock())
        query = profiles.blend(long_vector, short_vector, config)
        if context is None:
            return query
        if query is None:
            return context
        weight = self.ranking_config.context_weight
        mixed = weight * context + (1.0 - weight) * query
        return (mixed / np.linalg.norm(mixed)).astype(np.float32)

    def _excluded(self, history: Sequence[Event], context_product_id: int | None) -> set[int]:
        config = self.ranking_config
        excluded: set[int] = set()
        for event in history:
            if config.exclude_seen or (
                config.exclude_purchased and event.event_type is EventType.PURCHASE
            ):
                excluded.add(event.product_id)
        if context_product_id is not None:
            excluded.add(context_product_id)
        return excluded

    def _pick(
        self, relevance: np.ndarray, vectors: np.ndarray, k: int, seen: Sequence[bool]
    ) -> list[int]:
        """Indexes of the list: new products by MMR, then a few seen ones as reminders."""
        seen_at = [i for i, flag in enumerate(seen) if flag]
        if not seen_at:
            return mmr(relevance, vectors, k, self.ranking_config.diversity)
        new_at = [i for i, flag in enumerate(seen) if not flag]
        reminders = min(int(k * self.ranking_config.seen_share), len(seen_at))
        wanted_new = min(len(new_at), k - reminders)
        diversity = self.ranking_config.diversity
        picked_new = [
            new_at[i] for i in mmr(relevance[new_at], vectors[new_at], wanted_new, diversity)
        ]
        closest_seen = sorted(seen_at, key=lambda i: -relevance[i])
        return picked_new + closest_seen[: k - len(picked_new)]

    def _rerank(
        self,
        neighbors: Sequence[Neighbor],
        k: int,
        history: Sequence[Event],
        vectors: dict[int, np.ndarray],
        context_product_id: int | None,
        context: np.ndarray | None,
        channel: str | None = None,
        boosts: Mapping[int, float] | None = None,
    ) -> list[Recommendation]:
        if not neighbors:
            return []
        events = strongest_events(history)
        relevance = np.array([n.similarity for n in neighbors], dtype=np.float64)
        if self.ranking_config.popularity_weight > 0:
            ids = [n.product_id for n in neighbors]
            boost = (
                np.array([boosts.get(p, 0.0) for p in ids])
                if boosts is not None
                else self._popularity(ids, channel)
            )
            relevance = relevance + self.ranking_config.popularity_weight * boost
        candidate_vectors = np.stack([n.vector for n in neighbors]).astype(np.float32)
        seen = [n.product_id in events for n in neighbors]
        picked = self._pick(relevance, candidate_vectors, k, seen)
        sources = [pid for pid in events if pid in vectors]
        if context_product_id is not None:
            sources.append(context_product_id)
        chosen = candidate_vectors[picked]
        owners = (
            attribute(chosen, sources, np.stack([vectors[s] for s in sources]))
            if sources
            else [None] * len(picked)
        )
        items = []
        for index, owner in zip(picked, owners):
            product_id = neighbors[index].product_id
            if product_id in events:
                # Shown again (nothing hides it): it resembles itself most, so say so.
                reason = Reason(
                    ReasonKind.SEEN, product_id=product_id, event_type=events[product_id]
                )
            elif owner is None:
                reason = Reason(ReasonKind.NEW)
            elif owner == context_product_id:
                reason = Reason(ReasonKind.CONTEXT, product_id=owner)
            else:
                reason = Reason(ReasonKind.HISTORY, product_id=owner, event_type=events[owner])
            items.append(Recommendation(product_id, float(relevance[index]), reason))
        return items

    def refresh_popularity(self) -> int:
        """Recompute the store's popularity snapshot (a periodic job, never per request)."""
        half_life = self.ranking_config.popularity_half_life_days
        return self.store.refresh_popularity(self._event_weights(), half_life, self.clock())

    def _event_weights(self) -> dict[str, float]:
        return {e.value: w for e, w in self.profile_config.event_weights.items()}

    def _popularity(self, product_ids: list[int], channel: str | None) -> np.ndarray:
        half_life = self.ranking_config.popularity_half_life_days
        scores, top = self.store.popularity(
            product_ids, channel, self._event_weights(), half_life, self.clock()
        )
        return popularity_boost(np.array([scores.get(p, 0.0) for p in product_ids]), top)

    def _fallback(self, channel: str, k: int, flt: CandidateFilter) -> list[Recommendation]:
        """Cold start: channel best-sellers, then shop-wide ones, then the newest products."""
        config = self.ranking_config
        weights = self._event_weights()
        items: list[Recommendation] = []
        for scope in (channel, None):
            if len(items) >= k:
                break
            ranked = self.store.popular(
                scope, k - len(items), flt, weights,
                config.popularity_half_life_days, self.clock(),
            )
            if not ranked:
                continue
            # Scores on the same 0..1 scale as the popularity boost of ranked lists.
            boosts = popularity_boost(np.array([s for _, s in ranked]), ranked[0][1])
            for (product_id, _), boost in zip(ranked, boosts):
                items.append(
                    Recommendation(product_id, float(boost), Reason(ReasonKind.POPULAR, channel=scope or ""))
                )
            flt = flt.excluding(pid for pid, _ in ranked)
        if len(items) < k:
            for product_id in self.store.newest(k - len(items), flt):
                items.append(Recommendation(product_id, 0.0, Reason(ReasonKind.NEW)))
        return items
