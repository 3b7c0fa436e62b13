"""Checks of our fields' arguments: bounds, global IDs, channels and products.

Each check raises :class:`RecommendationQueryError` naming the argument; queries
report it as a GraphQL error, the mutation turns it into its typed ``errors``.
"""

from __future__ import annotations

import binascii
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
from .. import list_tokens
from ..list_tokens import InvalidListToken, ServedListRef
from .errors import RecommendationErrorCode as Code
from .errors import RecommendationQueryError

LIST_TYPE = "RecommendationList"
# Empty lists (nothing to click) all carry this ID.
EMPTY_LIST_PK = str(uuid.UUID(int=0))
EMPTY_LIST_ID = graphene.Node.to_global_id(LIST_TYPE, EMPTY_LIST_PK)


def enum_value(value) -> str:
    """An enum argument's value ("" when absent): graphene passes the value or the member."""
    return str(getattr(value, "value", value) or "")


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


def served_list(global_id: str, field: str) -> ServedListRef | None:
    """The served list a click names, or None for the shared ID of empty lists."""
    # Not Saleor's decoder: a list's id is a signed token, not an integer or UUID.
    try:
        type_name, token = graphene.Node.from_global_id(global_id)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        type_name, token = None, None
    if type_name != LIST_TYPE:
        raise RecommendationQueryError(
            f"Invalid ID: {global_id}. Expected: {LIST_TYPE}.", Code.GRAPHQL_ERROR, field
        )
    if token == EMPTY_LIST_PK:
        return None
    try:
        return list_tokens.verify(token)
    except InvalidListToken as error:
        raise RecommendationQueryError(
            f"Couldn't resolve to a recommendation list: {error}.", Code.NOT_FOUND, field
        ) from None


def list_global_id(list_id: str | None) -> str:
    return graphene.Node.to_global_id(LIST_TYPE, list_id) if list_id else EMPTY_LIST_ID
