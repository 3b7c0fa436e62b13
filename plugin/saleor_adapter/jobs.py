"""The work behind the Celery tasks; each job re-reads the world from ids."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from django.db import transaction
from django.utils import timezone

from ..catalog_index import current_space, index_products, rebuild_catalog
from ..engine.events import Event, EventType
from ..engine.indexing import IndexStats
from ..engine.store import UnknownProductError
from ..models import PendingRefresh
from ..store import DjangoStore
from . import services
from .config import PersonalizationConfig
from .documents import all_product_ids, product_documents
from .shoppers import customer_key

logger = logging.getLogger(__name__)


def mark_dirty(product_ids: Sequence[int]) -> None:
    PendingRefresh.objects.bulk_create(
        [PendingRefresh(product_id=pid) for pid in product_ids],
        update_conflicts=True,
        unique_fields=["product_id"],
        update_fields=["marked_at"],
    )


def refresh_products(config: PersonalizationConfig, product_ids: Sequence[int]) -> IndexStats:
    """Re-encode these products where their text changed; forget deleted ones."""
    encoder = services.encoder_config(config)
    documents = product_documents(product_ids)
    space = current_space()
    if space is not None and space.model_name != encoder.model:
        # The configured model changed: the whole catalog moves to a new space.
        rebuild_all(config)
        stats = IndexStats(unchanged=len(documents))
    elif space is None:
        stats = rebuild_catalog(documents, encoder)[1]
    else:
        stats = index_products(documents, encoder)
    missing = set(product_ids) - {d.product_id for d in documents}
    if missing:
        DjangoStore().delete_products(missing)
    PendingRefresh.objects.filter(product_id__in=list(product_ids)).delete()
    return stats


def rebuild_all(
    config: PersonalizationConfig, progress: Callable[[int], None] | None = None
) -> IndexStats:
    """Make the whole catalog searchable with the configured model (builds beside, then switches)."""
    ids = [pid for batch in all_product_ids() for pid in batch]
    documents = product_documents(ids)
    return rebuild_catalog(documents, services.encoder_config(config), progress=progress)[1]


def refresh_pending(config: PersonalizationConfig, batch_size: int = 100) -> int:
    """The periodic sweep: oldest dirty products first, a bounded batch."""
    ids = list(
        PendingRefresh.objects.order_by("marked_at").values_list("product_id", flat=True)[:batch_size]
    )
    ids += _stale_product_ids(batch_size - len(ids), exclude=ids)
    if ids:
        refresh_products(config, ids)
    return len(ids)


def _stale_product_ids(limit: int, exclude: Sequence[int]) -> list[int]:
    """Products changed by paths that fired no hook (bulk updates, imports)."""
    if limit <= 0:
        return []
    from django.db.models import Exists, OuterRef

    from saleor.product.models import Product

    from ..models import ProductVector

    space = current_space()
    if space is None:
        return []
    fresh = ProductVector.objects.filter(
        space=space, product_id=OuterRef("pk"), updated_at__gte=OuterRef("updated_at")
    )
    return list(
        Product.objects.exclude(id__in=list(exclude))
        .filter(~Exists(fresh))
        .order_by("updated_at")
        .values_list("id", flat=True)[:limit]
    )


def record_order(config: PersonalizationConfig, order_id) -> int:
    """Purchase events for an order's lines (idempotent per order line)."""
    from saleor.order.models import Order

    order = Order.objects.filter(pk=order_id).select_related("channel").first()
    if order is None:
        return 0
    key = customer_key(order.user_id, order.user_email)
    if key is None:
        return 0
    lines = order.lines.exclude(variant__isnull=True).values_list("id", "variant__product_id")
    events = [
        Event(
            shopper_key=key,
            product_id=int(product_id),
            event_type=EventType.PURCHASE,
            occurred_at=order.created_at,
            channel=order.channel.slug,
            source_ref=f"order-line:{line_id}",
        )
        for line_id, product_id in lines
    ]
    return _track_all(config, events)


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
    return _track_all(config, events)


def _track_all(config: PersonalizationConfig, events: Sequence[Event]) -> int:
    recorded = 0
    for event in events:
        try:
            with transaction.atomic():
                recorded += services.track(config, event)
        except UnknownProductError:
            logger.info("Skipping event for a product without a vector", extra={"product_id": event.product_id})
    return recorded


def forget_deleted_customers() -> int:
    """Delete what is stored for accounts that no longer exist (e.g. deleted while switched off)."""
    from django.db import connection

    from ..models import InteractionEvent

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
