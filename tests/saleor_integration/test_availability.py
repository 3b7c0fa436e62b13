"""What a channel can sell, compiled from Saleor's own querysets into the search query."""

from __future__ import annotations

from saleor_personalization.saleor_adapter import services


def test_similar_products_are_sellable_products_of_the_channel(
    product_list, channel_USD, index_catalog
):
    index_catalog()
    first, *others = (p.id for p in product_list)

    found = services.similar(services.load_config(), channel_USD, [first], 5)

    assert sorted(item.product_id for item in found[first]) == sorted(others)


def test_an_inactive_channel_sells_nothing_rather_than_failing(
    product_list, channel_USD, index_catalog
):
    index_catalog()
    channel_USD.is_active = False
    channel_USD.save(update_fields=["is_active"])
    first = product_list[0].id

    # Saleor's managers return .none() for an inactive channel, which has no SQL.
    assert services.similar(services.load_config(), channel_USD, [first], 5) == {first: []}


def _sellable_ids(condition) -> set[int]:
    from django.db import connection
    from saleor.product.models import Product

    sql = condition.render("p.id")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT p.id FROM {Product._meta.db_table} p WHERE {sql}", list(condition.params)
        )
        return {row[0] for row in cursor.fetchall()}


def _unlist_and_empty(product_list, channel):
    from saleor.warehouse.models import Stock

    unlisted, emptied = product_list[0], product_list[1]
    unlisted.channel_listings.filter(channel=channel).update(is_published=False)
    Stock.objects.filter(product_variant__product=emptied).update(quantity=0)
    return unlisted.id, emptied.id


def test_the_channel_copy_is_what_saleors_condition_selects(product_list, channel_USD):
    from saleor_personalization.saleor_adapter import availability

    unlisted, emptied = _unlist_and_empty(product_list, channel_USD)

    totals = availability.refresh_copies()

    for in_stock in (False, True):
        saleor = _sellable_ids(
            availability.saleor_condition(channel_USD, require_in_stock=in_stock)
        )
        copy = _sellable_ids(availability.copy_condition(channel_USD.id, in_stock))
        assert copy == saleor
        assert unlisted not in copy
        assert (emptied in copy) is not in_stock
    assert totals["products"] >= len(product_list) - 1


def test_serving_checks_a_fresh_copy_and_saleors_condition_without_one(
    product_list, channel_USD, index_catalog
):
    from datetime import timedelta

    from django.utils import timezone
    from saleor_personalization.models import ChannelSellableRefresh
    from saleor_personalization.saleor_adapter import availability

    index_catalog()
    first = product_list[0].id
    unlisted, _emptied = _unlist_and_empty(product_list[1:], channel_USD)
    config = services.load_config()

    condition = availability.sellable_condition(channel_USD, require_in_stock=True)
    assert "personalization_channel_sellable" not in condition.sql  # no copy yet
    live = services.similar(config, channel_USD, [first], 5)

    availability.refresh_copies()
    availability.clear_sellable_cache()
    condition = availability.sellable_condition(channel_USD, require_in_stock=True)
    assert "personalization_channel_sellable" in condition.sql
    from_copy = services.similar(config, channel_USD, [first], 5)
    assert [i.product_id for i in from_copy[first]] == [i.product_id for i in live[first]]
    assert unlisted not in {i.product_id for i in from_copy[first]}

    # A copy the beat stopped refreshing is not trusted.
    ChannelSellableRefresh.objects.update(refreshed_at=timezone.now() - timedelta(hours=1))
    availability.clear_sellable_cache()
    condition = availability.sellable_condition(channel_USD, require_in_stock=True)
    assert "personalization_channel_sellable" not in condition.sql


def test_a_product_save_updates_its_row_of_the_copy_at_once(
    product_list, channel_USD, index_catalog
):
    from saleor_personalization.models import ChannelSellable
    from saleor_personalization.saleor_adapter import availability, catalog_jobs

    index_catalog()
    availability.refresh_copies()
    product = product_list[0]
    assert ChannelSellable.objects.filter(channel_id=channel_USD.id, product_id=product.id)

    product.channel_listings.filter(channel=channel_USD).update(visible_in_listings=False)
    catalog_jobs.refresh_products(services.load_config(), [product.id])

    assert not ChannelSellable.objects.filter(channel_id=channel_USD.id, product_id=product.id)
    availability.clear_sellable_cache()
    found = services.similar(services.load_config(), channel_USD, [product_list[1].id], 5)
    assert product.id not in {i.product_id for i in found[product_list[1].id]}


def test_an_inactive_channels_copy_is_empty_and_fresh(product_list, channel_USD, index_catalog):
    from saleor_personalization.models import ChannelSellable
    from saleor_personalization.saleor_adapter import availability

    index_catalog()
    channel_USD.is_active = False
    channel_USD.save(update_fields=["is_active"])

    availability.refresh_copies()

    assert not ChannelSellable.objects.filter(channel_id=channel_USD.id).exists()
    condition = availability.sellable_condition(channel_USD, require_in_stock=True)
    assert "personalization_channel_sellable" in condition.sql
    first = product_list[0].id
    assert services.similar(services.load_config(), channel_USD, [first], 5) == {first: []}
