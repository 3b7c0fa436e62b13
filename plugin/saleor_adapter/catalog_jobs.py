"""Catalog work behind the Celery tasks and the backfill command: products refreshed
when their text may have changed, and the whole catalog indexed (at activation, after a
model change) under a shop-wide lock. Each job re-reads the world.

The periodic sweep is in :mod:`.sweep`, deleted products are forgotten in
:mod:`.deletions`, shopper events are in :mod:`.shopper_jobs`.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager

from django.db import connection
from django.utils import timezone

from ..engine.indexing import IndexStats
from ..models import EmbeddingSpace, PendingRefresh, ProductVector
from ..store import recommender_registry, similar_lists
from ..store.advisory_lock import advisory_lock
from ..store.catalog_index import current_space, index_products, rebuild_catalog
from . import availability, content_scores, services
from .config import PersonalizationConfig
from .deletions import forget_products
from .documents import all_product_ids, product_documents

logger = logging.getLogger(__name__)

# Session-level advisory lock key: one catalog rebuild at a time, shop-wide.
_REBUILD_LOCK = zlib.crc32(b"saleor_personalization.rebuild_catalog")

# Up to this many products are refreshed right away; more are left to the sweep,
# which takes bounded batches, instead of one huge task.
IMMEDIATE_REFRESH_MAX = 200


def mark_dirty(product_ids: Sequence[int]) -> None:
    PendingRefresh.objects.bulk_create(
        [PendingRefresh(product_id=pid) for pid in product_ids],
        update_conflicts=True,
        unique_fields=["product_id"],
        update_fields=["marked_at"],
        batch_size=1000,
    )


def refresh_products(config: PersonalizationConfig, product_ids: Sequence[int]) -> IndexStats:
    """Re-encode these products where their text changed; forget deleted ones.

    Only maintains an active space of the configured model. Without one (nothing
    indexed yet, or the model was just changed) the products stay marked and the
    catalog rebuild indexes them; a per-product task never rebuilds the catalog.
    """
    ids = sorted({int(pid) for pid in product_ids})
    # Listings, prices and stock may have changed with the save.
    availability.refresh_copies(ids)
    encoder = services.encoder_config(config)
    space = current_space()
    if space is None or space.model_name != encoder.model:
        return IndexStats()
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
    # A list names the products of its own time; the neighbours' lists are the
    # periodic refresh's work (see :func:`refresh_similar_lists`).
    services.recommender(config, space).save_similar_lists(
        sorted(set(ids) - missing)
    )
    similar_lists.mark_near_stale(space, ids)
    # The live learned model's vectors follow the text (a new product: cold start).
    recommender_registry.refresh_learned_vectors(space, sorted(set(ids) - missing))
    if config.content_enabled:
        content_scores.score_products(config, sorted(set(ids) - missing))
    return stats


# Similar lists computed per search statement (one LATERAL search per product).
SIMILAR_CHUNK = 200


def refresh_similar_lists(
    config: PersonalizationConfig,
    limit: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Compute the live space's missing, stale or old similar lists, ``limit`` at
    most (all when None); returns how many. Serving searches live meanwhile."""
    space = _configured_space(config)
    if space is None:
        return 0
    engine = services.recommender(config, space)
    done = 0
    while limit is None or done < limit:
        chunk = SIMILAR_CHUNK if limit is None else min(SIMILAR_CHUNK, limit - done)
        due = similar_lists.due_products(space, chunk)
        if not due:
            break
        engine.save_similar_lists(due)
        done += len(due)
        if progress is not None:
            progress(len(due))
    return done


def similar_lists_due(config: PersonalizationConfig) -> int:
    """How many similar lists :func:`refresh_similar_lists` would compute now."""
    space = _configured_space(config)
    return 0 if space is None else similar_lists.due_count(space)


def _configured_space(config: PersonalizationConfig) -> EmbeddingSpace | None:
    """The live space, if it is the configured model's."""
    space = current_space()
    if space is None or space.model_name != services.encoder_config(config).model:
        return None
    return space


def refresh_marked(config: PersonalizationConfig, product_ids: Iterable[int]) -> int:
    """Mark products dirty and refresh them now, unless there are too many (then the
    sweep takes them). Returns how many were marked."""
    ids = sorted({int(pid) for pid in product_ids})
    if not ids:
        return 0
    mark_dirty(ids)
    if len(ids) <= IMMEDIATE_REFRESH_MAX:
        refresh_products(config, ids)
    return len(ids)


def category_product_ids(category_id: int) -> list[int]:
    """Products whose text holds the category's name: those in it or in a subcategory."""
    from saleor.product.models import Category, Product

    category = Category.objects.filter(pk=category_id).first()
    if category is None:
        return []
    subtree = category.get_descendants(include_self=True)
    return list(Product.objects.filter(category__in=subtree).values_list("id", flat=True))


def attribute_product_ids(attribute_id: int, value_ids: Sequence[int] | None = None) -> list[int]:
    """Products whose text holds the attribute's values (these ones, or all of them)."""
    from saleor.attribute.models import (
        AssignedProductAttributeValue,
        AssignedVariantAttributeValue,
        AttributeValue,
    )

    values = AttributeValue.objects.filter(attribute_id=attribute_id)
    if value_ids is not None:
        values = values.filter(pk__in=list(value_ids))
    of_products = AssignedProductAttributeValue.objects.filter(value__in=values).values_list(
        "product_id", flat=True
    )
    of_variants = AssignedVariantAttributeValue.objects.filter(value__in=values).values_list(
        "variant__product_id", flat=True
    )
    return sorted({pid for pid in [*of_products, *of_variants] if pid is not None})


@contextmanager
def _rebuild_lock(wait: bool) -> Iterator[bool]:
    """Hold the shop-wide rebuild lock (a PostgreSQL advisory lock); yields whether it is held."""
    with advisory_lock(_REBUILD_LOCK, wait) as held:
        yield held


def rebuild_running() -> bool:
    """Whether a session holds the rebuild lock, looked up without taking it (taking
    it, even for a moment, would turn a rebuild starting then away)."""
    with connection.cursor() as cursor:
        # A bigint advisory key shows as classid (high half) and objid (low half).
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND classid::bigint = %s AND objid::bigint = %s AND objsubid = 1)",
            [_REBUILD_LOCK >> 32, _REBUILD_LOCK & 0xFFFFFFFF],
        )
        return bool(cursor.fetchone()[0])


def is_configured_model(model: str) -> bool:
    """Whether ``model`` is the saved configuration's model, read afresh."""
    return services.saved_config()[0].embedding_model == model


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
    one, which is switched to when complete, unless the merchant chose another
    model meanwhile: then the build is dropped (:class:`BuildAbandoned`).
    ``wait`` blocks for a running rebuild instead of returning None.
    """
    encoder = services.encoder_config(config)
    with _rebuild_lock(wait) as held:
        if not held:
            logger.info("A catalog rebuild is already running; skipped")
            return None
        documents = (
            document for batch in product_id_batches for document in product_documents(batch)
        )
        # The saved configuration, not ``config``: a dashboard save enqueues its
        # rebuild before the save commits, so the first check comes only after a
        # batch has been encoded; a build wrongly abandoned then is redone by the sweep.
        space, stats = rebuild_catalog(
            documents,
            encoder,
            progress=progress,
            still_wanted=lambda: is_configured_model(encoder.model),
        )
        recommender_registry.fill_learned_vectors(space)
        return stats


def rebuild_all(
    config: PersonalizationConfig, progress: Callable[[int], None] | None = None
) -> IndexStats | None:
    """Make the whole catalog searchable with the configured model (see :func:`index_catalog`)."""
    return index_catalog(config, all_product_ids(), progress=progress)
