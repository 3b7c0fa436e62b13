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
