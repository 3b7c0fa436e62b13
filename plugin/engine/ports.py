"""The ports: the narrow interface the engine needs from storage.

:class:`~saleor_personalization.store.DjangoStore` implements them on PostgreSQL +
pgvector for production, :class:`~saleor_personalization.engine.memory_store.MemoryStore`
in memory for tests; the engine only ever sees these protocols and plain dataclasses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import numpy as np

from .events import Event
from .explain import Reason
from .filters import CandidateFilter
from .profiles import LongTermState


@dataclass(frozen=True)
class Neighbor:
    product_id: int
    similarity: float
    vector: np.ndarray


@dataclass(frozen=True)
class Recommendation:
    product_id: int
    score: float
    reason: Reason


@dataclass(frozen=True)
class ShopperLists:
    """A shopper's ranked lists, computed where events are processed, served by reads.

    Unfiltered and shop-wide: a read keeps the entries its channel can sell. While
    the visit lasts (until ``session_until``) the ``session`` list holds; after it,
    ``lasting`` (the long-term taste alone, which time does not reorder).
    """

    session: list[Recommendation] | None
    lasting: list[Recommendation] | None
    session_until: datetime | None


class UnknownProductError(LookupError):
    """A product id has no vector in the active embedding space."""

    def __init__(self, product_id: int) -> None:
        super().__init__(
            f"product {product_id} is unknown to the recommender "
            "(no vector in the active embedding space; is it indexed?)"
        )
        self.product_id = product_id


class ProductVectorStore(Protocol):
    def nearest(
        self, query: np.ndarray, k: int, candidate_filter: CandidateFilter
    ) -> list[Neighbor]:
        """Up to ``k`` products most cosine-similar to ``query``, best first."""

    def nearest_many(
        self, product_ids: Sequence[int], k: int, candidate_filter: CandidateFilter
    ) -> dict[int, list[Neighbor]]:
        """For each product, its ``k`` nearest other products (one round trip)."""

    def vectors(self, product_ids: Sequence[int]) -> dict[int, np.ndarray]:
        """Vectors of those ids that have one."""

    def newest(self, k: int, candidate_filter: CandidateFilter) -> list[int]:
        """Most recently indexed products, for a shop with no interactions yet."""


class InteractionStore(Protocol):
    def record(self, event: Event) -> bool:
        """Store an event; False when its ``source_ref`` was already recorded."""

    def history(self, shopper_key: str, limit: int) -> list[Event]:
        """The shopper's newest ``limit`` events, oldest first."""

    def popular(
        self,
        channel: str | None,
        k: int,
        candidate_filter: CandidateFilter,
        weights: Mapping[str, float],
        half_life_days: float,
        now: datetime,
    ) -> list[tuple[int, float]]:
        """Products by time-decayed, event-weighted interaction count."""

    def popularity(
        self,
        product_ids: Sequence[int],
        channel: str | None,
        weights: Mapping[str, float],
        half_life_days: float,
        now: datetime,
    ) -> tuple[dict[int, float], float]:
        """Popularity (as in :meth:`popular`) of these products, and of the channel's top product."""

    def refresh_popularity(
        self, weights: Mapping[str, float], half_life_days: float, now: datetime
    ) -> int:
        """Recompute the popularity snapshot :meth:`popular` and :meth:`popularity` read
        (per channel and shop-wide); returns how many scores it holds."""

    def merge_shoppers(self, source_key: str, target_key: str) -> int:
        """Move all of ``source_key``'s events to ``target_key``."""

    def forget_shopper(self, shopper_key: str) -> None:
        """Delete everything stored about a shopper."""


class ProfileStore(Protocol):
    def update_profile(
        self,
        shopper_key: str,
        update: Callable[[LongTermState | None], LongTermState | None],
    ) -> LongTermState | None:
        """Atomically replace a shopper's long-term state with ``update(old)``."""

    def load_profile(self, shopper_key: str) -> LongTermState | None: ...


def similar_window(k: int) -> int:
    """How many entries of a stored similar list are checked against a channel's
    filter: every check costs, and a channel that sells fewer than k of the first
    ones is better served by a live search over what it does sell."""
    return max(3 * int(k), int(k) + 8)


class SimilarListStore(Protocol):
    def stored_similar(
        self, product_ids: Sequence[int], k: int, candidate_filter: CandidateFilter
    ) -> dict[int, list[tuple[int, float]]]:
        """The first ``k`` entries passing the filter of each product's stored similar
        list, as (product id, score), in stored order; products whose list is missing
        or has fewer than ``k`` passing entries among its first ``max(3k, k + 8)``
        are absent (the caller searches them live). Deleting products takes them out
        of every list (see ``delete_products``)."""

    def save_similar(self, lists: Mapping[int, Sequence[tuple[int, float]]]) -> None:
        """Store (replace) products' ranked similar lists."""


class _NoHistory:
    """What :meth:`ShopperListStore.stored_recommendations` answers for a shopper with
    no events at all (an unknown guest), so that nothing more is read for them."""

    def __repr__(self) -> str:
        return "NO_HISTORY"


NO_HISTORY = _NoHistory()


class ShopperListStore(Protocol):
    def save_shopper_lists(self, shopper_key: str, lists: ShopperLists | None) -> None:
        """Store the lists computed from the shopper's current profile (None clears them).

        They stay valid until the profile next changes."""

    def stored_recommendations(
        self,
        shopper_key: str,
        now: datetime,
        candidate_filter: CandidateFilter,
        limit: int | None = None,
    ) -> list[Recommendation] | None | _NoHistory:
        """The valid stored list for ``now`` (the visit's until it ends, then the
        lasting one), only its entries passing the filter, in stored order (with
        ``limit``, at most that many not-seen and that many seen ones); None when
        nothing valid is stored (never computed, or the profile changed since);
        :data:`NO_HISTORY` when the shopper has no events at all."""


class RecommendationStore(ProductVectorStore, InteractionStore, ProfileStore, SimilarListStore, ShopperListStore, Protocol):
    """Everything :class:`~saleor_personalization.engine.recommender.Recommender` uses."""

    def save_list(
        self, shopper_key: str, channel: str, product_ids: Sequence[int],
        context_product_id: int | None,
    ) -> str:
        """Remember a served recommendation list; returns its id."""
