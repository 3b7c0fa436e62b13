"""Small helpers shared by the integration tests (not collected as tests)."""

from __future__ import annotations

from typing import Any

import graphene
from saleor.graphql.tests.utils import get_graphql_content


def gid(instance) -> str:
    """The GraphQL id of a Saleor model instance (its type is named after the model)."""
    return graphene.Node.to_global_id(type(instance).__name__, instance.pk)


def graphql(client, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """Post a query and return its ``data``, failing on protocol errors."""
    return get_graphql_content(client.post_graphql(query, variables))["data"]


def pk_of(global_id: str) -> int:
    """The integer primary key inside a GraphQL id."""
    return int(graphene.Node.from_global_id(global_id)[1])
