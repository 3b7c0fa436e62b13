"""Resolvers of ``Product.similarProducts`` and ``Query``/``User.recommendedProducts``."""

from __future__ import annotations

import logging

from promise import Promise
from saleor.channel.models import Channel
from saleor.core.db.connection import allow_writer
from saleor.graphql.account.types import is_newly_created_user
from saleor.graphql.core.context import ChannelContext

from ...engine.ports import UnknownProductError
from ...store import NoActiveSpaceError
from .. import services
from ..config import PersonalizationConfig
from ..services import ServedList
from ..shoppers import user_key
from .access import Shopper, check_owner_or_manager, query_shopper, serving_config
from .arguments import active_channel, check_first, list_global_id, visible_product_pk
from .dataloaders import SimilarProductsByProductIdLoader
from .product_rows import load_products
from .types import RecommendationList, RecommendedProduct

logger = logging.getLogger(__name__)

EMPTY = ServedList(None, [])


def resolve_similar_products(root: ChannelContext, info, *, first: int = 10):
    check_first(first)
    slug = root.channel_slug
    # Without a channel (staff browsing all channels) nothing is known to be sellable.
    if not slug or serving_config(info.context) is None:
        return []
    return SimilarProductsByProductIdLoader(info.context).load((root.node.pk, str(slug), first))


def resolve_recommended_products(
    _root,
    info,
    *,
    channel: str,
    first: int = 10,
    anonymous_id: str | None = None,
    product_id: str | None = None,
    user_id: str | None = None,
):
    check_first(first)
    channel_obj = active_channel(info.context, channel)
    config = serving_config(info.context)
    shopper = query_shopper(info.context, config, user_id=user_id, anonymous_id=anonymous_id)
    context_pk = (
        visible_product_pk(info.context, channel_obj, product_id, "productId")
        if product_id is not None
        else None
    )
    if config is None:
        return recommendation_list(info, EMPTY, channel_obj.slug)
    return serve(info, config, channel_obj, shopper, first, context_pk)


def resolve_user_recommended_products(root, info, *, channel: str, first: int = 10):
    check_first(first)
    check_owner_or_manager(info.context, root)
    channel_obj = active_channel(info.context, channel)
    config = serving_config(info.context)
    if config is None or is_newly_created_user(root):
        return recommendation_list(info, EMPTY, channel_obj.slug)
    return serve(info, config, channel_obj, Shopper(user_key(root.pk)), first, None)


def serve(
    info,
    config: PersonalizationConfig,
    channel: Channel,
    shopper: Shopper,
    first: int,
    context_pk: int | None,
):
    try:
        # A guest history sent along by a signed-in shopper is moved once; after that
        # there is nothing left under the guest's key and the read writes nothing.
        if shopper.merge_from and shopper.key and services.has_history(shopper.merge_from):
            with allow_writer():
                services.merge_shoppers(config, shopper.merge_from, shopper.key)
        served = recommend(config, channel, shopper.key, first, context_pk)
    except NoActiveSpaceError:
        logger.warning("recommendedProducts: nothing is indexed yet; returning an empty list")
        served = EMPTY
    return recommendation_list(info, served, channel.slug)


def recommend(
    config: PersonalizationConfig,
    channel: Channel,
    shopper_key: str | None,
    first: int,
    context_pk: int | None,
) -> ServedList:
    try:
        return services.recommend(config, channel, shopper_key, first, context_pk)
    except UnknownProductError as error:
        if context_pk is None or error.product_id != context_pk:
            raise
    # A product page that exists but is not indexed yet: serve without its context.
    return services.recommend(config, channel, shopper_key, first, None)


def recommendation_list(info, served: ServedList, slug: str) -> Promise:
    # The products the reasons name come in the same load as the list's own.
    ids = list(dict.fromkeys([item.product_id for item in served.items] + served.reason_sources()))

    def build(products) -> RecommendationList:
        by_id = {product.pk: product for product in products if product is not None}
        names = {pk: product.name for pk, product in by_id.items()}
        return RecommendationList(
            id=list_global_id(served.id),
            items=[
                RecommendedProduct(
                    product=ChannelContext(node=by_id[item.product_id], channel_slug=slug),
                    score=item.score,
                    reason=(item.reason.render(names) or None) if item.reason else None,
                )
                for item in served.items
                if item.product_id in by_id
            ],
        )

    return load_products(info.context, ids).then(build)
