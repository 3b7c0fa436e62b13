"""``recommendationEventTrack``: storefronts report views, clicks and add-to-carts."""

from __future__ import annotations

import graphene
from django.core.exceptions import ValidationError
from django.utils import timezone
from saleor.graphql.core.doc_category import DOC_CATEGORY_PRODUCTS
from saleor.graphql.core.mutations import BaseMutation

from ...engine.events import Event
from .. import list_tokens, services
from .access import active_config, event_shopper
from .arguments import active_channel, served_list, visible_product_pk
from .errors import RecommendationError, RecommendationQueryError
from .types import RecommendationEventInput


class RecommendationEventTrack(BaseMutation):
    tracked = graphene.Boolean(
        required=True,
        description="Whether the event was recorded. False without errors when "
        "personalization is switched off.",
    )

    class Arguments:
        input = RecommendationEventInput(required=True, description="The interaction to record.")

    class Meta:
        description = (
            "Records a shopper's interaction with a product, so that their recommendations "
            "follow it. Signed-in customers are identified by their account; guests by "
            "`anonymousId`."
        )
        doc_category = DOC_CATEGORY_PRODUCTS
        error_type_class = RecommendationError

    @classmethod
    def handle_typed_errors(cls, errors: list, **extra):
        return super().handle_typed_errors(errors, tracked=False, **extra)

    @classmethod
    def perform_mutation(cls, _root, info, /, **data):
        config = active_config(info.context)
        if config is None:
            return cls(tracked=False)
        data = data["input"]
        try:
            channel = active_channel(info.context, data["channel"])
            product_pk = visible_product_pk(info.context, channel, data["product_id"], "productId")
            shopper = event_shopper(info.context, config, data.get("anonymous_id"))
            served = None
            if data.get("recommendation_list_id") is not None:
                served = served_list(data["recommendation_list_id"], "recommendationListId")
        except RecommendationQueryError as error:
            raise ValidationError(
                {error.field: ValidationError(error.message, code=error.code.value)}
            ) from None
        if shopper.merge_from:
            services.merge_shoppers(config, shopper.merge_from, shopper.key)
        # Only a list that was interacted with is kept (its id alone was served).
        list_id = list_tokens.remember(served, shopper.key) if served is not None else None
        event = Event(
            shopper_key=shopper.key,
            product_id=product_pk,
            event_type=data["event"],
            occurred_at=timezone.now(),
            channel=channel.slug,
            recommendation_list_id=list_id,
        )
        # A product not indexed yet still gets its event (services.track keeps it).
        tracked = services.track(config, event)
        if tracked:
            services.enqueue_shopper_lists(shopper.key)
        return cls(tracked=tracked)
