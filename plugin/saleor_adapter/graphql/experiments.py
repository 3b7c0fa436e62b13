"""Description experiments in Saleor's API (staff with MANAGE_PRODUCTS): start, stop,
list, and a product's experiment with live statistics."""

from __future__ import annotations

import base64
import binascii
import datetime
import json
import uuid

import graphene
from django.db.models import Q
from saleor.graphql.core.doc_category import DOC_CATEGORY_PRODUCTS
from saleor.graphql.core.enums import LanguageCodeEnum
from saleor.graphql.core.mutations import BaseMutation
from saleor.graphql.core.types import NonNullList
from saleor.graphql.product.types import Product
from saleor.permission.enums import ProductPermissions

from ...experiment_models import DescriptionExperiment as ExperimentModel
from .. import experiments
from ..experiments import MAX_VARIANTS, ExperimentError, ExperimentPlan
from ..services import replica
from .arguments import enum_value
from .content import (
    ContentErrorCode,
    ContentOptimizationError,
    _content_config,
    _invalid,
    _requestor,
)
from .errors import RecommendationErrorCode, RecommendationQueryError
from .experiment_types import (
    DescriptionExperiment,
    DescriptionExperimentCountableConnection,
    DescriptionExperimentGoalEnum,
    with_live_statistics,
)
from .pagination import connection_page


def _decided(call):
    try:
        return call()
    except ExperimentError as error:
        raise _invalid(error.field, str(error), ContentErrorCode(error.code)) from None


def _pk(global_id: str, type_name: str, field: str) -> str:
    """The UUID inside a global ID of ``type_name``."""
    try:
        kind, pk = graphene.Node.from_global_id(global_id)
        pk = str(uuid.UUID(pk))
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError):
        kind, pk = None, None
    if kind != type_name:
        raise _invalid(
            field, f"Invalid ID: {global_id}. Expected: {type_name}.", ContentErrorCode.GRAPHQL_ERROR
        )
    return pk


class DescriptionExperimentStart(BaseMutation):
    experiment = graphene.Field(DescriptionExperiment, description="The experiment, running.")

    class Arguments:
        product_id = graphene.ID(required=True, description="The product to test.")
        variant_ids = NonNullList(
            graphene.ID,
            required=True,
            description=f"Proposed description variants to test against the live one "
            f"(1 to {MAX_VARIANTS}).",
        )
        traffic_percent = graphene.Int(
            description="Share of shoppers in the experiment, 1 to 100 (default 100); the "
            "others see the live description and are not counted."
        )
        goal = DescriptionExperimentGoalEnum(description="What counts (default ADD_TO_CART).")
        minimum_detectable_effect = graphene.Float(
            description="Smallest relative uplift worth detecting, above 0 (default 0.1 = +10%)."
        )
        alpha = graphene.Float(
            description="Chance of declaring a winner when there is no difference (alpha), "
            "above 0 and at most 0.2 (default 0.05). The test stays valid however often the "
            "statistics are looked at."
        )
        language_code = LanguageCodeEnum(description="Test this translation's description.")
        auto_promote = graphene.Boolean(
            description="Put a winning variant live without staff (default: the plugin's "
            "'approve proposals automatically' setting)."
        )

    class Meta:
        description = (
            "Starts an A/B test of proposed descriptions against the live one: each shopper "
            "is assigned an arm for good, and conversions are counted per arm."
        )
        doc_category = DOC_CATEGORY_PRODUCTS
        permissions = (ProductPermissions.MANAGE_PRODUCTS,)
        error_type_class = ContentOptimizationError

    @classmethod
    def perform_mutation(cls, _root, info, /, **data):
        config = _content_config(info)
        product = cls.get_node_or_error(info, data["product_id"], field="productId",
                                        only_type=Product)
        auto_promote = data.get("auto_promote")
        plan = ExperimentPlan(
            version_ids=tuple(
                _pk(value, "DescriptionVariant", "variantIds") for value in data["variant_ids"]
            ),
            goal=enum_value(data.get("goal")) or ExperimentModel.Goal.ADD_TO_CART,
            traffic_percent=100 if data.get("traffic_percent") is None
            else data["traffic_percent"],
            minimum_detectable_effect=0.1 if data.get("minimum_detectable_effect") is None
            else data["minimum_detectable_effect"],
            alpha=0.05 if data.get("alpha") is None else data["alpha"],
            language_code=enum_value(data.get("language_code")),
            auto_promote=config.auto_promote if auto_promote is None else auto_promote,
            attribution_window_days=config.experiment_attribution_days,
        )
        experiment = _decided(
            lambda: experiments.start(product, plan, started_by=_requestor(info))
        )
        return cls(experiment=_loaded(experiment.pk))


class DescriptionExperimentStop(BaseMutation):
    experiment = graphene.Field(DescriptionExperiment, description="The experiment, ended.")

    class Arguments:
        id = graphene.ID(required=True, description="ID of a running experiment.")
        promote_winner = graphene.Boolean(
            description="Apply the decision now: a winning variant goes live (or the current "
            "description is kept when nothing beats it). Refused while undecided."
        )

    class Meta:
        description = "Ends a running description experiment."
        doc_category = DOC_CATEGORY_PRODUCTS
        permissions = (ProductPermissions.MANAGE_PRODUCTS,)
        error_type_class = ContentOptimizationError

    @classmethod
    def perform_mutation(cls, _root, info, /, **data):
        pk = _pk(data["id"], "DescriptionExperiment", "id")
        experiment = _decided(lambda: experiments.stop(
            pk, promote_winner=bool(data.get("promote_winner")), stopped_by=_requestor(info)
        ))
        return cls(experiment=_loaded(experiment.pk))


def _loaded(pk) -> ExperimentModel:
    """An experiment as the types read it (arms and versions loaded, live numbers)."""
    experiment = _experiments(None).get(pk=pk)
    return with_live_statistics([experiment])[0]


def _experiments(using: str | None):
    rows = ExperimentModel.objects.all()
    if using is not None:
        rows = rows.using(using)
    return rows.select_related("promoted_version").prefetch_related("arms__version")


# -- fields -------------------------------------------------------------------------


def resolve_product_description_experiment(root, _info, *, language_code=None):
    """The product's running experiment in the language, else its latest one."""
    rows = _experiments(replica()).filter(
        product_id=root.node.pk, language_code=enum_value(language_code)
    )
    experiment = (
        rows.filter(status=ExperimentModel.Status.RUNNING).first()
        or rows.order_by("-started_at").first()
    )
    return with_live_statistics([experiment], replica())[0] if experiment else None


def resolve_description_experiments(_root, _info, *, status=None, first=20, after=None):
    if first is None or not 1 <= first <= 100:
        raise RecommendationQueryError(
            f"expected 1 to 100, got {first}", RecommendationErrorCode.INVALID, "first"
        )
    rows = _experiments(replica())
    if status is not None:
        rows = rows.filter(status=enum_value(status))
    total_count = rows.count()
    if after:
        started_at, pk = _decode_cursor(after)
        rows = rows.filter(Q(started_at__lt=started_at) | Q(started_at=started_at, pk__lt=pk))
    page = list(rows.order_by("-started_at", "-pk")[: first + 1])
    shown = with_live_statistics(page[:first], replica())
    return connection_page(
        DescriptionExperimentCountableConnection,
        shown + page[first:],
        first,
        after=after,
        total_count=total_count,
        cursor=_cursor,
    )


def _cursor(row: ExperimentModel) -> str:
    return base64.b64encode(json.dumps([row.started_at.isoformat(), str(row.pk)]).encode()).decode()


def _decode_cursor(cursor: str) -> tuple[datetime.datetime, uuid.UUID]:
    try:
        started_at, pk = json.loads(base64.b64decode(cursor.encode()))
        return datetime.datetime.fromisoformat(started_at), uuid.UUID(pk)
    except (ValueError, TypeError, binascii.Error):
        raise RecommendationQueryError(
            "not a cursor of this list", RecommendationErrorCode.INVALID, "after"
        ) from None
