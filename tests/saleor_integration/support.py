"""Small helpers shared by the integration tests (not collected as tests)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import graphene
from saleor.graphql.tests.utils import get_graphql_content

EPOCH = datetime.datetime(1999, 1, 1, tzinfo=datetime.UTC)


def gid(instance) -> str:
    """The GraphQL id of a Saleor model instance (its type is named after the model)."""
    return graphene.Node.to_global_id(type(instance).__name__, instance.pk)


def graphql(client, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """Post a query and return its ``data``, failing on protocol errors."""
    return get_graphql_content(client.post_graphql(query, variables))["data"]


def pk_of(global_id: str) -> int:
    """The integer primary key inside a GraphQL id."""
    return int(graphene.Node.from_global_id(global_id)[1])


def list_product(product, channel, warehouse, *, published=True, stock=10) -> None:
    """List a product for sale in a channel: published, one variant with a price and stock."""
    from saleor.product.models import (
        ProductChannelListing,
        ProductVariant,
        ProductVariantChannelListing,
    )
    from saleor.warehouse.models import Stock

    ProductChannelListing.objects.create(
        product=product, channel=channel, is_published=published, visible_in_listings=True,
        available_for_purchase_at=EPOCH, currency=channel.currency_code,
    )
    variant = product.variants.first() or ProductVariant.objects.create(
        product=product, sku=f"sku-{product.pk}"
    )
    ProductVariantChannelListing.objects.create(
        variant=variant, channel=channel, price_amount=Decimal(10), currency=channel.currency_code
    )
    Stock.objects.get_or_create(
        warehouse=warehouse, product_variant=variant, defaults={"quantity": stock}
    )
