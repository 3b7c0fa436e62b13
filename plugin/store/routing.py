"""Which database connection the store reads through.

Writes always go to the default (primary) connection. Serving reads may go to a
replica, as Saleor's own storefront reads do: the adapter wraps a storefront
request's work in :func:`reading_from` with Saleor's replica alias. A context
variable rather than a parameter, so every read on the way (the active space,
vectors, history, the search itself) follows without being told.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper

_reads: ContextVar[str] = ContextVar("personalization_reads", default=DEFAULT_DB_ALIAS)


@contextmanager
def reading_from(alias: str) -> Iterator[None]:
    token = _reads.set(alias)
    try:
        yield
    finally:
        _reads.reset(token)


def read_alias() -> str:
    return _reads.get()


def read_connection() -> BaseDatabaseWrapper:
    return connections[_reads.get()]
