"""Content optimization in Saleor's API: scores, rewrite requests, approval, rollback
(staff with MANAGE_PRODUCTS), and the description a storefront should show."""

from __future__ import annotations

import base64
import json
from enum import Enum

import graphene
from django.core.exceptions import ValidationError
from saleor.graphql.core.doc_category import DOC_CATEGORY_PRODUCTS
from saleor.graphql.core.enums import LanguageCodeEnum
from saleor.graphql.core.mutations import BaseMutation
from saleor.graphql.core.types.common import Error
from saleor.graphql.core.utils import from_global_id_or_error
from saleor.graphql.product.types import Category, Collection, Product
from saleor.permission.enums import ProductPermissions

from ... import tasks
from ...content_models import DescriptionScore, DescriptionVersion, RewriteJob
from .. import content_jobs, content_versions
from ..config import MAX_CANDIDATES
from ..hooks import enqueue_on_commit
from ..services import replica
from .access import active_config
from .arguments import enum_value
from .content_types import (
    DescriptionRewriteJob,
    DescriptionVariant,
    ProductContentScoreCountableConnection,
)
from .pagination import connection_page

MANAGE_PRODUCTS = [ProductPermissions.MANAGE_PRODUCTS]
MAX_BULK = 500


class ContentErrorCode(Enum):
    GRAPHQL_ERROR = "graphql_error"
    INVALID = "invalid"
    NOT_FOUND = "not_found"
    REQUIRED = "required"
    CONTENT_OPTIMIZATION_DISABLED = "content_optimization_disabled"
    # description experiments (graphql/experiments.py)
    ALREADY_RUNNING = "already_running"
    NOT_RUNNING = "not_running"


ContentErrorCodeEnum = graphene.Enum.from_enum(
    ContentErrorCode,
    description="Error codes of description optimization and experiment mutations.",
)
ContentErrorCodeEnum.doc_category = DOC_CATEGORY_PRODUCTS


class ContentOptimizationError(Error):
    code = ContentErrorCodeEnum(description="The error code.", required=True)

    class Meta:
        description = "Represents an error in a description optimization mutation."
        doc_category = DOC_CATEGORY_PRODUCTS


def _invalid(field: str, message: str, code: ContentErrorCode = ContentErrorCode.INVALID):
    return ValidationError({field: ValidationError(message, code=code.value)})


def _content_config(info):
    config = active_config(info.context)
    if config is None or not config.content_enabled:
        raise _invalid(
            "productId" if config is None else "contentEnabled",
            "description optimization is switched off in the plugin's settings",
            ContentErrorCode.CONTENT_OPTIMIZATION_DISABLED,
        )
    return config


def _requestor(info) -> str:
    user = getattr(info.context, "user", None)
    if user is not None and getattr(user, "email", None):
        return user.email
    app = getattr(info.context, "app", None)
    return f"app:{app.name}" if app is not None else ""


def _candidates(value: int | None, config) -> int:
    count = config.rewrite_candidates if value is None else value
    if not 1 <= count <= MAX_CANDIDATES:
        raise _invalid("candidates", f"expected 1 to {MAX_CANDIDATES} drafts, got {count}")
    return count


def _start(job: RewriteJob) -> None:
    enqueue_on_commit(tasks.rewrite_descriptions, str(job.pk))


# -- mutations --------------------------------------------------------------------


class ProductDescriptionRewrite(BaseMutation):
    job = graphene.Field(DescriptionRewriteJob, description="The background job; poll it.")

    class Arguments:
        product_id = graphene.ID(required=True, description="The product to rewrite.")
        language_code = LanguageCodeEnum(
            description="Rewrite this translation instead of the product's own description."
        )
        instructions = graphene.String(description="What the new text should do differently.")
        candidates = graphene.Int(description=f"Drafts to write, 1 to {MAX_CANDIDATES}.")

    class Meta:
        description = (
            "Asks the writing model for better descriptions of a product. Drafts that keep "
            "every fact and score better become proposals (`Product.descriptionVariants`)."
        )
        doc_category = DOC_CATEGORY_PRODUCTS
        permissions = (ProductPermissions.MANAGE_PRODUCTS,)
        error_type_class = ContentOptimizationError

    @classmethod
    def perform_mutation(cls, _root, info, /, **data):
        config = _content_config(info)
        product = cls.get_node_or_error(info, data["product_id"], field="productId", only_type=Product)
        job = content_jobs.create_job(
            [product.pk],
            language_code=enum_value(data.get("language_code")),
            instructions=(data.get("instructions") or "").strip(),
            candidates=_candidates(data.get("candidates"), config),
            requested_by=_requestor(info),
        )
        _start(job)
        return cls(job=job)


class ProductDescriptionsRewrite(BaseMutation):
    job = graphene.Field(DescriptionRewriteJob, description="The background job; poll it.")

    class Arguments:
        category_id = graphene.ID(description="Products of this category and its subcategories.")
        collection_id = graphene.ID(description="Products of this collection.")
        max_total = graphene.Float(description="Only products whose score is at most this.")
        language_code = LanguageCodeEnum(description="Rewrite this translation.")
        instructions = graphene.String(description="What the new texts should do differently.")
        candidates = graphene.Int(description=f"Drafts per product, 1 to {MAX_CANDIDATES}.")

    class Meta:
        description = (
            f"Asks for better descriptions of many products at once (at most {MAX_BULK}, "
            "weakest first when `maxTotal` is given). At least one filter is required."
        )
        doc_category = DOC_CATEGORY_PRODUCTS
        permissions = (ProductPermissions.MANAGE_PRODUCTS,)
        error_type_class = ContentOptimizationError

    @classmethod
    def perform_mutation(cls, _root, info, /, **data):
        config = _content_config(info)
        if all(data.get(key) is None for key in ("category_id", "collection_id", "max_total")):
            raise _invalid(
                "categoryId", "name a category, a collection or a maximum score",
                ContentErrorCode.REQUIRED,
            )
        category = collection = None
        if data.get("category_id") is not None:
            category = cls.get_node_or_error(
                info, data["category_id"], field="categoryId", only_type=Category
            )
        if data.get("collection_id") is not None:
            collection = cls.get_node_or_error(
                info, data["collection_id"], field="collectionId", only_type=Collection
            )
        ids = content_jobs.products_for_bulk(
            category_id=category.pk if category else None,
            collection_id=collection.pk if collection else None,
            max_total=data.get("max_total"),
            limit=MAX_BULK,
        )
        if not ids:
            raise _invalid("categoryId", "no product matches these filters", ContentErrorCode.NOT_FOUND)
        job = content_jobs.create_job(
            ids,
            language_code=enum_value(data.get("language_code")),
            instructions=(data.get("instructions") or "").strip(),
            candidates=_candidates(data.get("candidates"), config),
            requested_by=_requestor(info),
        )
        _start(job)
        return cls(job=job)


def _version_pk(global_id: str, field: str = "id"):
    try:
        kind, pk = from_global_id_or_error(global_id, "DescriptionVariant", raise_error=False) or (
            None, None
        )
    except Exception:
        kind, pk = None, None
    if kind != "DescriptionVariant" or not pk:
        raise _invalid(field, f"not a DescriptionVariant ID: {global_id!r}")
    return pk


def _decided(call):
    try:
        return call()
    except content_versions.VersionError as error:
        known = {code.value for code in ContentErrorCode}
        code = ContentErrorCode(error.code) if error.code in known else ContentErrorCode.INVALID
        raise _invalid(error.field, str(error), code) from None


class DescriptionVariantApprove(BaseMutation):
    variant = graphene.Field(DescriptionVariant, description="The variant, now live.")

    class Arguments:
        id = graphene.ID(required=True, description="ID of a proposed description variant.")

    class Meta:
        description = (
            "Puts a proposed description live: it is written into the product (the dashboard "
            "shows it), the previous one is kept, and the product is re-read for recommendations."
        )
        doc_category = DOC_CATEGORY_PRODUCTS
        permissions = (ProductPermissions.MANAGE_PRODUCTS,)
        error_type_class = ContentOptimizationError

    @classmethod
    def perform_mutation(cls, _root, info, /, **data):
        pk = _version_pk(data["id"])
        version = _decided(lambda: content_versions.approve(pk, approver=_requestor(info)))
        return cls(variant=version)


class DescriptionVariantReject(BaseMutation):
    variant = graphene.Field(DescriptionVariant, description="The variant, now rejected.")

    class Arguments:
        id = graphene.ID(required=True, description="ID of a proposed description variant.")
        reason = graphene.String(description="Why, for the record.")

    class Meta:
        description = "Turns down a proposed description (it is kept, marked rejected)."
        doc_category = DOC_CATEGORY_PRODUCTS
        permissions = (ProductPermissions.MANAGE_PRODUCTS,)
        error_type_class = ContentOptimizationError

    @classmethod
    def perform_mutation(cls, _root, info, /, **data):
        pk = _version_pk(data["id"])
        reason = (data.get("reason") or "").strip()
        version = _decided(
            lambda: content_versions.reject(pk, approver=_requestor(info), reason=reason)
        )
        return cls(variant=version)


class ProductDescriptionRollback(BaseMutation):
    variant = graphene.Field(DescriptionVariant, description="The version, live again.")

    class Arguments:
        product_id = graphene.ID(required=True, description="The product.")
        version_id = graphene.ID(
            required=True, description="A version of its description that was live before."
        )

    class Meta:
        description = "Puts back an earlier description of a product (original, approved or edited)."
        doc_category = DOC_CATEGORY_PRODUCTS
        permissions = (ProductPermissions.MANAGE_PRODUCTS,)
        error_type_class = ContentOptimizationError

    @classmethod
    def perform_mutation(cls, _root, info, /, **data):
        product = cls.get_node_or_error(info, data["product_id"], field="productId", only_type=Product)
        pk = _version_pk(data["version_id"], "versionId")
        version = _decided(
            lambda: content_versions.rollback(product.pk, pk, approver=_requestor(info))
        )
        return cls(variant=version)


# -- fields -------------------------------------------------------------------------


def resolve_content_score(root, _info):
    return (
        DescriptionScore.objects.using(replica())
        .filter(product_id=root.node.pk, language_code="")
        .first()
    )


def resolve_description_variants(root, _info, *, language_code=None, status=None):
    versions = DescriptionVersion.objects.using(replica()).filter(
        product_id=root.node.pk, language_code=enum_value(language_code)
    )
    if status is not None:
        versions = versions.filter(status=enum_value(status))
    return list(versions.order_by("-created_at"))


def resolve_description_rewrite_job(_root, _info, *, id: str):
    _kind, pk = from_global_id_or_error(id, "DescriptionRewriteJob")
    return RewriteJob.objects.using(replica()).filter(pk=pk).first()


def resolve_product_content_scores(
    _root, _info, *, channel=None, first=20, after=None, max_total=None, language_code=None
):
    if not 1 <= first <= 100:
        raise _query_error("first", f"expected 1 to 100, got {first}")
    scores = DescriptionScore.objects.using(replica()).filter(
        language_code=enum_value(language_code)
    )
    if channel:
        from saleor.product.models import ProductChannelListing

        listed = (
            ProductChannelListing.objects.using(replica())
            .filter(channel__slug=channel)
            .values("product_id")
        )
        scores = scores.filter(product_id__in=listed)
    if max_total is not None:
        scores = scores.filter(total__lte=max_total)
    total_count = scores.count()
    if after:
        total, product_id = _decode_cursor(after)
        from django.db.models import Q

        scores = scores.filter(Q(total__gt=total) | Q(total=total, product_id__gt=product_id))
    page = list(scores.order_by("total", "product_id")[: first + 1])
    return connection_page(
        ProductContentScoreCountableConnection,
        page,
        first,
        after=after,
        total_count=total_count,
        cursor=_cursor,
    )


def _cursor(row: DescriptionScore) -> str:
    return base64.b64encode(json.dumps([row.total, row.product_id]).encode()).decode()


def _decode_cursor(cursor: str) -> tuple[float, int]:
    try:
        total, product_id = json.loads(base64.b64decode(cursor.encode()))
        return float(total), int(product_id)
    except (ValueError, TypeError):
        raise _query_error("after", "not a cursor of this list") from None


def _query_error(field: str, message: str):
    from .errors import RecommendationErrorCode, RecommendationQueryError

    return RecommendationQueryError(message, RecommendationErrorCode.INVALID, field)

