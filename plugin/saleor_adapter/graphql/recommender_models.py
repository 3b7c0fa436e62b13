"""The learned recommender's versions in Saleor's API (staff and apps only):
``recommenderModels``, ``recommenderRetrain`` and ``recommenderModelActivate``."""

from __future__ import annotations

from enum import Enum

import graphene
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS
from django.db.models import BooleanField, ExpressionWrapper, Q
from saleor.graphql.core.context import get_database_connection_name
from saleor.graphql.core.doc_category import DOC_CATEGORY_PRODUCTS
from saleor.graphql.core.fields import JSONString
from saleor.graphql.core.mutations import BaseMutation
from saleor.graphql.core.scalars import DateTime
from saleor.graphql.core.types import BaseObjectType, NonNullList
from saleor.graphql.core.types.common import Error
from saleor.permission.enums import AppPermission, ProductPermissions

from ...models import RecommenderModel as ModelRow
from ...store import recommender_registry as registry
from .. import training_jobs
from .access import active_config
from .arguments import decode_int_id, enum_value
from .errors import RecommendationErrorCode, RecommendationQueryError

STAFF = [ProductPermissions.MANAGE_PRODUCTS, AppPermission.MANAGE_APPS]
TYPE_NAME = "RecommenderModel"
MAX_VERSIONS = 100


class RecommenderModelErrorCode(Enum):
    GRAPHQL_ERROR = "graphql_error"
    INVALID = "invalid"
    NOT_FOUND = "not_found"
    PLUGIN_INACTIVE = "plugin_inactive"


RecommenderModelErrorCodeEnum = graphene.Enum.from_enum(
    RecommenderModelErrorCode, description="Error codes of recommender model mutations."
)
RecommenderModelErrorCodeEnum.doc_category = DOC_CATEGORY_PRODUCTS


class RecommenderModelError(Error):
    code = RecommenderModelErrorCodeEnum(description="The error code.", required=True)

    class Meta:
        description = "Represents an error in a recommender model mutation."
        doc_category = DOC_CATEGORY_PRODUCTS


RecommenderModelStatusEnum = graphene.Enum(
    "RecommenderModelStatusEnum", [(value.upper(), value) for value in ModelRow.Status.values]
)
RecommenderModelStatusEnum.doc_category = DOC_CATEGORY_PRODUCTS
RecommenderModelStatusEnum.description = (
    "QUEUED: waiting for a training worker. TRAINING: running. LIVE: ranks shoppers' lists "
    "now. REJECTED: trained, but did not beat the live model and the content profile. "
    "RETIRED: was live, replaced since. FAILED: the run stopped with an error."
)


class RecommenderModelMetrics(BaseObjectType):
    model = graphene.String(
        required=True,
        description="Which model: `candidate` (this version), `live` (the model live when "
        "it was judged) or `content` (the text profile).",
    )
    ndcg_at_10 = graphene.Float(required=True, description="NDCG@10 on the held-out slice.")
    recall_at_10 = graphene.Float(required=True, description="Recall@10 on the held-out slice.")
    cases = graphene.Int(required=True, description="Held-out interactions ranked.")

    class Meta:
        description = "One model's ranking quality on the newest interactions, held out."
        doc_category = DOC_CATEGORY_PRODUCTS


class RecommenderModel(BaseObjectType):
    id = graphene.ID(required=True, description="ID of the version.")
    status = RecommenderModelStatusEnum(required=True, description="Where the version stands.")
    trigger = graphene.String(
        required=True, description="What started it: staff, schedule, events or command."
    )
    text_model = graphene.String(
        required=True, description="The language model whose product vectors it reads."
    )
    window_start = DateTime(description="The oldest event it learned from.")
    window_end = DateTime(description="The newest event it read.")
    event_count = graphene.Int(required=True, description="Events read.")
    shopper_count = graphene.Int(required=True, description="Shoppers in those events.")
    product_count = graphene.Int(required=True, description="Products in those events.")
    hyperparameters = JSONString(required=True, description="How it was trained.")
    metrics = JSONString(
        required=True,
        description="Every number of the run: `gate` (held-out slice, per model), "
        "`validation` (early stopping) and `losses` (each loss tried).",
    )
    gate = NonNullList(
        RecommenderModelMetrics,
        required=True,
        description="The promotion gate's numbers, one entry per model compared.",
    )
    decision = graphene.String(required=True, description="Why it went live or not.")
    training_seconds = graphene.Float(description="Wall time of training.")
    peak_memory_mb = graphene.Float(description="Peak resident memory during training, MB.")
    can_activate = graphene.Boolean(
        required=True,
        description="Whether `recommenderModelActivate` can make it live (a trained version "
        "whose vectors and weights are still kept).",
    )
    error = graphene.String(required=True, description="Why it failed; empty otherwise.")
    created_at = DateTime(required=True, description="When it was requested.")
    started_at = DateTime(description="When training started.")
    finished_at = DateTime(description="When training ended.")
    activated_at = DateTime(description="When it last went live.")

    class Meta:
        description = "One trained version of the learned recommender."
        doc_category = DOC_CATEGORY_PRODUCTS

    @staticmethod
    def resolve_id(root: ModelRow, _info):
        return graphene.Node.to_global_id(TYPE_NAME, root.pk)

    @staticmethod
    def resolve_gate(root: ModelRow, _info):
        gate = (root.metrics or {}).get("gate", {})
        return [
            {
                "model": name,
                "ndcg_at_10": values.get("ndcg@10", 0.0),
                "recall_at_10": values.get("recall@10", 0.0),
                "cases": int(values.get("cases", 0)),
            }
            for name, values in gate.items()
        ]

    @staticmethod
    def resolve_can_activate(root: ModelRow, _info):
        return root.status in (ModelRow.Status.RETIRED, ModelRow.Status.LIVE) and bool(
            root.space_id and root.has_artifact
        )


def _writer() -> str:
    return getattr(settings, "DATABASE_CONNECTION_DEFAULT_NAME", DEFAULT_DB_ALIAS)


def _rows(database: str):
    # The artifact stays in the database: the list needs only whether it exists.
    return (
        ModelRow.objects.using(database)
        .defer("artifact_weights", "artifact_description")
        .annotate(
            has_artifact=ExpressionWrapper(~Q(artifact_weights=None), output_field=BooleanField())
        )
    )


def resolve_recommender_models(_root, info, *, first: int = 20, status=None):
    if not 1 <= first <= MAX_VERSIONS:
        raise RecommendationQueryError(
            f"`first` must be between 1 and {MAX_VERSIONS}, got {first}.",
            RecommendationErrorCode.INVALID,
            "first",
        )
    rows = _rows(get_database_connection_name(info.context))
    if status is not None:
        rows = rows.filter(status=enum_value(status))
    return list(rows.order_by("-created_at", "-pk")[:first])


def _error(field: str, message: str, code: RecommenderModelErrorCode) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code.value)})


class RecommenderRetrain(BaseMutation):
    enqueued = graphene.Boolean(
        required=True,
        description="Whether a new training was queued; false when one is queued or "
        "running already (then `recommenderModel` is that one).",
    )
    recommender_model = graphene.Field(
        RecommenderModel, description="The version that will record this training."
    )

    class Meta:
        description = (
            "Trains the learned recommender on the shop's events in the background. The "
            "new version goes live only if it beats the live one and the content profile "
            "on the newest interactions; follow it in `recommenderModels`."
        )
        doc_category = DOC_CATEGORY_PRODUCTS
        permissions = tuple(STAFF)
        error_type_class = RecommenderModelError

    @classmethod
    def handle_typed_errors(cls, errors: list, **extra):
        return super().handle_typed_errors(errors, enqueued=False, **extra)

    @classmethod
    def perform_mutation(cls, _root, info, /, **data):
        if active_config(info.context) is None:
            raise _error(
                "recommenderModel",
                "the personalization plugin is switched off",
                RecommenderModelErrorCode.PLUGIN_INACTIVE,
            )
        enqueued, row = training_jobs.request_retrain("staff")
        return cls(enqueued=enqueued, recommender_model=_rows(_writer()).get(pk=row.pk))


class RecommenderModelActivate(BaseMutation):
    recommender_model = graphene.Field(RecommenderModel, description="The version now live.")

    class Arguments:
        id = graphene.ID(required=True, description="ID of a kept, trained version.")

    class Meta:
        description = (
            "Makes a kept version live again (a rollback): its product vectors and the "
            "versions' statuses switch in one transaction. Shoppers' lists follow it as "
            "their next events are processed."
        )
        doc_category = DOC_CATEGORY_PRODUCTS
        permissions = tuple(STAFF)
        error_type_class = RecommenderModelError

    @classmethod
    def perform_mutation(cls, _root, info, /, **data):
        try:
            pk = decode_int_id(data["id"], TYPE_NAME, "id")
        except RecommendationQueryError as error:
            raise _error("id", error.message, RecommenderModelErrorCode.GRAPHQL_ERROR) from None
        row = ModelRow.objects.filter(pk=pk).first()
        if row is None:
            raise _error(
                "id", f"Couldn't resolve to a recommender model: {data['id']}",
                RecommenderModelErrorCode.NOT_FOUND,
            )
        if row.status not in (ModelRow.Status.RETIRED, ModelRow.Status.LIVE):
            raise _error(
                "id",
                f"a {row.status} version cannot go live; only versions that were live before",
                RecommenderModelErrorCode.INVALID,
            )
        try:
            registry.go_live(row)
        except registry.NotActivatable as error:
            raise _error("id", str(error), RecommenderModelErrorCode.INVALID) from None
        return cls(recommender_model=_rows(_writer()).get(pk=row.pk))


def fields() -> dict:
    """Our schema entries: key -> (field, resolver), for ``schema.PLACEMENTS``."""
    from saleor.graphql.core.fields import PermissionsField

    return {
        "recommender_models": (
            PermissionsField(
                NonNullList(RecommenderModel),
                required=True,
                permissions=STAFF,
                first=graphene.Int(
                    default_value=20, description=f"How many versions, 1 to {MAX_VERSIONS}."
                ),
                status=RecommenderModelStatusEnum(description="Only versions in this state."),
                description="Versions of the learned recommender, newest first, with their "
                "data window, hyper-parameters, promotion-gate numbers, training time and "
                "peak memory.",
                doc_category=DOC_CATEGORY_PRODUCTS,
            ),
            resolve_recommender_models,
        ),
        "recommender_retrain": (RecommenderRetrain.Field(), None),
        "recommender_model_activate": (RecommenderModelActivate.Field(), None),
    }
