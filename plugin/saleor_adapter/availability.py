"""What a channel can sell, as a SQL condition built from Saleor's own querysets.

The condition is compiled from Saleor's managers and filters (not a copy of
their data), and the store puts it in the same statement as the similarity
search.
"""

from __future__ import annotations

from django.core.exceptions import EmptyResultSet
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from ..engine.filters import CandidateFilter, SqlCondition


def sellable_condition(channel, *, require_in_stock: bool) -> SqlCondition:
    """Published, visible in listings, available for purchase, priced (and in stock)."""
    from saleor.product.models import Product, ProductChannelListing

    now = timezone.now()
    listings = ProductChannelListing.objects.filter(
        Q(available_for_purchase_at__lte=now),
        product_id=OuterRef("pk"),
        channel_id=channel.id,
        visible_in_listings=True,
    )
    products = Product.objects.published_with_variants(channel).filter(Exists(listings))
    if require_in_stock:
        from saleor.graphql.product.enums import StockAvailability
        from saleor.graphql.product.filters.product_helpers import (
            filter_products_by_stock_availability,
        )

        products = filter_products_by_stock_availability(
            products, StockAvailability.IN_STOCK, channel.slug
        )
    try:
        sql, params = products.values("id").query.sql_with_params()
    except EmptyResultSet:  # e.g. an inactive channel: Saleor's managers return none()
        return SqlCondition("{product_id} IS NULL")  # matches no product
    return SqlCondition("{product_id} IN (" + sql + ")", tuple(params))


def sellable_filter(channel, *, require_in_stock: bool) -> CandidateFilter:
    return CandidateFilter(condition=sellable_condition(channel, require_in_stock=require_in_stock))
