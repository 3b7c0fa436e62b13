"""Error codes of our fields: typed mutation errors and coded GraphQL errors for queries."""

from __future__ import annotations

from enum import Enum

import graphene
from graphql.error import GraphQLError
from saleor.graphql.core.doc_category import DOC_CATEGORY_PRODUCTS
from saleor.graphql.core.types.common import Error


class RecommendationErrorCode(Enum):
    GRAPHQL_ERROR = "graphql_error"
    INVALID = "invalid"
    NOT_FOUND = "not_found"
    REQUIRED = "required"
    CHANNEL_INACTIVE = "channel_inactive"
    ANONYMOUS_TRACKING_DISABLED = "anonymous_tracking_disabled"


RecommendationErrorCodeEnum = graphene.Enum.from_enum(
    RecommendationErrorCode,
    description="Error codes of product recommendation fields and mutations.",
)
RecommendationErrorCodeEnum.doc_category = DOC_CATEGORY_PRODUCTS


class RecommendationError(Error):
    code = RecommendationErrorCodeEnum(description="The error code.", required=True)

    class Meta:
        description = "Represents an error in a product recommendation mutation."
        doc_category = DOC_CATEGORY_PRODUCTS


class RecommendationQueryError(GraphQLError):
    """A bad argument of a recommendation query.

    Queries have no ``errors`` field, so the code and the argument travel in the
    error's ``extensions`` (``{"code": "NOT_FOUND", "field": "channel"}``).
    """

    def __init__(self, message: str, code: RecommendationErrorCode, field: str) -> None:
        # A fresh dict per error: Saleor's error formatter writes into it.
        super().__init__(message, extensions={"code": code.name, "field": field})
        self.code = code
        self.field = field
