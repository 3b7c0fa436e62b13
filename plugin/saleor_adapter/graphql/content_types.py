"""GraphQL types of content optimization: scores, description variants, rewrite jobs."""

from __future__ import annotations

import graphene
from saleor.graphql.core.connection import CountableConnection
from saleor.graphql.core.doc_category import DOC_CATEGORY_PRODUCTS
from saleor.graphql.core.fields import JSONString
from saleor.graphql.core.scalars import DateTime
from saleor.graphql.core.types import BaseObjectType, NonNullList
from saleor.graphql.product.types import Product

from ...content_models import DescriptionVersion, RewriteJob


def _replica() -> str:
    from ..services import replica

    return replica()


def _enum(name: str, choices, description: str) -> type[graphene.Enum]:
    enum = graphene.Enum(name, [(value.upper(), value) for value in choices.values])
    enum.doc_category = DOC_CATEGORY_PRODUCTS
    enum.description = description
    return enum


DescriptionVariantStatusEnum = _enum(
    "DescriptionVariantStatusEnum",
    DescriptionVersion.Status,
    "LIVE: shown now. PROPOSED: waiting for staff. REJECTED: turned down. "
    "RETIRED: was live, replaced since (can be put back).",
)
DescriptionVariantOriginEnum = _enum(
    "DescriptionVariantOriginEnum",
    DescriptionVersion.Origin,
    "ORIGINAL: the description before the plugin's first change. GENERATED: written by "
    "the model. MANUAL: edited by staff in the dashboard.",
)
DescriptionRewriteJobStatusEnum = _enum(
    "DescriptionRewriteJobStatusEnum", RewriteJob.Status, "Where a rewrite job stands."
)


class ProductContentScore(BaseObjectType):
    product = graphene.Field(Product, description="The scored product (in no channel).")
    language_code = graphene.String(
        required=True, description="Language of the scored text; empty for the product's own."
    )
    total = graphene.Float(required=True, description="Overall score, 0 to 100.")
    alignment = graphene.Float(
        required=True,
        description="0 to 1: how close the description is to what the product's shoppers "
        "look for (their preference vectors).",
    )
    completeness = graphene.Float(
        required=True, description="0 to 1: share of the product's facts the text states."
    )
    readability = graphene.Float(
        required=True, description="0 to 1: sentence length and structure for its language."
    )
    length = graphene.Float(required=True, description="0 to 1: within the target length.")
    suggestions = NonNullList(
        graphene.String, required=True, description="What to fix, in plain language."
    )
    computed_at = DateTime(description="When the score was computed.")

    class Meta:
        description = "How well a product's description serves its shoppers."
        doc_category = DOC_CATEGORY_PRODUCTS

    @staticmethod
    def resolve_product(root, _info):
        from saleor.graphql.core.context import ChannelContext
        from saleor.product.models import Product as ProductModel

        product_id = getattr(root, "product_id", None)
        if product_id is None:  # a proposal's own score
            return None
        product = ProductModel.objects.using(_replica()).filter(pk=product_id).first()
        return ChannelContext(node=product, channel_slug=None) if product else None


class ProductContentScoreCountableConnection(CountableConnection):
    class Meta:
        doc_category = DOC_CATEGORY_PRODUCTS
        node = ProductContentScore


class DescriptionGuardrailViolation(BaseObjectType):
    rule = graphene.String(required=True, description="The rule broken, e.g. 'dropped_fact'.")
    detail = graphene.String(required=True, description="What exactly, for a merchant.")

    class Meta:
        description = "One fact check a description failed."
        doc_category = DOC_CATEGORY_PRODUCTS


class DescriptionGuardrailReport(BaseObjectType):
    accepted = graphene.Boolean(required=True, description="Whether every check passed.")
    violations = NonNullList(DescriptionGuardrailViolation, required=True)

    class Meta:
        description = "The fact checks of a generated description."
        doc_category = DOC_CATEGORY_PRODUCTS


class DescriptionVariant(BaseObjectType):
    id = graphene.ID(required=True)
    product = graphene.Field(Product, description="The product it describes.")
    language_code = graphene.String(
        required=True, description="Its translation's language; empty for the product's own."
    )
    status = DescriptionVariantStatusEnum(required=True)
    origin = DescriptionVariantOriginEnum(required=True)
    description = JSONString(required=True, description="The description, as Editor.js JSON.")
    text = graphene.String(required=True, description="The description as plain text.")
    score = graphene.Field(ProductContentScore, description="Its score when it was proposed.")
    previous_total = graphene.Float(
        description="The live description's total when this one was proposed."
    )
    guardrails = graphene.Field(DescriptionGuardrailReport, description="Its fact checks.")
    backend = graphene.String(required=True, description="'local' or 'openai'; empty if manual.")
    model = graphene.String(required=True, description="The model that wrote it.")
    prompt_version = graphene.String(required=True, description="The prompt's version.")
    author = graphene.String(required=True, description="Who asked for it or wrote it.")
    approver = graphene.String(required=True, description="Who approved or rejected it.")
    approval = graphene.String(
        required=True, description="How it went live: 'staff', 'auto' or 'experiment'."
    )
    reason = graphene.String(required=True, description="Why it was rejected.")
    created_at = DateTime(required=True)
    decided_at = DateTime()

    class Meta:
        description = "A version of a product's description: original, proposed or edited."
        doc_category = DOC_CATEGORY_PRODUCTS

    @staticmethod
    def resolve_id(root: DescriptionVersion, _info):
        return graphene.Node.to_global_id("DescriptionVariant", str(root.pk))

    @staticmethod
    def resolve_product(root: DescriptionVersion, _info):
        from saleor.graphql.core.context import ChannelContext
        from saleor.product.models import Product as ProductModel

        product = ProductModel.objects.using(_replica()).filter(pk=root.product_id).first()
        return ChannelContext(node=product, channel_slug=None) if product else None

    @staticmethod
    def resolve_status(root: DescriptionVersion, _info):
        return root.status

    @staticmethod
    def resolve_origin(root: DescriptionVersion, _info):
        return root.origin

    @staticmethod
    def resolve_score(root: DescriptionVersion, _info):
        if not root.score:
            return None
        values = {k: root.score.get(k) for k in ("total", "alignment", "completeness",
                                                 "readability", "length")}
        return ProductContentScore(
            language_code=root.language_code,
            suggestions=root.score.get("suggestions", []),
            **values,
        )

    @staticmethod
    def resolve_previous_total(root: DescriptionVersion, _info):
        return (root.score or {}).get("previous_total")

    @staticmethod
    def resolve_guardrails(root: DescriptionVersion, _info):
        if root.guardrails is None:
            return None
        return DescriptionGuardrailReport(
            accepted=root.guardrails.get("accepted", False),
            violations=[
                DescriptionGuardrailViolation(rule=v["rule"], detail=v["detail"])
                for v in root.guardrails.get("violations", [])
            ],
        )


class DescriptionRewriteOutcome(BaseObjectType):
    product_id = graphene.ID(required=True, description="The product.")
    outcome = graphene.String(required=True, description="What the job did for it.")

    class Meta:
        description = "What a rewrite job did for one product."
        doc_category = DOC_CATEGORY_PRODUCTS


class DescriptionRewriteJob(BaseObjectType):
    id = graphene.ID(required=True)
    status = DescriptionRewriteJobStatusEnum(required=True)
    language_code = graphene.String(required=True)
    total = graphene.Int(required=True, description="Products in the job.")
    done = graphene.Int(required=True, description="Products worked through so far.")
    proposals = graphene.Int(required=True, description="Proposals made so far.")
    outcomes = NonNullList(DescriptionRewriteOutcome, required=True)
    error = graphene.String(
        required=True, description="Why the job failed (e.g. the writing server refused the key)."
    )
    created_at = DateTime(required=True)
    started_at = DateTime()
    finished_at = DateTime()

    class Meta:
        description = "A request to rewrite descriptions, run in the background, with progress."
        doc_category = DOC_CATEGORY_PRODUCTS

    @staticmethod
    def resolve_id(root: RewriteJob, _info):
        return graphene.Node.to_global_id("DescriptionRewriteJob", str(root.pk))

    @staticmethod
    def resolve_status(root: RewriteJob, _info):
        return root.status

    @staticmethod
    def resolve_total(root: RewriteJob, _info):
        return len(root.product_ids)

    @staticmethod
    def resolve_outcomes(root: RewriteJob, _info):
        return [
            DescriptionRewriteOutcome(
                product_id=graphene.Node.to_global_id("Product", pid), outcome=outcome
            )
            for pid, outcome in root.outcomes.items()
        ]
