"""``manage.py personalization_backfill``: the existing catalog and past orders, once."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from saleor.order import OrderStatus
from saleor.order.models import Order
from saleor.product.models import Product
from saleor_personalization.models import (
    ChannelSellableRefresh,
    InteractionEvent,
    ProductPopularity,
    ProductVector,
    SimilarProductList,
)
from saleor_personalization.saleor_adapter import services, shopper_jobs
from saleor_personalization.saleor_adapter.shoppers import user_key
from saleor_personalization.store.catalog_index import current_space


def backfill(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("personalization_backfill", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def purchases() -> list[tuple[str, int, str]]:
    return sorted(
        InteractionEvent.objects.filter(event_type="purchase").values_list(
            "shopper_key", "product_id", "source_ref"
        )
    )


def test_backfill_embeds_the_catalog_and_imports_orders_and_a_second_run_adds_nothing(
    personalization, product_list, order_with_lines, customer_user, encoder_config
):
    products = Product.objects.count()
    lines = list(order_with_lines.lines.select_related("variant"))

    out, err = backfill("--batch-size", "2")

    space = current_space()
    indexed = ProductVector.objects.filter(space=space).values_list("product_id", flat=True)
    assert set(indexed) == set(Product.objects.values_list("id", flat=True))
    assert purchases() == sorted(
        (user_key(customer_user.pk), line.variant.product_id, f"order-line:{line.id}")
        for line in lines
    )
    assert (
        f"Catalog ({space.model_name}): {products} products, {products} encoded, 0 unchanged."
        in out
    )
    assert "Orders: 1 orders, 2 purchase events recorded, 0 already imported, 0 lines" in out
    # What the storefront reads is there before any beat runs.
    listed = SimilarProductList.objects.filter(space=space, computed_at__isnull=False)
    assert set(listed.values_list("product_id", flat=True)) == set(indexed)
    assert ProductPopularity.objects.filter(product_id__in=indexed).exists()
    assert ChannelSellableRefresh.objects.exists()
    assert f"Serving data: {products} similar lists computed, " in out
    assert err == ""

    again, _ = backfill()

    assert f"{products} products, 0 encoded, {products} unchanged." in again
    assert "Orders: 1 orders, 0 purchase events recorded, 2 already imported, 0 lines" in again
    assert "Serving data: 0 similar lists computed, " in again
    assert len(purchases()) == 2


def test_backfill_of_a_channel_takes_its_products_and_orders_only(
    personalization, product, order_with_lines, channel_PLN, encoder_config
):
    unlisted = Product.objects.create(
        name="Not sold anywhere", slug="not-sold", product_type=product.product_type
    )

    out, _ = backfill("--channel", product.channel_listings.get().channel.slug)

    indexed = set(ProductVector.objects.values_list("product_id", flat=True))
    assert product.id in indexed and unlisted.id not in indexed
    assert "Orders: 1 orders, 2 purchase events recorded" in out

    out, _ = backfill("--channel", channel_PLN.slug)

    assert "Orders: 0 orders, 0 purchase events recorded" in out


def test_backfill_works_with_the_saved_configuration_while_the_plugin_is_off(
    plugin_configuration, product, encoder_config
):
    plugin_configuration(active=False)

    out, err = backfill()

    assert "plugin is switched off" in err
    assert "1 products, 1 encoded" in out
    assert ProductVector.objects.filter(product_id=product.id).exists()


def test_backfill_counts_an_order_only_while_it_is_confirmed_and_not_canceled(
    personalization, order_with_lines, encoder_config
):
    def set_status(status: str) -> None:
        Order.objects.filter(pk=order_with_lines.pk).update(status=status)

    # Imported earlier (by a run, or a version that counted every order); canceled since.
    shopper_jobs.record_orders(services.load_config(), [order_with_lines.pk])
    assert len(purchases()) == 2
    set_status(OrderStatus.CANCELED)

    out, _ = backfill()

    assert "Orders: 0 orders, 0 purchase events recorded" in out
    assert "2 withdrawn (orders canceled, expired or not confirmed)." in out
    assert purchases() == []

    set_status(OrderStatus.UNCONFIRMED)
    assert "Orders: 0 orders, 0 purchase events recorded" in backfill()[0]

    set_status(OrderStatus.UNFULFILLED)
    out, _ = backfill()
    assert "Orders: 1 orders, 2 purchase events recorded" in out and ", 0 withdrawn" in out
    assert len(purchases()) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--channel", "nowhere"), "no channel 'nowhere'; channels: main"),
        (("--batch-size", "0"), "--batch-size must be at least 1, got 0"),
    ],
)
def test_backfill_rejects_bad_arguments(personalization, channel_USD, args, message):
    with pytest.raises(CommandError, match=message):
        backfill(*args)
