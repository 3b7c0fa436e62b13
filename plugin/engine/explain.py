"""Why a product was recommended, in words a shopper understands."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from .events import Event, EventType


class ReasonKind(StrEnum):
    HISTORY = "history"
    SEEN = "seen"  # the product itself is in the shopper's history
    CONTEXT = "context"
    POPULAR = "popular"
    NEW = "new"


# Stronger signals win when one product was both viewed and bought.
_EVENT_STRENGTH = {
    EventType.VIEW: 0,
    EventType.CLICK: 1,
    EventType.ADD_TO_CART: 2,
    EventType.PURCHASE: 3,
}

_HISTORY_TEMPLATES = {
    EventType.VIEW: "Because you viewed {name}",
    EventType.CLICK: "Because you looked at {name}",
    EventType.ADD_TO_CART: "Because you added {name} to your cart",
    EventType.PURCHASE: "Because you bought {name}",
}

_SEEN_TEMPLATES = {
    EventType.VIEW: "You viewed this",
    EventType.CLICK: "You looked at this",
    EventType.ADD_TO_CART: "In your cart",
    EventType.PURCHASE: "You bought this",
}


@dataclass(frozen=True)
class Reason:
    kind: ReasonKind
    product_id: int | None = None
    event_type: EventType | None = None
    channel: str = ""

    def render(self, names: Mapping[int, str]) -> str:
        """The reason as a sentence; ``names`` maps product ids to display names."""
        name = names.get(self.product_id, f"product {self.product_id}")
        if self.kind is ReasonKind.HISTORY and self.event_type is not None:
            return _HISTORY_TEMPLATES[self.event_type].format(name=name)
        if self.kind is ReasonKind.SEEN and self.event_type is not None:
            return _SEEN_TEMPLATES[self.event_type]
        if self.kind is ReasonKind.CONTEXT:
            return f"Similar to {name}"
        if self.kind is ReasonKind.POPULAR:
            return f"Popular in {self.channel}" if self.channel else "Popular right now"
        return "New in the shop"


def strongest_events(history: Sequence[Event]) -> dict[int, EventType]:
    """Per product, the strongest thing the shopper did with it."""
    strongest: dict[int, EventType] = {}
    for event in history:
        current = strongest.get(event.product_id)
        if current is None or _EVENT_STRENGTH[event.event_type] >= _EVENT_STRENGTH[current]:
            strongest[event.product_id] = event.event_type
    return strongest


def attribute(
    candidates: np.ndarray,
    sources: Sequence[int],
    source_vectors: np.ndarray,
) -> list[int]:
    """For each candidate row, the source product most similar to it."""
    if not len(sources):
        raise ValueError("attribute needs at least one source product")
    best = np.argmax(candidates @ source_vectors.T, axis=1)
    return [int(sources[i]) for i in best]
