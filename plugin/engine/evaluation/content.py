"""The engine's own recommender as an evaluation method.

Item vectors come from the engine's encoder, each user's query from the
engine's profiles (long-term decayed mean blended with the current visit), and
the final order from the engine's ranking (similarity, then MMR re-ranking of
the head of the list), exactly as served in a shop, but over an in-memory
exact index so a whole dataset evaluates in minutes.

The protocol excludes each user's whole history (``EvalDataset.exclude``, masked
by the runner), whatever ``RankingConfig``'s serving exclusions say: a shop may
show viewed products again, but an evaluation that let them back would reward
recommending what the user already had.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from .. import profiles
from ..diversity import mmr
from ..encoder import EncoderConfig
from ..events import Event, EventType
from ..profiles import ProfileConfig
from ..recommender import RankingConfig, popularity_boost
from .data import EvalDataset
from .text_cache import encode_cached

_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
# Datasets without timestamps get one interaction per day, in order.
_SYNTHETIC_STEP = timedelta(days=1)


class ContentScorer:
    """Scores items by similarity to the engine's preference vector for each user."""

    name = "content"

    def __init__(
        self,
        encoder_config: EncoderConfig = EncoderConfig(),
        profile_config: ProfileConfig = ProfileConfig(),
        ranking_config: RankingConfig = RankingConfig(),
        rerank_depth: int = 50,
        show_progress: bool = False,
        cache_dir: Path | None = None,
    ) -> None:
        self.encoder_config = encoder_config
        self.profile_config = profile_config
        self.ranking_config = ranking_config
        self.rerank_depth = rerank_depth
        self.show_progress = show_progress
        self.cache_dir = cache_dir
        self._data: EvalDataset | None = None
        self._vectors: np.ndarray | None = None
        self._boost: np.ndarray | None = None
        self._by_item: dict[int, np.ndarray] = {}

    def fit(self, data: EvalDataset, vectors: np.ndarray | None = None) -> None:
        """Encode every item's text (or take precomputed ``vectors``).

        With a ``cache_dir``, vectors come from the text-vector cache when the
        same model already encoded the same texts.
        """
        self._data = data
        if vectors is None:
            vectors = encode_cached(
                data.item_texts, self.encoder_config, self.cache_dir, self.show_progress
            )
        if vectors.shape[0] != data.n_items:
            raise ValueError(f"expected {data.n_items} item vectors, got {vectors.shape[0]}")
        self._vectors = np.asarray(vectors, dtype=np.float32)
        # Item index -> vector, the mapping the engine's profile functions read.
        self._by_item = dict(enumerate(self._vectors))
        # The shop counts popularity from its events; here, from training interactions.
        counts = np.asarray(data.interaction_matrix().sum(axis=0), dtype=np.float64).ravel()
        self._boost = (
            self.ranking_config.popularity_weight * popularity_boost(counts, float(counts.max(initial=0.0)))
        ).astype(np.float32)

    def query(self, user: int) -> np.ndarray | None:
        """The user's preference vector, built by the engine's profile functions."""
        data, _vectors = self._require()
        events = self._events(data, user)
        state = profiles.long_term(events, self._by_item, self.profile_config)
        long_vector = state.preference() if state is not None else None
        short_vector = profiles.short_term(events, self._by_item, self.profile_config)
        return profiles.blend(long_vector, short_vector, self.profile_config)

    def score(self, users: np.ndarray) -> np.ndarray:
        data, vectors = self._require()
        scores = np.zeros((len(users), data.n_items), dtype=np.float32)
        for row, user in enumerate(users):
            query = self.query(int(user))
            if query is None:
                continue
            scores[row] = vectors @ query + self._boost
            self._rerank(scores[row], data.exclude[int(user)])
        return scores

    def _rerank(self, row: np.ndarray, excluded: np.ndarray) -> None:
        """Reorder the head of the list with the engine's MMR, in place."""
        diversity = self.ranking_config.diversity
        if diversity == 0.0 or self.rerank_depth <= 1:
            return
        masked = row.copy()
        masked[excluded] = -np.inf
        depth = min(self.rerank_depth, int(np.isfinite(masked).sum()))
        head = np.argpartition(-masked, depth - 1)[:depth]
        head = head[np.argsort(-masked[head], kind="stable")]
        order = mmr(masked[head].astype(np.float64), self._vectors[head], depth, diversity)
        # Picked items keep their similarity values but in MMR order, above the rest.
        top = float(masked[head[0]])
        for position, index in enumerate(order):
            row[head[index]] = top + 1.0 + (depth - position)

    def _events(self, data: EvalDataset, user: int) -> list[Event]:
        # Seen but not liked: excluded from ranking, not a preference.
        return history_events(data, user, disliked=None)

    def _require(self) -> tuple[EvalDataset, np.ndarray]:
        if self._data is None or self._vectors is None:
            raise RuntimeError("call fit() before scoring")
        return self._data, self._vectors


def history_events(
    data: EvalDataset, user: int, disliked: EventType | None
) -> list[Event]:
    """A user's history as engine events, oldest first.

    Positive entries are purchases; "seen but not liked" entries (weight 0)
    become ``disliked`` events, or are left out when it is None. Datasets
    without timestamps get one event per day, in order.
    """
    items = data.histories[user]
    weights = data.history_weights[user]
    times = data.history_times[user] if data.history_times is not None else None
    events = []
    for position, (item, weight) in enumerate(zip(items, weights)):
        kind = EventType.PURCHASE if weight > 0 else disliked
        if kind is None:
            continue
        when = (
            datetime.fromtimestamp(float(times[position]), UTC)
            if times is not None
            else _EPOCH + position * _SYNTHETIC_STEP
        )
        events.append(Event("u", int(item), kind, when))
    return events
