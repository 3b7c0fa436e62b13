"""Shopper interactions as the engine sees them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class EventType(StrEnum):
    VIEW = "view"
    CLICK = "click"
    ADD_TO_CART = "add_to_cart"
    PURCHASE = "purchase"

    @classmethod
    def parse(cls, value: "str | EventType") -> "EventType":
        """Accept ``view``/``VIEW``/``EventType.VIEW``; reject anything else clearly."""
        if isinstance(value, EventType):
            return value
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            choices = ", ".join(member.value for member in cls)
            raise ValueError(
                f"unknown event type {value!r}; expected one of: {choices}"
            ) from None


@dataclass(frozen=True)
class Event:
    """One thing a shopper did with one product.

    ``shopper_key`` is opaque to the engine: the adapter decides how signed-in
    customers, guests and order e-mails map to keys.
    """

    shopper_key: str
    product_id: int
    event_type: EventType
    occurred_at: datetime
    channel: str = ""
    recommendation_list_id: str | None = None
    # Idempotency key from the source system (e.g. an order line): an event
    # with a key already recorded is ignored, so replays and retries are safe.
    source_ref: str | None = None

    def __post_init__(self) -> None:
        if not self.shopper_key or len(self.shopper_key) > 128:
            raise ValueError("shopper_key must be 1 to 128 characters")
        if not isinstance(self.product_id, int) or isinstance(self.product_id, bool):
            raise ValueError(f"product_id must be an integer, got {self.product_id!r}")
        if self.occurred_at.tzinfo is None:
            raise ValueError("occurred_at must be timezone-aware")
        object.__setattr__(self, "event_type", EventType.parse(self.event_type))
