"""Which products a search may return.

A filter is applied inside the similarity search itself (never after it), so a
search asked for k products returns k whenever k products pass the filter.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class SqlCondition:
    """A caller-supplied SQL boolean expression on the candidate product.

    ``sql`` refers to the candidate's product id as ``{product_id}`` and uses
    ``%s`` placeholders for ``params``. This lets an adapter filter by tables the
    engine knows nothing about (Saleor's channel listings and stock) in the same
    query as the similarity search, without copying them.
    """

    sql: str
    params: tuple = ()
    # The same condition as a set to test membership in (``{product_id} IN (...)``),
    # when the caller has one: a plan that checks every row (an exact search, a
    # count) does better computing the set once than checking row by row.
    whole_set: "SqlCondition | None" = None

    def __post_init__(self) -> None:
        if "{product_id}" not in self.sql:
            raise ValueError("SqlCondition.sql must refer to the product as {product_id}")
        if self.sql.count("%s") != len(self.params):
            raise ValueError(
                f"SqlCondition has {self.sql.count('%s')} placeholders "
                f"but {len(self.params)} params"
            )

    def render(self, product_column: str) -> str:
        return "(" + self.sql.replace("{product_id}", product_column) + ")"

    def for_every_row(self) -> "SqlCondition":
        """The form to use when every row of the space is checked."""
        return self.whole_set if self.whole_set is not None else self


@dataclass(frozen=True)
class CandidateFilter:
    """Allowed ids and/or a SQL condition, minus excluded ids. Empty means everything."""

    allowed_ids: frozenset[int] | None = None
    condition: SqlCondition | None = None
    excluded_ids: frozenset[int] = field(default_factory=frozenset)

    @classmethod
    def allow(cls, ids: Iterable[int]) -> "CandidateFilter":
        return cls(allowed_ids=frozenset(int(i) for i in ids))

    def for_every_row(self) -> "CandidateFilter":
        """This filter with its SQL condition in the form for plans that check every row."""
        if self.condition is None:
            return self
        return replace(self, condition=self.condition.for_every_row())

    def excluding(self, ids: Iterable[int]) -> "CandidateFilter":
        return replace(self, excluded_ids=self.excluded_ids | frozenset(int(i) for i in ids))

    def allows(self, product_id: int) -> bool:
        """Whether an id passes; only for filters without a SQL condition."""
        if self.condition is not None:
            raise ValueError("a SQL condition can only be evaluated by a SQL store")
        if product_id in self.excluded_ids:
            return False
        return self.allowed_ids is None or product_id in self.allowed_ids


NO_FILTER = CandidateFilter()
