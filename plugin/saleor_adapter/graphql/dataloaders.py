"""Batching: a page of products asking for ``similarProducts`` is one search and one
read of the products found."""

from __future__ import annotations

import logging
from collections import defaultdict

from promise import Promise
from saleor.graphql.channel.dataloaders.by_self import ChannelBySlugLoader
from saleor.graphql.core.context import ChannelContext
from saleor.graphql.core.dataloaders import DataLoader

from ...store import NoActiveSpaceError
from .. import services
from ..services import ServedItem
from .access import serving_config
from .product_rows import load_products

logger = logging.getLogger(__name__)

# (product id, channel slug, first)
SimilarKey = tuple[int, str, int]


class SimilarProductsByProductIdLoader(DataLoader[SimilarKey, list[ChannelContext]]):
    """Similar sellable products per product, as the nodes the field returns: one
    ``services.similar`` call per channel and size, then one read of every product
    found. (Resolving each product's list from its own promise chain cost more than
    the search on a page of 20.)"""

    context_key = "personalization_similar_products_by_product_id"

    def batch_load(self, keys: list[SimilarKey]) -> Promise:
        found = self._similar(keys)
        lists = [
            [item.product_id for item in found.get(key, []) if item.product_id != key[0]]
            for key in keys
        ]
        ids = list(dict.fromkeys(pid for ids in lists for pid in ids))

        def nodes(products) -> list[list[ChannelContext]]:
            by_id = {product.pk: product for product in products if product is not None}
            return [
                [
                    ChannelContext(node=by_id[pid], channel_slug=slug)
                    for pid in listed
                    if pid in by_id
                ]
                for listed, (_pk, slug, _first) in zip(lists, keys)
            ]

        return load_products(self.context, ids).then(nodes)

    def _similar(self, keys: list[SimilarKey]) -> dict[SimilarKey, list[ServedItem]]:
        config = serving_config(self.context)
        if config is None:
            return {}
        groups: dict[tuple[str, int], list[int]] = defaultdict(list)
        for product_id, slug, first in keys:
            groups[(slug, first)].append(product_id)
        slugs = sorted({slug for slug, _first in groups})
        # Saleor's own loader: the product's resolver has usually loaded the channel.
        channels = dict(zip(slugs, ChannelBySlugLoader(self.context).load_many(slugs).get()))
        found: dict[SimilarKey, list[ServedItem]] = {}
        for (slug, first), product_ids in groups.items():
            channel = channels.get(slug)
            if channel is None or not channel.is_active:
                continue
            try:
                similar = services.similar(config, channel, sorted(set(product_ids)), first)
            except NoActiveSpaceError:
                logger.warning("similarProducts: nothing is indexed yet; returning empty lists")
                continue
            for product_id in product_ids:
                found[(product_id, slug, first)] = similar.get(product_id, [])
        return found
