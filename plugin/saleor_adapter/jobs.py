"""The work behind the Celery tasks and the backfill command; each job re-reads the world."""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from ..catalog_index import current_space, index_products, rebuild_catalog
from ..engine.events import Event, EventType
from ..engine.indexing import IndexStats
from ..models import EmbeddingSpace, InteractionEvent, PendingRefresh, ProductVector
from ..store import DjangoStore
from . import services
from .config import PersonalizationConfig
from .documents import all_product_ids, product_documents
from .shoppers import customer_key, email_key, user_key

logger = logging.getLogger(__name__)

# Session-level advisory lock key: one catalog rebuild at a time, shop-wide.
_REBUILD_LOCK = zlib.crc32(b"saleor_personalization.rebuild_catalog")


def mark_dirty(product_ids: Sequence[int]) -> None:
    PendingRefresh.objects.bulk_create(
        [PendingRefresh(product_id=pid) for pid in product_ids],
        update_conflicts=True,
        unique_fields=["product_id"],
        update_fields=["marked_at"],
    )


def forget_products(product_ids: Sequence[int]) -> None:
    """Deleted products: their vectors (every space), events and pending marks."""
    DjangoStore().delete_products(product_ids)
    PendingRefresh.objects.filter(product_id__in=list(product_ids)).delete()


def refresh_products(config: PersonalizationConfig, product_ids: Sequence[int]) -> IndexStats:
    """Re-encode these products where their text changed; forget deleted ones.

    Only maintains an active space of the configured model. Without one (nothing
    indexed yet, or the model was just changed) the products stay marked and the
    catalog rebuild indexes them; a per-product task never rebuilds the catalog.
    """
    encoder = services.encoder_config(config)
    space = current_space()
    if space is None or space.model_name != encoder.model:
        return IndexStats()
    ids = sorted({int(pid) for pid in product_ids})
    checked_at = timezone.now()
    documents = product_documents(ids)
    stats = index_products(documents, encoder)
    missing = set(ids) - {d.product_id for d in documents}
    if missing:
        forget_products(sorted(missing))
    # An unchanged text keeps its vector, which is nonetheless current as of now;
    # without this the sweep would find a product saved without text changes stale
    # forever (and, being the oldest, pick it before everything else).
    ProductVector.objects.filter(
        space=space, product_id__in=ids, updated_at__lt=checked_at
    ).update(updated_at=checked_at)
    # A product marked again while we worked keeps its mark.
    PendingRefresh.objects.filter(product_id__in=ids, marked_at__lte=checked_at).delete()
    return stats


@contextmanager
def _rebuild_lock(wait: bool) -> Iterator[bool]:
    """Hold the shop-wide rebuild lock (a PostgreSQL advisory lock); yields whether it is held."""
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_lock(%s)", [_REBUILD_LOCK])
            held = True
        else:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [_REBUILD_LOCK])
            held = bool(cursor.fetchone()[0])
    try:
        yield held
    finally:
        if held:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [_REBUILD_LOCK])


def index_catalog(
    config: PersonalizationConfig,
    product_id_batches: Iterable[Sequence[int]],
    *,
    progress: Callable[[int], None] | None = None,
    wait: bool = False,
) -> IndexStats | None:
    """Index these products with the configured model; None when another rebuild is running.

    With the model's space active this is an incremental refresh (unchanged text
    is skipped). Otherwise the vectors are built in a new space beside the live
    one, which is switched to when complete. ``wait`` blocks for a running rebuild
    instead of returning None.
    """
    encoder = services.encoder_config(config)
    with _rebuild_lock(wait) as held:
        if not held:
            logger.info("A catalog rebuild is already running; skipped")
            return None
        documents = (
            document for batch in product_id_batches for document in product_documents(batch)
        )
        return rebuild_catalog(documents, encoder, progress=progress)[1]


def rebuild_all(
    config: PersonalizationConfig, progress: Callable[[int], None] | None = None
) -> IndexStats | None:
    """Make the whole catalog searchable with the configured model (see :func:`index_catalog`)."""
    return index_catalog(config, all_product_ids(), progress=progress)


def refresh_pending(config: PersonalizationConfig, batch_size: int = 100) -> int:
    """The periodic sweep: oldest dirty products first, a bounded batch.

    Rebuilds the catalog instead while no space of the configured model is active
    (the rebuild enqueued at activation or at a model change never ran).
    """
    space = current_space()
    if space is None or space.model_name != services.encoder_config(config).model:
        stats = rebuild_all(config)
        return stats.total if stats is not None else 0
    ids = list(
        PendingRefresh.objects.order_by("marked_at", "product_id").values_list(
            "product_id", flat=True
        )[:batch_size]
    )
    ids += _stale_product_ids(space, batch_size - len(ids), exclude=ids)
    if ids:
        refresh_products(config, ids)
    return len(ids)


def _stale_product_ids(space: EmbeddingSpace, limit: int, exclude: Sequence[int]) -> list[int]:
    """Products saved after their vector in ``space`` was last checked, by paths that fired no hook."""
    if limit <= 0:
        return []
    from django.db.models import Exists, OuterRef

    from saleor.product.models import Product

    fresh = ProductVector.objects.filter(
        space=space, product_id=OuterRef("pk"), updated_at__gte=OuterRef("updated_at")
    )
    return list(
        Product.objects.exclude(id__in=list(exclude))
        .filter(~Exists(fresh))
        .order_by("updated_at", "id")
        .values_list("id", flat=True)[:limit]
    )


# -- shopper events ---------------------------------------------------------------


@dataclass
class EventStats:
    recorded: int = 0
    already_recorded: int = 0
    skipped: int = 0  # no shopper key (guest without e-mail) or a deleted variant


def purchased_orders(channel_slug: str | None = None):
    """Orders whose lines count as purchases: placed (not drafts), not canceled or expired."""
    from saleor.order import OrderStatus
    from saleor.order.models import Order

    orders = Order.objects.non_draft().exclude(
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


def record_order(config: PersonalizationConfig, order_id) -> int:
    """Purchase events for an order's lines (idempotent per order line)."""
    return record_orders(config, [order_id]).recorded


def record_orders(
    config: PersonalizationConfig, order_ids: Sequence, stats: EventStats | None = None
) -> EventStats:
    """Purchase events for the lines of these orders (one query for all their lines),
    counted into ``stats``."""
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
                source_ref=f"order-line:{line_id}",
            )
        )
    return _track_all(config, events, stats)


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
    for event in events:
        if event.source_ref in known:
            stats.already_recorded += 1
            continue
        with transaction.atomic():
            if services.track(config, event):
                stats.recorded += 1
            else:
                stats.already_recorded += 1
    return stats


def forget_deleted_customers() -> int:
    """Delete what is stored for accounts that no longer exist (e.g. deleted while switched off)."""
    table = InteractionEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT e.shopper_key FROM {table} e WHERE e.shopper_key LIKE 'user:%%' "
            "AND NOT EXISTS (SELECT 1 FROM account_user u WHERE 'user:' || u.id = e.shopper_key)"
        )
        keys = [row[0] for row in cursor.fetchall()]
    for key in keys:
        services.forget_shopper(key)
    return len(keys)
