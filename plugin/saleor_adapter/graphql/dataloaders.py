"""Batching: a page of products asking for ``similarProducts`` is one search."""

from __future__ import annotations

import logging
from collections import defaultdict

from saleor.graphql.channel.dataloaders.by_self import ChannelBySlugLoader
from saleor.graphql.core.dataloaders import DataLoader

from ...store import NoActiveSpaceError
from .. import services
from ..services import ServedItem
from .access import serving_config

logger = logging.getLogger(__name__)

# (product id, channel slug, first)
SimilarKey = tuple[int, str, int]


class SimilarProductsByProductIdLoader(DataLoader[SimilarKey, list[ServedItem]]):
    """Similar sellable products per product; one ``services.similar`` call per channel and size."""

    context_key = "personalization_similar_products_by_product_id"

    def batch_load(self, keys: list[SimilarKey]) -> list[list[ServedItem]]:
        config = serving_config(self.context)
        if config is None:
            return [[] for _ in keys]
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
        return [found.get(key, []) for key in keys]
