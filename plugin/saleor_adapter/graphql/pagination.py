"""A keyset page of rows as a Relay connection (the staff lists' ``first``/``after``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import graphene


def connection_page(
    connection_type: Any,
    page: Sequence[Any],
    first: int,
    *,
    after: str | None,
    total_count: int,
    cursor: Callable[[Any], str],
) -> Any:
    """``page`` holds up to ``first + 1`` rows in order: one more than asked says
    there is a next page."""
    rows = list(page[:first])
    edges = [connection_type.Edge(node=row, cursor=cursor(row)) for row in rows]
    return connection_type(
        edges=edges,
        page_info=graphene.relay.PageInfo(
            has_next_page=len(page) > first,
            has_previous_page=bool(after),
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=total_count,
    )
