"""Checks of our fields' arguments: bounds, global IDs, channels and products.

Each check raises :class:`RecommendationQueryError` naming the argument; queries
report it as a GraphQL error, the mutation turns it into its typed ``errors``.
"""

from __future__ import annotations

import uuid

import graphene
from graphql.error import GraphQLError
from saleor.channel.models import Channel
from saleor.graphql.channel.dataloaders.by_self import ChannelBySlugLoader
from saleor.graphql.core.context import get_database_connection_name
from saleor.graphql.core.utils import from_global_id_or_error
from saleor.graphql.utils import get_user_or_app_from_context
from saleor.product.models import Product

from ...engine.recommender import MAX_RESULTS
from ...models import RecommendationList
from .errors import RecommendationErrorCode as Code
from .errors import RecommendationQueryError

LIST_TYPE = "RecommendationList"
# Empty lists are not stored; they all carry this ID.
EMPTY_LIST_ID = graphene.Node.to_global_id(LIST_TYPE, str(uuid.UUID(int=0)))


def check_first(first: int | None, field: str = "first") -> int:
    if first is None or not 1 <= first <= MAX_RESULTS:
        raise RecommendationQueryError(
            f"`{field}` must be between 1 and {MAX_RESULTS}, got {first}.", Code.INVALID, field
        )
    return first


def decode_id(global_id: str, type_name: str, field: str) -> str:
    """The primary key inside a global ID of ``type_name``."""
    try:
        _type, pk = from_global_id_or_error(global_id, type_name, raise_error=True)
    except GraphQLError as error:
        raise RecommendationQueryError(str(error), Code.GRAPHQL_ERROR, field) from None
    return pk


def decode_int_id(global_id: str, type_name: str, field: str) -> int:
    pk = decode_id(global_id, type_name, field)
    try:
        return int(pk)
    except ValueError:
        raise RecommendationQueryError(
            f"Invalid ID: {global_id}. Expected: {type_name}.", Code.GRAPHQL_ERROR, field
        ) from None


def active_channel(context, slug: str, field: str = "channel") -> Channel:
    """The channel with this slug, which must exist and be active."""
    channel = ChannelBySlugLoader(context).load(slug).get()
    if channel is None:
        raise RecommendationQueryError(
            f"Channel with '{slug}' slug does not exist.", Code.NOT_FOUND, field
        )
    if not channel.is_active:
        raise RecommendationQueryError(
            f"Channel with '{slug}' is inactive.", Code.CHANNEL_INACTIVE, field
        )
    return channel


def visible_product_pk(context, channel: Channel, global_id: str, field: str) -> int:
    """The pk of a product the requestor can see in the channel (one query)."""
    pk = decode_int_id(global_id, "Product", field)
    requestor = get_user_or_app_from_context(context)
    visible = (
        Product.objects.using(get_database_connection_name(context))
        .visible_to_user(requestor, channel, limited_channel_access=True)
        .filter(pk=pk)
        .exists()
    )
    if not visible:
        raise RecommendationQueryError(
            f"Couldn't resolve to a product in channel '{channel.slug}': {global_id}",
            Code.NOT_FOUND,
            field,
        )
    return pk


def recommendation_list_pk(context, global_id: str, field: str) -> str | None:
    """The stored list's UUID, or None for the shared ID of empty lists."""
    pk = decode_id(global_id, LIST_TYPE, field)
    try:
        list_id = uuid.UUID(pk)
    except ValueError:
        raise RecommendationQueryError(
            f"Invalid ID: {global_id}. Expected: {LIST_TYPE}.", Code.GRAPHQL_ERROR, field
        ) from None
    if list_id.int == 0:
        return None
    lists = RecommendationList.objects.using(get_database_connection_name(context))
    if not lists.filter(pk=list_id).exists():
        raise RecommendationQueryError(
            f"Couldn't resolve to a recommendation list: {global_id}", Code.NOT_FOUND, field
        )
    return str(list_id)


def list_global_id(list_id: str | None) -> str:
    return graphene.Node.to_global_id(LIST_TYPE, list_id) if list_id else EMPTY_LIST_ID
