"""Shopper preference vectors.

Long-term preference is a time-decayed, event-weighted mean of the vectors of the
products a shopper interacted with. It is kept as a decayed running sum, so one
new event updates it in constant time and replaying all events gives the same
vector. Short-term preference is the current visit: the last few items seen
within one session gap of the newest event.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np

from .events import Event, EventType

DEFAULT_EVENT_WEIGHTS: Mapping[EventType, float] = {
    EventType.VIEW: 1.0,
    EventType.CLICK: 1.5,
    EventType.ADD_TO_CART: 3.0,
    EventType.PURCHASE: 5.0,
}


@dataclass(frozen=True)
class ProfileConfig:
    """How events become preference vectors."""

    event_weights: Mapping[EventType, float] = field(
        default_factory=lambda: dict(DEFAULT_EVENT_WEIGHTS)
    )
    half_life_days: float = 30.0
    session_gap_minutes: float = 30.0
    session_items: int = 5
    # Weight of the current visit against long-term taste when both exist.
    short_term_weight: float = 0.5

    def __post_init__(self) -> None:
        if self.half_life_days <= 0:
            raise ValueError(f"half_life_days must be positive, got {self.half_life_days}")
        if self.session_gap_minutes <= 0:
            raise ValueError("session_gap_minutes must be positive")
        if self.session_items < 1:
            raise ValueError(f"session_items must be at least 1, got {self.session_items}")
        if not 0.0 <= self.short_term_weight <= 1.0:
            raise ValueError(
                f"short_term_weight must be between 0 and 1, got {self.short_term_weight}"
            )
        missing = [e.value for e in EventType if e not in self.event_weights]
        if missing:
            raise ValueError(f"event_weights has no weight for: {', '.join(missing)}")
        negative = [str(k) for k, v in self.event_weights.items() if v < 0]
        if negative:
            raise ValueError(f"event weights must not be negative: {', '.join(negative)}")

    def weight(self, event_type: EventType) -> float:
        return float(self.event_weights[EventType.parse(event_type)])


@dataclass(frozen=True)
class LongTermState:
    """Decayed sum of weighted item vectors and of their weights, as of a time."""

    vector_sum: np.ndarray
    weight_sum: float
    as_of: datetime
    event_count: int = 0

    def decayed_to(self, when: datetime, config: ProfileConfig) -> "LongTermState":
        if when <= self.as_of:
            return self
        factor = _decay(self.as_of, when, config)
        return replace(
            self,
            vector_sum=self.vector_sum * factor,
            weight_sum=self.weight_sum * factor,
            as_of=when,
        )

    def preference(self) -> np.ndarray | None:
        """The unit-length long-term preference, or None when nothing counts yet."""
        return _unit(self.vector_sum) if self.weight_sum > 0 else None


def _decay(start: datetime, end: datetime, config: ProfileConfig) -> float:
    days = (end - start).total_seconds() / 86400.0
    return math.pow(0.5, max(days, 0.0) / config.half_life_days)


def _unit(vector: np.ndarray) -> np.ndarray | None:
    norm = float(np.linalg.norm(vector))
    if norm == 0.0 or not math.isfinite(norm):
        return None
    return (vector / norm).astype(np.float32)


def add_event(
    state: LongTermState | None,
    vector: np.ndarray,
    event_type: EventType,
    occurred_at: datetime,
    config: ProfileConfig,
) -> LongTermState:
    """The long-term state after one more event (out-of-order events are aged, not lost)."""
    weight = config.weight(event_type)
    if state is None:
        return LongTermState(
            vector_sum=np.asarray(vector, dtype=np.float64) * weight,
            weight_sum=weight,
            as_of=occurred_at,
            event_count=1,
        )
    if occurred_at >= state.as_of:
        state = state.decayed_to(occurred_at, config)
    else:
        weight *= _decay(occurred_at, state.as_of, config)
    return replace(
        state,
        vector_sum=state.vector_sum + np.asarray(vector, dtype=np.float64) * weight,
        weight_sum=state.weight_sum + weight,
        event_count=state.event_count + 1,
    )


def long_term(
    events: Sequence[Event], vectors: Mapping[int, np.ndarray], config: ProfileConfig
) -> LongTermState | None:
    """Replay ``events`` (any order) into a long-term state; products without vectors are skipped."""
    state: LongTermState | None = None
    for event in sorted(events, key=lambda e: e.occurred_at):
        vector = vectors.get(event.product_id)
        if vector is not None:
            state = add_event(state, vector, event.event_type, event.occurred_at, config)
    return state


def current_session(events: Sequence[Event], config: ProfileConfig) -> list[Event]:
    """The events of the latest visit: newest first, at most ``session_items`` products."""
    ordered = sorted(events, key=lambda e: e.occurred_at, reverse=True)
    session: list[Event] = []
    seen: set[int] = set()
    gap_seconds = config.session_gap_minutes * 60.0
    previous: datetime | None = None
    for event in ordered:
        if previous is not None and (previous - event.occurred_at).total_seconds() > gap_seconds:
            break
        previous = event.occurred_at
        if event.product_id not in seen:
            seen.add(event.product_id)
            session.append(event)
            if len(session) >= config.session_items:
                break
    return session


def short_term(
    events: Sequence[Event],
    vectors: Mapping[int, np.ndarray],
    config: ProfileConfig,
    now: datetime | None = None,
) -> np.ndarray | None:
    """The current visit's preference, or None when the shopper has no visit in progress.

    With ``now`` given, a visit whose newest event is older than the session gap
    is over and yields None.
    """
    session = current_session(events, config)
    if not session:
        return None
    if now is not None and (now - session[0].occurred_at).total_seconds() > (
        config.session_gap_minutes * 60.0
    ):
        return None
    total: np.ndarray | None = None
    for rank, event in enumerate(session):
        vector = vectors.get(event.product_id)
        if vector is None:
            continue
        # Newer items count more: weight halves every two steps back in the visit.
        weight = config.weight(event.event_type) * math.pow(0.5, rank / 2.0)
        contribution = np.asarray(vector, dtype=np.float64) * weight
        total = contribution if total is None else total + contribution
    return None if total is None else _unit(total)


def blend(
    long_term_vector: np.ndarray | None,
    short_term_vector: np.ndarray | None,
    config: ProfileConfig,
) -> np.ndarray | None:
    """One query vector from long- and short-term preference (either may be missing)."""
    if long_term_vector is None:
        return short_term_vector
    if short_term_vector is None:
        return long_term_vector
    alpha = config.short_term_weight
    return _unit((1.0 - alpha) * long_term_vector + alpha * short_term_vector)
