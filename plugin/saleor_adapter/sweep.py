"""The periodic sweep: products whose vectors may be stale, a bounded batch at a time.

Products marked dirty (by hooks, or by a rename too large to refresh at once) come
first, oldest mark first; then products saved by paths that fired no hook.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..models import EmbeddingSpace, PendingRefresh, ProductVector
from ..store.catalog_index import current_space
from . import catalog_jobs, services
from .config import PersonalizationConfig


def refresh_pending(config: PersonalizationConfig, batch_size: int = 100) -> int:
    """The periodic sweep: oldest dirty products first, a bounded batch.

    Does nothing while no space of the configured model is active: the whole
    catalog is the rebuild's work (see ``tasks.refresh_pending_products``).
    """
    space = current_space()
    if space is None or space.model_name != services.encoder_config(config).model:
        return 0
    ids = list(
        PendingRefresh.objects.order_by("marked_at", "product_id").values_list(
            "product_id", flat=True
        )[:batch_size]
    )
    ids += _stale_product_ids(space, batch_size - len(ids), exclude=ids)
    if ids:
        catalog_jobs.refresh_products(config, ids)
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
