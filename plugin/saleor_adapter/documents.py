"""Saleor products → engine documents, in a fixed number of queries per batch."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence

from ..engine.documents import ProductDocument


def product_documents(product_ids: Sequence[int]) -> list[ProductDocument]:
    """Documents for the given products (deleted ids are skipped): four queries."""
    from saleor.attribute.models import AssignedProductAttributeValue, AssignedVariantAttributeValue
    from saleor.product.models import Product

    products = list(
        Product.objects.filter(id__in=list(product_ids)).values_list(
            "id", "name", "description", "category_id"
        )
    )
    attributes: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    rows = list(
        AssignedProductAttributeValue.objects.filter(product_id__in=product_ids).values_list(
            "product_id", "value__attribute__name", "value__name"
        )
    )
    rows += list(
        AssignedVariantAttributeValue.objects.filter(variant__product_id__in=product_ids).values_list(
            "variant__product_id", "value__attribute__name", "value__name"
        )
    )
    for product_id, attribute, value in rows:
        values = attributes[product_id][attribute]
        if value and value not in values:
            values.append(value)
    paths = category_paths({category_id for *_rest, category_id in products if category_id})
    return [
        ProductDocument(
            product_id=pid,
            name=name or f"Product {pid}",
            description=description or "",
            category_path=paths.get(category_id, []),
            attributes={k: v for k, v in attributes.get(pid, {}).items() if v},
        )
        for pid, name, description, category_id in products
    ]


def category_paths(category_ids: Iterable[int]) -> dict[int, list[str]]:
    """Root-to-leaf names for each category, from one query over their trees."""
    from saleor.product.models import Category

    ids = set(category_ids)
    if not ids:
        return {}
    trees = Category.objects.filter(id__in=ids).values_list("tree_id", flat=True)
    nodes = {
        cid: (parent, name)
        for cid, parent, name in Category.objects.filter(tree_id__in=trees).values_list(
            "id", "parent_id", "name"
        )
    }
    paths = {}
    for cid in ids:
        path: list[str] = []
        current = cid
        while current is not None and current in nodes and len(path) < 50:
            parent, name = nodes[current]
            path.append(name)
            current = parent
        paths[cid] = list(reversed(path))
    return paths


def all_product_ids(batch_size: int = 500, channel_slug: str | None = None) -> Iterator[list[int]]:
    """Every product id (or those listed in a channel), in batches ordered by id (for backfills)."""
    products = catalog(channel_slug)
    last = 0
    while True:
        batch = list(
            products.filter(id__gt=last).order_by("id").values_list("id", flat=True)[:batch_size]
        )
        if not batch:
            return
        yield batch
        last = batch[-1]


def catalog(channel_slug: str | None = None):
    """All products, or those with a listing in the channel (published or not)."""
    from saleor.product.models import Product

    if channel_slug is None:
        return Product.objects.all()
    return Product.objects.filter(channel_listings__channel__slug=channel_slug)
