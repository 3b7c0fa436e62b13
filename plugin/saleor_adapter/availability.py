"""What a channel can sell, as a SQL condition built from Saleor's own querysets.

The condition is compiled from Saleor's managers and filters (not a copy of
their data), and the store puts it in the same statement as the similarity
search. It is correlated with the candidate (``EXISTS (... WHERE product.id =
candidate)``), so PostgreSQL checks only the candidates the vector index hands
it, never builds the whole sellable set: a search costs the same in a catalog
of 100 or of 100,000 products.

Compiling Saleor's querysets costs milliseconds, so each channel's condition is
compiled once and reused: the "now" that Saleor's managers put into it as a
parameter becomes the database's own clock, which keeps the SQL valid and the
same over time (and so usable as a cache key).
"""

from __future__ import annotations

import re
from datetime import datetime

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from ..engine.filters import CandidateFilter, SqlCondition
from ..ttl_cache import TtlCache

# Stands for the candidate's product id while Saleor's queryset is compiled.
_CANDIDATE = -2_043_917_651  # within a 32-bit id column's range, or Django empties the query
_PLACEHOLDER = re.compile(r"%%|%s")
_conditions: TtlCache[SqlCondition] = TtlCache(ttl=60.0, max_entries=256)
NOTHING = SqlCondition("{product_id} IS NULL")  # matches no product


def clear_sellable_cache() -> None:
    _conditions.clear()


def sellable_condition(
    channel, *, require_in_stock: bool, using: str = DEFAULT_DB_ALIAS
) -> SqlCondition:
    """Published, visible in listings, available for purchase, priced (and in stock).

    ``using`` is the connection Saleor's querysets may read while the condition
    is compiled (the channel's warehouses are looked up then).
    """
    return _conditions.get(
        (channel.id, require_in_stock), lambda: _compile(channel, require_in_stock, using)
    )


def _compile(channel, require_in_stock: bool, using: str) -> SqlCondition:
    from saleor.product.models import Product, ProductChannelListing

    before = timezone.now()
    listings = ProductChannelListing.objects.using(using).filter(
        Q(available_for_purchase_at__lte=before),
        product_id=OuterRef("pk"),
        channel_id=channel.id,
        visible_in_listings=True,
    )
    products = (
        Product.objects.using(using).published_with_variants(channel).filter(Exists(listings))
    )
    if require_in_stock:
        from saleor.graphql.product.enums import StockAvailability
        from saleor.graphql.product.filters.product_helpers import (
            filter_products_by_stock_availability,
        )

        products = filter_products_by_stock_availability(
            products, StockAvailability.IN_STOCK, channel.slug
        )
    candidate = products.filter(pk=_CANDIDATE).order_by().values("pk")
    try:
        sql, params = candidate.query.sql_with_params()
        set_sql, set_params = products.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:  # e.g. an inactive channel: Saleor's managers return none()
        return NOTHING
    after = timezone.now()
    sql, params = _inline(sql, params, before, after)
    set_sql, set_params = _inline(set_sql, set_params, before, after, candidate=False)
    # The correlated form for index searches (only the candidates the index hands
    # over are checked); the set for plans that check every row.
    whole_set = SqlCondition("{product_id} IN (" + set_sql + ")", tuple(set_params))
    return SqlCondition("EXISTS (" + sql + ")", tuple(params), whole_set=whole_set)


def _inline(
    sql: str, params, before: datetime, after: datetime, *, candidate: bool = True
) -> tuple[str, list]:
    """Put the candidate and the database clock where their parameters stood."""
    kept: list = []
    values = iter(params)
    found_candidate = False

    def replace(match: re.Match) -> str:
        nonlocal found_candidate
        if match.group(0) == "%%":
            return "%%"
        value = next(values)
        if value == _CANDIDATE:
            found_candidate = True
            return "{product_id}"
        if isinstance(value, datetime) and before <= value <= after:
            return "statement_timestamp()"
        kept.append(value)
        return "%s"

    inlined = _PLACEHOLDER.sub(replace, sql)
    if candidate and not found_candidate:
        raise RuntimeError("Saleor's product query no longer filters by the candidate's id")
    return inlined, kept


def sellable_filter(
    channel, *, require_in_stock: bool, using: str = DEFAULT_DB_ALIAS
) -> CandidateFilter:
    condition = sellable_condition(channel, require_in_stock=require_in_stock, using=using)
    return CandidateFilter(condition=condition)
