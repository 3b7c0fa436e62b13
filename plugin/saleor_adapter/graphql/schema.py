"""Our fields on Saleor's graphene classes, attached before Saleor builds its schema.

Saleor builds the schema when ``saleor.graphql.api`` is first imported (from its
URLconf), after every app's ``ready()``. graphene 2 collects a ``Query``'s and
``Mutation``'s fields from the ``__dict__`` of each base class when the class is
created, so our query and mutation go on the ``ProductQueries`` /
``ProductMutations`` mixins; ``Product`` and ``User`` already exist, so their
fields go into ``_meta.fields`` with a ``resolve_*`` attribute beside them.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

logger = logging.getLogger(__name__)

SIMILAR_PRODUCTS = "similar_products"
RECOMMENDED_PRODUCTS = "recommended_products"
EVENT_TRACK = "recommendation_event_track"

# (Saleor class, our field, key in _fields())
PLACEMENTS = (
    ("queries", RECOMMENDED_PRODUCTS, "query"),
    ("mutations", EVENT_TRACK, "mutation"),
    # the learned recommender's versions (graphql/recommender_models.py)
    ("queries", "recommender_models", "recommender_models"),
    ("mutations", "recommender_retrain", "recommender_retrain"),
    ("mutations", "recommender_model_activate", "recommender_model_activate"),
    ("product", SIMILAR_PRODUCTS, "similar"),
    ("user", RECOMMENDED_PRODUCTS, "user"),
    # content optimization (graphql/content.py)
    ("product", "content_score", "content_score"),
    ("product", "description_variants", "description_variants"),
    ("product", "optimized_description", "optimized_description"),
    ("queries", "product_content_scores", "product_content_scores"),
    ("queries", "description_rewrite_job", "description_rewrite_job"),
    ("mutations", "product_description_rewrite", "product_description_rewrite"),
    ("mutations", "product_descriptions_rewrite", "product_descriptions_rewrite"),
    ("mutations", "description_variant_approve", "description_variant_approve"),
    ("mutations", "description_variant_reject", "description_variant_reject"),
    ("mutations", "product_description_rollback", "product_description_rollback"),
    # description experiments (graphql/experiments.py)
    ("product", "description_experiment", "description_experiment"),
    ("queries", "description_experiments", "description_experiments"),
    ("mutations", "description_experiment_start", "description_experiment_start"),
    ("mutations", "description_experiment_stop", "description_experiment_stop"),
)

# (GraphQL type, field) of our list fields, priced per item in Saleor's cost map
COSTED_FIELDS = (
    ("Query", "recommendedProducts"),
    ("Product", "similarProducts"),
    ("User", "recommendedProducts"),
)

_installed = False


def install() -> bool:
    """Attach our fields to Saleor's GraphQL API; False (logged) when that is not possible.

    Never raises: Saleor must start without our fields rather than not at all.
    """
    global _installed
    if _installed:
        return True
    if "saleor.graphql.api" in sys.modules:
        logger.error(
            "Personalization GraphQL fields not installed: Saleor's schema was already built "
            "(saleor.graphql.api imported before the saleor_personalization app was ready)"
        )
        return False
    try:
        targets = _targets()
        problem = _shape_problem(targets)
        if problem:
            logger.error("Personalization GraphQL fields not installed: %s", problem)
            return False
        from saleor.graphql.query_cost_map import COST_MAP

        _attach(targets, _fields(), COST_MAP)
    except Exception:  # another Saleor version: run without our fields
        logger.exception("Personalization GraphQL fields not installed")
        return False
    _installed = True
    return True


def _targets() -> dict[str, Any]:
    from saleor.graphql.account.types import User
    from saleor.graphql.product.schema import ProductMutations, ProductQueries
    from saleor.graphql.product.types import Product

    return {
        "queries": ProductQueries,
        "mutations": ProductMutations,
        "product": Product,
        "user": User,
    }


def _shape_problem(targets: dict[str, Any]) -> str | None:
    import graphene

    for name, cls in targets.items():
        if not (isinstance(cls, type) and issubclass(cls, graphene.ObjectType)):
            return f"{name}: {cls!r} is not a graphene ObjectType"
        if not isinstance(getattr(getattr(cls, "_meta", None), "fields", None), dict):
            return f"{cls.__name__} has no field map (unexpected Saleor version)"
    for name in ("product", "user"):
        if "id" not in targets[name]._meta.fields:
            return f"{targets[name].__name__} has no id field (unexpected Saleor version)"
    taken = [
        f"{targets[target].__name__}.{name}"
        for target, name, _key in PLACEMENTS
        if name in vars(targets[target]) or name in targets[target]._meta.fields
    ]
    return f"fields already defined: {', '.join(taken)}" if taken else None


def _fields() -> dict[str, Any]:
    import graphene
    from saleor.graphql.core.doc_category import DOC_CATEGORY_PRODUCTS
    from saleor.graphql.core.fields import BaseField
    from saleor.graphql.core.types import NonNullList
    from saleor.graphql.product.types import Product
    from saleor.permission.utils import message_one_of_permissions_required

    from ...engine.recommender import MAX_RESULTS
    from ..shoppers import ANONYMOUS_ID_RULE
    from . import resolvers
    from .access import OWNER_OR_MANAGE_USERS
    from .mutations import RecommendationEventTrack
    from .recommender_models import fields as recommender_model_fields
    from .types import RecommendationList

    def first() -> graphene.Int:
        return graphene.Int(
            default_value=10, description=f"How many products to return, 1 to {MAX_RESULTS}."
        )

    def channel() -> graphene.String:
        return graphene.String(
            required=True,
            description="Slug of the channel: only products it can sell are recommended.",
        )

    return {
        "similar": (
            BaseField(
                NonNullList(Product),
                required=True,
                first=first(),
                description="Products most like this one by their text, in this product's "
                "channel, only those the channel can sell, best first; the product itself "
                "is excluded. Empty without a channel, when personalization is switched off "
                "or before the catalog is indexed.",
                doc_category=DOC_CATEGORY_PRODUCTS,
            ),
            resolvers.resolve_similar_products,
        ),
        "query": (
            BaseField(
                RecommendationList,
                channel=channel(),
                first=first(),
                anonymous_id=graphene.String(
                    description=f"The storefront's visitor ID: {ANONYMOUS_ID_RULE}. "
                    "Guests get recommendations from its history; for a signed-in customer "
                    "its history is merged into the account first. Ignored when anonymous "
                    "tracking is switched off."
                ),
                product_id=graphene.ID(
                    description="ID of the product page being viewed, to recommend around it. "
                    "A product not indexed yet is ignored."
                ),
                user_id=graphene.ID(
                    description="Recommendations for this customer instead of the requestor "
                    "(OWNER: the customer themself)."
                    + message_one_of_permissions_required(OWNER_OR_MANAGE_USERS)
                ),
                description="Products recommended to the shopper making the request (the "
                "signed-in customer, else the guest with `anonymousId`, else the channel's "
                "popular products), only those the channel can sell. A list with no items "
                "when personalization is switched off or the catalog is not indexed yet.",
                doc_category=DOC_CATEGORY_PRODUCTS,
            ),
            resolvers.resolve_recommended_products,
        ),
        "user": (
            BaseField(
                RecommendationList,
                channel=channel(),
                first=first(),
                description="Products recommended to this customer, only those the channel "
                "can sell." + message_one_of_permissions_required(OWNER_OR_MANAGE_USERS),
                doc_category=DOC_CATEGORY_PRODUCTS,
            ),
            resolvers.resolve_user_recommended_products,
        ),
        "mutation": (RecommendationEventTrack.Field(), None),
        **recommender_model_fields(),
        **_content_fields(),
        **_experiment_fields(),
    }


def _content_fields() -> dict[str, Any]:
    import graphene
    from saleor.graphql.core.doc_category import DOC_CATEGORY_PRODUCTS
    from saleor.graphql.core.enums import LanguageCodeEnum
    from saleor.graphql.core.fields import JSONString, PermissionsField
    from saleor.graphql.core.types import NonNullList

    from ..shoppers import ANONYMOUS_ID_RULE
    from . import content, optimized_description
    from .content_types import (
        DescriptionRewriteJob,
        DescriptionVariant,
        DescriptionVariantStatusEnum,
        ProductContentScore,
        ProductContentScoreCountableConnection,
    )

    def staff(type_, **kwargs):
        return PermissionsField(
            type_, permissions=content.MANAGE_PRODUCTS, doc_category=DOC_CATEGORY_PRODUCTS,
            **kwargs,
        )

    def language(what: str):
        return LanguageCodeEnum(description=f"{what} in this translation's language.")

    return {
        "content_score": (
            staff(ProductContentScore, description="How well the product's description serves "
                  "its shoppers (null until scored)."),
            content.resolve_content_score,
        ),
        "description_variants": (
            staff(
                NonNullList(DescriptionVariant),
                required=True,
                language_code=language("Versions"),
                status=DescriptionVariantStatusEnum(description="Only versions in this state."),
                description="Every version of the product's description (original, proposed, "
                "edited), newest first, with scores and fact checks.",
            ),
            content.resolve_description_variants,
        ),
        "optimized_description": (
            graphene.Field(
                JSONString,
                language_code=language("The description"),
                anonymous_id=graphene.String(
                    description=f"The storefront's visitor ID ({ANONYMOUS_ID_RULE}): a guest "
                    "in a description experiment sees the arm assigned to this ID. Signed-in "
                    "customers are known by their account. Ignored when anonymous tracking is "
                    "switched off."
                ),
                description="The description to show a shopper, as Editor.js JSON: the live "
                "version (approved proposals included), or, while a description experiment "
                "runs, the arm assigned to this shopper (who is then counted as exposed).",
            ),
            optimized_description.resolve_optimized_description,
        ),
        "product_content_scores": (
            staff(
                ProductContentScoreCountableConnection,
                channel=graphene.String(description="Only products listed in this channel."),
                first=graphene.Int(default_value=20, description="Page size, 1 to 100."),
                after=graphene.String(description="The end cursor of the previous page."),
                max_total=graphene.Float(description="Only scores at most this."),
                language_code=language("Scores"),
                description="Products' description scores, weakest first.",
            ),
            content.resolve_product_content_scores,
        ),
        "description_rewrite_job": (
            staff(
                DescriptionRewriteJob,
                id=graphene.ID(required=True, description="ID of the job."),
                description="A rewrite job and its progress.",
            ),
            content.resolve_description_rewrite_job,
        ),
        "product_description_rewrite": (content.ProductDescriptionRewrite.Field(), None),
        "product_descriptions_rewrite": (content.ProductDescriptionsRewrite.Field(), None),
        "description_variant_approve": (content.DescriptionVariantApprove.Field(), None),
        "description_variant_reject": (content.DescriptionVariantReject.Field(), None),
        "product_description_rollback": (content.ProductDescriptionRollback.Field(), None),
    }


def _experiment_fields() -> dict[str, Any]:
    import graphene
    from saleor.graphql.core.doc_category import DOC_CATEGORY_PRODUCTS
    from saleor.graphql.core.enums import LanguageCodeEnum
    from saleor.graphql.core.fields import PermissionsField

    from . import content, experiments
    from .experiment_types import (
        DescriptionExperiment,
        DescriptionExperimentCountableConnection,
        DescriptionExperimentStatusEnum,
    )

    def staff(type_, **kwargs):
        return PermissionsField(
            type_, permissions=content.MANAGE_PRODUCTS, doc_category=DOC_CATEGORY_PRODUCTS,
            **kwargs,
        )

    return {
        "description_experiment": (
            staff(
                DescriptionExperiment,
                language_code=LanguageCodeEnum(description="The experiment of this translation."),
                description="The product's running description experiment, else its latest, "
                "with live statistics (null if it never had one).",
            ),
            experiments.resolve_product_description_experiment,
        ),
        "description_experiments": (
            staff(
                DescriptionExperimentCountableConnection,
                status=DescriptionExperimentStatusEnum(description="Only experiments in this state."),
                first=graphene.Int(default_value=20, description="Page size, 1 to 100."),
                after=graphene.String(description="The end cursor of the previous page."),
                description="Description experiments, newest first, with live statistics.",
            ),
            experiments.resolve_description_experiments,
        ),
        "description_experiment_start": (experiments.DescriptionExperimentStart.Field(), None),
        "description_experiment_stop": (experiments.DescriptionExperimentStop.Field(), None),
    }


def _attach(targets: dict[str, Any], fields: dict[str, Any], cost_map: dict) -> None:
    for target, name, key in PLACEMENTS:
        cls = targets[target]
        field, resolver = fields[key]
        if resolver is not None:
            setattr(cls, f"resolve_{name}", staticmethod(resolver))
        # Mixins: read from __dict__ when Query/Mutation are created; types: _meta.fields.
        setattr(cls, name, field)
        cls._meta.fields[name] = field
    # Saleor's query cost limit must see that each list item costs like a product.
    for type_name, field_name in COSTED_FIELDS:
        cost_map.setdefault(type_name, {})[field_name] = {"complexity": 1, "multipliers": ["first"]}
