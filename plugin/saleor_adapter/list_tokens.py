"""Served recommendation lists, identified by a signed token instead of a stored row.

A storefront read writes nothing: a list's id carries what attributing a later
click needs (channel, products, context product, when it was served), signed
with the shop's ``SECRET_KEY``. Only when a shopper's event names the list is it
kept (see :func:`remember`), so the table grows with interactions, not with
page views, and goes with the shopper's other data.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core import signing

SALT = "saleor_personalization.recommendation_list"
# A click on a list served longer ago than this is no longer attributed to it.
MAX_AGE = timedelta(days=30)
_NAMESPACE = uuid.UUID("5b0c7b7e-3f0a-4f55-9d46-6c1f1d1e8a11")


class InvalidListToken(ValueError):
    """Not a list this shop served, or one served too long ago."""


@dataclass(frozen=True)
class ServedListRef:
    token: str
    channel: str
    product_ids: tuple[int, ...]
    context_product_id: int | None
    served_at: datetime

    @property
    def pk(self) -> uuid.UUID:
        """The id of the stored copy: the same for every event naming the same list."""
        return uuid.uuid5(_NAMESPACE, self.token)


def sign(channel: str, product_ids: Sequence[int], context_product_id: int | None) -> str:
    payload = {
        "c": channel,
        "p": [int(pid) for pid in product_ids],
        "x": context_product_id,
        "t": int(time.time()),
    }
    return signing.dumps(payload, salt=SALT, compress=True)


def verify(token: str) -> ServedListRef:
    try:
        payload = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.SignatureExpired:
        raise InvalidListToken(f"the list was served more than {MAX_AGE.days} days ago") from None
    except signing.BadSignature:
        raise InvalidListToken("not a list served by this shop") from None
    try:
        return ServedListRef(
            token=token,
            channel=str(payload["c"]),
            product_ids=tuple(int(pid) for pid in payload["p"]),
            context_product_id=int(payload["x"]) if payload["x"] is not None else None,
            served_at=datetime.fromtimestamp(int(payload["t"]), UTC),
        )
    except (KeyError, TypeError, ValueError):
        raise InvalidListToken("not a list served by this shop") from None


def remember(ref: ServedListRef, shopper_key: str) -> str:
    """Keep the list an event names (once); returns its stored id."""
    from ..models import RecommendationList

    RecommendationList.objects.get_or_create(
        pk=ref.pk,
        defaults={
            "shopper_key": shopper_key,
            "channel": ref.channel,
            "product_ids": list(ref.product_ids),
            "context_product_id": ref.context_product_id,
        },
    )
    return str(ref.pk)
