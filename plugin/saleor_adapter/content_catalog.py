"""What content optimization reads from Saleor and from the recommendation store:
products' facts and descriptions (or their translations), and their audience.

The audience of a product is the shoppers who interacted with it or with the
products most like it; its preference vector is the mean of their long-term
profiles, falling back to the shoppers of the product's channels, then to the
catalog as a whole.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection

from ..engine.content.editorjs import to_text
from ..engine.content.facts import ProductFacts
from ..models import (
    EmbeddingSpace,
    InteractionEvent,
    ProductVector,
    ShopperProfile,
    SimilarProductList,
)
from .documents import product_documents

# Neighbours whose shoppers count as a product's audience.
AUDIENCE_NEIGHBOURS = 5
# Fewer shoppers than this and the audience widens (product -> channel -> catalog).
MIN_AUDIENCE = 3


@dataclass(frozen=True)
class ProductText:
    """A product's facts and the description they were read with (Editor.js)."""

    product_id: int
    facts: ProductFacts
    description: Any


def product_texts(product_ids: Sequence[int], language_code: str = "") -> dict[int, ProductText]:
    """Facts of these products (deleted ones skipped), in ``language_code``'s translation
    where one exists (name and description; attributes as stored)."""
    documents = product_documents(list(product_ids))
    translations = _translations([d.product_id for d in documents], language_code)
    texts = {}
    for document in documents:
        name, description = translations.get(
            document.product_id, (document.name, document.description)
        )
        facts = ProductFacts(
            name=name or document.name,
            category=document.category_path[-1] if document.category_path else "",
            attributes=document.attributes,
            description=to_text(description or None),
            language=_language(language_code),
        )
        texts[document.product_id] = ProductText(document.product_id, facts, description or None)
    return texts


def _translations(product_ids: Sequence[int], language_code: str) -> dict[int, tuple[str, Any]]:
    if not language_code or not product_ids:
        return {}
    from saleor.product.models import ProductTranslation

    rows = ProductTranslation.objects.filter(
        product_id__in=list(product_ids), language_code=language_code
    ).values_list("product_id", "name", "description")
    return {pid: (name, description) for pid, name, description in rows}


def _language(language_code: str) -> str | None:
    """Saleor's language code (``ZH_HANS``, ``en-US``) as ISO 639-1; None: the shop's."""
    from django.conf import settings

    code = language_code or getattr(settings, "LANGUAGE_CODE", "en")
    return code.replace("_", "-").split("-")[0].lower() or None


def audience_vectors(space: EmbeddingSpace, product_ids: Sequence[int]) -> dict[int, np.ndarray]:
    """Each product's audience preference (unit vector), widening as described above."""
    vectors: dict[int, np.ndarray] = {}
    neighbours = dict(
        SimilarProductList.objects.filter(space=space, product_id__in=list(product_ids))
        .values_list("product_id", "product_ids")
    )
    for product_id in product_ids:
        products = [product_id, *neighbours.get(product_id, [])[:AUDIENCE_NEIGHBOURS]]
        vector = _mean_profile(space, products)
        if vector is not None:
            vectors[product_id] = vector
    missing = [pid for pid in product_ids if pid not in vectors]
    if missing:
        for product_id, vector in _channel_audiences(space, missing).items():
            vectors[product_id] = vector
    fallback = catalog_centroid(space)
    if fallback is not None:
        for product_id in product_ids:
            vectors.setdefault(product_id, fallback)
    return vectors


def _mean_profile(space: EmbeddingSpace, product_ids: Sequence[int]) -> np.ndarray | None:
    shoppers = (
        InteractionEvent.objects.filter(product_id__in=list(product_ids))
        .values("shopper_key")
        .distinct()
    )
    return _profiles_mean(space, shoppers)


def _channel_audiences(space: EmbeddingSpace, product_ids: Sequence[int]) -> dict[int, np.ndarray]:
    """The shoppers of the product's channels (those with events there)."""
    from saleor.product.models import ProductChannelListing

    channels: dict[int, list[str]] = {}
    for product_id, slug in ProductChannelListing.objects.filter(
        product_id__in=list(product_ids)
    ).values_list("product_id", "channel__slug"):
        channels.setdefault(product_id, []).append(slug)
    by_channels: dict[tuple[str, ...], np.ndarray | None] = {}
    found = {}
    for product_id in product_ids:
        key = tuple(sorted(channels.get(product_id, [])))
        if not key:
            continue
        if key not in by_channels:
            shoppers = (
                InteractionEvent.objects.filter(channel__in=key).values("shopper_key").distinct()
            )
            by_channels[key] = _profiles_mean(space, shoppers)
        if by_channels[key] is not None:
            found[product_id] = by_channels[key]
    return found


def _profiles_mean(space: EmbeddingSpace, shoppers) -> np.ndarray | None:
    profiles = ShopperProfile.objects.filter(space=space, shopper_key__in=shoppers)
    units = [
        unit
        for raw in profiles.values_list("vector_sum", flat=True)
        if (unit := _unit(np.asarray(raw, dtype=np.float64))) is not None
    ]
    if len(units) < MIN_AUDIENCE:
        return None
    return _unit(np.mean(units, axis=0))


def catalog_centroid(space: EmbeddingSpace) -> np.ndarray | None:
    """The mean of the catalog's vectors: the audience of a shop without shoppers yet."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT avg(embedding)::text FROM {ProductVector._meta.db_table} WHERE space_id = %s",
            [space.pk],
        )
        row = cursor.fetchone()
    if row is None or row[0] is None:
        return None
    return _unit(np.array([float(x) for x in row[0].strip("[]").split(",")]))


def audience_interests(space: EmbeddingSpace, product_id: int, limit: int = 3) -> list[str]:
    """The categories the product's audience interacts with most, for the prompt."""
    from saleor.product.models import Product

    neighbours = (
        SimilarProductList.objects.filter(space=space, product_id=product_id)
        .values_list("product_ids", flat=True)
        .first()
    ) or []
    products = [product_id, *neighbours[:AUDIENCE_NEIGHBOURS]]
    shoppers = (
        InteractionEvent.objects.filter(product_id__in=products).values("shopper_key").distinct()
    )
    touched = InteractionEvent.objects.filter(shopper_key__in=shoppers).values_list(
        "product_id", flat=True
    )[:5000]
    categories = Counter(
        Product.objects.filter(id__in=list(touched))
        .exclude(category__isnull=True)
        .values_list("category__name", flat=True)
    )
    return [name for name, _count in categories.most_common(limit)]


def _unit(vector: np.ndarray) -> np.ndarray | None:
    norm = float(np.linalg.norm(vector))
    if not np.isfinite(norm) or norm == 0.0:
        return None
    return (vector / norm).astype(np.float32)
