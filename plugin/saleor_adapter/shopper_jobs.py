"""Shopper work behind the Celery tasks and the backfill command: purchases that
follow their order's status, add-to-cart events, guest histories joining accounts.

Each job re-reads the world and is idempotent: every event is keyed by where it
came from (``source_ref``: an order line, a checkout's variant), so running a job
again records nothing twice.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from ..engine.events import Event, EventType
from ..models import InteractionEvent
from ..store import NoActiveSpaceError
from . import availability, services
from .config import PersonalizationConfig
from .shoppers import customer_key, email_key, user_key

logger = logging.getLogger(__name__)

ORDER_LINE_REF = "order-line:"


@dataclass
class EventStats:
    recorded: int = 0
    already_recorded: int = 0
    skipped: int = 0  # no shopper key (guest without e-mail) or a deleted variant
    withdrawn: int = 0  # purchases of orders that are not (or no longer) purchases


def purchased_orders(channel_slug: str | None = None):
    """Orders whose lines count as purchases: confirmed, not canceled or expired.

    As in Saleor, an order awaiting confirmation (``UNCONFIRMED``, in channels that
    do not confirm every new order) is not a purchase yet: it becomes one when
    confirmed, and stops being one when canceled or expired.
    """
    from saleor.order import OrderStatus
    from saleor.order.models import Order

    orders = Order.objects.confirmed().exclude(
        status__in=[OrderStatus.CANCELED, OrderStatus.EXPIRED]
    )
    if channel_slug is not None:
        orders = orders.filter(channel__slug=channel_slug)
    return orders


def order_id_batches(channel_slug: str | None = None, batch_size: int = 500) -> Iterator[list]:
    """Ids of :func:`purchased_orders`, oldest (lowest number) first, in batches."""
    orders = purchased_orders(channel_slug)
    last = 0
    while True:
        rows = list(
            orders.filter(number__gt=last)
            .order_by("number")
            .values_list("number", "id")[:batch_size]
        )
        if not rows:
            return
        yield [order_id for _number, order_id in rows]
        last = rows[-1][0]


def sync_order(config: PersonalizationConfig, order_id) -> EventStats:
    """Make an order's purchase events follow its status: recorded while it counts
    as a purchase (see :func:`purchased_orders`), withdrawn otherwise."""
    from saleor.order.models import OrderLine

    # The order allocated (or released) stock of its products.
    ordered = OrderLine.objects.filter(order_id=order_id, variant__isnull=False)
    availability.refresh_copies(list(ordered.values_list("variant__product_id", flat=True)))
    if purchased_orders().filter(pk=order_id).exists():
        return record_orders(config, [order_id])
    lines = OrderLine.objects.filter(order_id=order_id).values_list("id", flat=True)
    return EventStats(withdrawn=withdraw_purchases(config, [_line_ref(pk) for pk in lines]))


def record_orders(
    config: PersonalizationConfig, order_ids: Sequence, stats: EventStats | None = None
) -> EventStats:
    """Purchase events for the lines of these orders that count as purchases (one
    query for all their lines), counted into ``stats``."""
    from saleor.order.models import OrderLine

    lines = list(
        OrderLine.objects.filter(order__in=purchased_orders().filter(pk__in=list(order_ids)))
        .order_by("order__number", "id")
        .values_list(
            "id",
            "variant__product_id",
            "order__user_id",
            "order__user_email",
            "order__created_at",
            "order__channel__slug",
            "order__user__email",
            "order__user__is_confirmed",
        )
    )
    # Customers who confirmed their e-mail by a path that fires no plugin hook
    # (setting a password) get their guest history at their next order.
    merge_guest_history(config, {(row[2], row[6]) for row in lines if row[2] and row[7]})
    events: list[Event] = []
    stats = stats if stats is not None else EventStats()
    for line_id, product_id, user_id, email, created_at, channel, *_account in lines:
        key = customer_key(user_id, email)
        if key is None or product_id is None:
            stats.skipped += 1
            continue
        events.append(
            Event(
                shopper_key=key,
                product_id=int(product_id),
                event_type=EventType.PURCHASE,
                occurred_at=created_at,
                channel=channel,
                source_ref=_line_ref(line_id),
            )
        )
    return _track_all(config, events, stats)


def withdraw_purchases(config: PersonalizationConfig, source_refs: Sequence[str]) -> int:
    """Delete these purchase events and rebuild their shoppers' profiles from what is
    left, so that neither the history nor the profile keeps them. Returns how many."""
    purchases = InteractionEvent.objects.filter(
        event_type=InteractionEvent.EventType.PURCHASE, source_ref__in=list(source_refs)
    )
    with transaction.atomic():
        shoppers = sorted(set(purchases.values_list("shopper_key", flat=True)))
        if not shoppers:
            return 0
        _deleted, per_model = purchases.delete()
        engine = services.recommender(config)
        for shopper in shoppers:
            try:
                engine.rebuild_profile(shopper)
                engine.save_shopper_lists(shopper)
            except NoActiveSpaceError:
                break  # nothing indexed yet: no profile to correct
    return per_model.get(InteractionEvent._meta.label, 0)


def withdraw_unpurchased(
    config: PersonalizationConfig,
    channel_slug: str | None = None,
    batch_size: int = 500,
    stats: EventStats | None = None,
) -> EventStats:
    """Withdraw the purchase events of order lines whose order is not a purchase now
    (canceled, expired or deleted, or still unconfirmed), e.g. recorded while the
    plugin was switched off or by a version that counted orders at once."""
    from saleor.order.models import OrderLine

    stats = stats if stats is not None else EventStats()
    purchases = InteractionEvent.objects.filter(
        event_type=InteractionEvent.EventType.PURCHASE, source_ref__startswith=ORDER_LINE_REF
    )
    if channel_slug is not None:
        purchases = purchases.filter(channel=channel_slug)
    last = 0
    while True:
        rows = list(
            purchases.filter(id__gt=last).order_by("id").values_list("id", "source_ref")[
                :batch_size
            ]
        )
        if not rows:
            return stats
        last = rows[-1][0]
        lines = {ref: line for _id, ref in rows if (line := _line_id(ref)) is not None}
        kept = set(
            OrderLine.objects.filter(
                id__in=list(lines.values()), order__in=purchased_orders()
            ).values_list("id", flat=True)
        )
        stale = [ref for ref, line in lines.items() if line not in kept]
        if stale:
            stats.withdrawn += withdraw_purchases(config, stale)


def _line_ref(line_id) -> str:
    return f"{ORDER_LINE_REF}{line_id}"


def _line_id(source_ref: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(source_ref.removeprefix(ORDER_LINE_REF))
    except ValueError:
        return None


def merge_confirmed_account(config: PersonalizationConfig, user_id: int) -> int:
    """Fold the guest history of the account's e-mail into it, if the account (read
    afresh) exists and is confirmed."""
    from saleor.account.models import User

    email = (
        User.objects.filter(pk=user_id, is_confirmed=True)
        .values_list("email", flat=True)
        .first()
    )
    if email is None:
        return 0
    return merge_guest_history(config, [(user_id, email)])


def merge_guest_history(
    config: PersonalizationConfig, accounts: Iterable[tuple[int, str | None]]
) -> int:
    """Fold the events of each confirmed account's e-mail (as a guest) into the account.

    Call only for confirmed accounts: Saleor attaches guest orders to an account
    once its owner has proven the e-mail is theirs, and so do we.
    """
    keys = {email_key(email): user_key(user_id) for user_id, email in accounts if email}
    if not keys:
        return 0
    guests = (
        InteractionEvent.objects.filter(shopper_key__in=list(keys))
        .values_list("shopper_key", flat=True)
        .distinct()
    )
    merged = 0
    for guest in sorted(guests):
        services.merge_shoppers(config, guest, keys[guest])
        merged += 1
    return merged


def record_checkout(config: PersonalizationConfig, token) -> int:
    """Add-to-cart events for checkout lines not recorded yet."""
    from saleor.checkout.models import Checkout

    checkout = Checkout.objects.filter(pk=token).select_related("channel").first()
    if checkout is None:
        return 0
    key = customer_key(checkout.user_id, checkout.email)
    if key is None:
        return 0
    lines = checkout.lines.values_list("variant_id", "variant__product_id")
    now = timezone.now()
    events = [
        Event(
            shopper_key=key,
            product_id=int(product_id),
            event_type=EventType.ADD_TO_CART,
            occurred_at=now,
            channel=checkout.channel.slug,
            source_ref=f"checkout:{checkout.pk}:variant:{variant_id}",
        )
        for variant_id, product_id in lines
    ]
    return _track_all(config, events, EventStats()).recorded


def _track_all(
    config: PersonalizationConfig, events: Sequence[Event], stats: EventStats
) -> EventStats:
    refs = [e.source_ref for e in events if e.source_ref]
    known = set(
        InteractionEvent.objects.filter(source_ref__in=refs).values_list("source_ref", flat=True)
    )
    changed: set[str] = set()
    for event in events:
        if event.source_ref in known:
            stats.already_recorded += 1
            continue
        with transaction.atomic():
            if services.track(config, event):
                stats.recorded += 1
                changed.add(event.shopper_key)
            else:
                stats.already_recorded += 1
    services.refresh_shopper_lists(config, changed)
    return stats
