"""GraphQL types of recommendations and of the tracking mutation's input."""

from __future__ import annotations

import graphene
from saleor.graphql.core.doc_category import DOC_CATEGORY_PRODUCTS
from saleor.graphql.core.types import BaseInputObjectType, BaseObjectType, NonNullList
from saleor.graphql.core.types.base import BaseEnum
from saleor.graphql.product.types import Product

from ...engine.events import EventType
from ..shoppers import ANONYMOUS_ID_RULE


class RecommendedProduct(BaseObjectType):
    product = graphene.Field(
        Product, required=True, description="The recommended product, in the list's channel."
    )
    score = graphene.Float(
        required=True,
        description="Relevance of the product for this list; higher is better. Only "
        "comparable within one list.",
    )
    reason = graphene.String(
        description="Why the product was recommended, in words a shopper can read "
        "(e.g. 'Because you viewed Trail running shoes')."
    )

    class Meta:
        description = "A product recommended to a shopper, with its score and reason."
        doc_category = DOC_CATEGORY_PRODUCTS


class RecommendationList(BaseObjectType):
    id = graphene.ID(
        required=True,
        description="ID of the served list; pass it as `recommendationListId` when tracking "
        "clicks on its items. Empty lists are not stored and share the ID "
        "of the nil UUID, which tracking ignores.",
    )
    items = NonNullList(
        RecommendedProduct,
        required=True,
        description="The recommended products, best first. Empty when personalization is "
        "switched off or nothing is indexed yet.",
    )

    class Meta:
        description = "A list of products recommended to one shopper in one channel."
        doc_category = DOC_CATEGORY_PRODUCTS


_EVENT_DESCRIPTIONS = {
    "VIEW": "The shopper viewed the product page.",
    "CLICK": "The shopper clicked the product in a list.",
    "ADD_TO_CART": "The shopper added the product to a cart.",
}


class RecommendationEventTypeEnum(BaseEnum):
    VIEW = EventType.VIEW.value
    CLICK = EventType.CLICK.value
    ADD_TO_CART = EventType.ADD_TO_CART.value

    class Meta:
        description = "What a shopper did with a product."
        doc_category = DOC_CATEGORY_PRODUCTS

    @property
    def description(self) -> str:
        return _EVENT_DESCRIPTIONS[self.name]


class RecommendationEventInput(BaseInputObjectType):
    event = RecommendationEventTypeEnum(required=True, description="What the shopper did.")
    product_id = graphene.ID(required=True, description="ID of the product.")
    channel = graphene.String(
        required=True, description="Slug of the channel the shopper is browsing."
    )
    anonymous_id = graphene.String(
        description=f"The storefront's visitor ID: {ANONYMOUS_ID_RULE}. Anyone who "
        "knows it sees the guest's history, so it must not be guessable. Required for "
        "guests. For a signed-in customer, the guest's history under this ID is merged "
        "into the account."
    )
    recommendation_list_id = graphene.ID(
        description="ID of the recommendation list the product was picked from, if any."
    )

    class Meta:
        description = "A shopper's interaction with a product, for personalization."
        doc_category = DOC_CATEGORY_PRODUCTS
