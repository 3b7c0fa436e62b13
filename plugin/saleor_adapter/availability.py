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

Planning that condition still costs PostgreSQL about ten times what running it
does, on every statement. So a worker copies its result per channel into a
small table (:class:`~saleor_personalization.models.ChannelSellable`): whole once a
minute, and per product wherever the plugin hears of a change (product saves,
orders). While a channel's copy is fresh, storefront statements check it with
an index lookup; without a fresh copy (no worker or beat running) they use
Saleor's condition itself, so results stay right, only slower.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from ..engine.filters import CandidateFilter, SqlCondition
from ..models import ChannelSellable, ChannelSellableRefresh
from ..store.vector_search import array_literal
from ..ttl_cache import TtlCache

# Stands for the candidate's product id while Saleor's queryset is compiled.
_CANDIDATE = -2_043_917_651  # within a 32-bit id column's range, or Django empties the query
_PLACEHOLDER = re.compile(r"%%|%s")
_conditions: TtlCache[SqlCondition] = TtlCache(ttl=60.0, max_entries=256)
NOTHING = SqlCondition("{product_id} IS NULL")  # matches no product
# A copy older than this is not trusted (the beat refreshes it every minute);
# whether a channel's copy is fresh is looked up at most every few seconds.
COPY_MAX_AGE = timedelta(minutes=5)
_fresh_copies: TtlCache[bool] = TtlCache(ttl=10.0, max_entries=256)
_TABLE = ChannelSellable._meta.db_table
_ALIAS = "sellable_copy"


def clear_sellable_cache() -> None:
    _conditions.clear()
    _fresh_copies.clear()


def sellable_condition(
    channel, *, require_in_stock: bool, using: str = DEFAULT_DB_ALIAS
) -> SqlCondition:
    """Published, visible in listings, available for purchase, priced (and in stock).

    ``using`` is the connection to read (the channel's copy's age; Saleor's
    querysets look up the channel's warehouses while its condition is compiled).
    """
    if _fresh_copies.get(channel.id, lambda: _copy_is_fresh(channel.id, using)):
        return copy_condition(channel.id, require_in_stock)
    return saleor_condition(channel, require_in_stock=require_in_stock, using=using)


def saleor_condition(
    channel, *, require_in_stock: bool, using: str = DEFAULT_DB_ALIAS
) -> SqlCondition:
    """The condition compiled from Saleor's querysets (what the copy is made of)."""
    return _conditions.get(
        (channel.id, require_in_stock), lambda: _compile(channel, require_in_stock, using)
    )


def copy_condition(channel_id: int, require_in_stock: bool) -> SqlCondition:
    """Membership in the channel's copy: one index lookup, nothing to plan."""
    where = f"{_ALIAS}.channel_id = {int(channel_id)}"
    if require_in_stock:
        where += f" AND {_ALIAS}.in_stock"
    whole_set = SqlCondition(
        f"{{product_id}} IN (SELECT {_ALIAS}.product_id FROM {_TABLE} {_ALIAS} WHERE {where})"
    )
    return SqlCondition(
        f"EXISTS (SELECT 1 FROM {_TABLE} {_ALIAS} WHERE {where} "
        f"AND {_ALIAS}.product_id = {{product_id}})",
        whole_set=whole_set,
    )


def _copy_is_fresh(channel_id: int, using: str) -> bool:
    return (
        ChannelSellableRefresh.objects.using(using)
        .filter(channel_id=channel_id, refreshed_at__gte=timezone.now() - COPY_MAX_AGE)
        .exists()
    )


def refresh_copies(product_ids: Sequence[int] | None = None) -> dict[str, int]:
    """Recompute every channel's copy: whole, or only for ``product_ids`` (a change
    the plugin heard of). Only rows that changed are written."""
    from saleor.channel.models import Channel
    from saleor.product.models import Product

    ids = None if product_ids is None else array_literal(product_ids)
    totals = {"channels": 0, "products": 0, "in_stock": 0, "added_or_changed": 0, "removed": 0}
    if ids == "{}":
        return totals
    product_table = Product._meta.db_table
    channels = list(Channel.objects.all())
    for channel in channels:
        # The copy is as old as the data it read, not as the moment it was written.
        read_at = timezone.now()
        listed = saleor_condition(channel, require_in_stock=False).for_every_row()
        stocked = saleor_condition(channel, require_in_stock=True).for_every_row()
        only = " AND p.id = ANY(%s::bigint[])" if ids else ""
        only_copy = " AND c.product_id = ANY(%s::bigint[])" if ids else ""
        sql = (
            f"WITH fresh AS (SELECT p.id AS product_id, {stocked.render('p.id')} AS in_stock "
            f"  FROM {product_table} p WHERE {listed.render('p.id')}{only}), "
            f"gone AS (DELETE FROM {_TABLE} c WHERE c.channel_id = %s{only_copy} "
            "  AND NOT EXISTS (SELECT 1 FROM fresh f WHERE f.product_id = c.product_id) "
            "  RETURNING 1), "
            f"changed AS (INSERT INTO {_TABLE} AS c (channel_id, product_id, in_stock) "
            "  SELECT %s, product_id, in_stock FROM fresh "
            "  ON CONFLICT (channel_id, product_id) DO UPDATE SET in_stock = EXCLUDED.in_stock "
            "  WHERE c.in_stock IS DISTINCT FROM EXCLUDED.in_stock RETURNING 1) "
            "SELECT (SELECT count(*) FROM fresh), (SELECT count(*) FROM fresh WHERE in_stock), "
            "(SELECT count(*) FROM changed), (SELECT count(*) FROM gone)"
        )
        params = [*stocked.params, *listed.params, *([ids] if ids else [])]
        params += [channel.id, *([ids] if ids else []), channel.id]
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute(sql, params)
            products, in_stock, changed, removed = cursor.fetchone()
        totals["channels"] += 1
        totals["products"] += products
        totals["in_stock"] += in_stock
        totals["added_or_changed"] += changed
        totals["removed"] += removed
        if ids is None:
            ChannelSellableRefresh.objects.update_or_create(
                channel_id=channel.id,
                defaults={
                    "refreshed_at": read_at,
                    "products": products,
                    "in_stock": in_stock,
                },
            )
    if ids is None:
        kept = [channel.id for channel in channels]
        ChannelSellable.objects.exclude(channel_id__in=kept).delete()
        ChannelSellableRefresh.objects.exclude(channel_id__in=kept).delete()
        _fresh_copies.clear()
    return totals


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
