"""Shop-wide PostgreSQL advisory locks (session level) for jobs that must run alone."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


@contextmanager
def advisory_lock(key: int, wait: bool = False) -> Iterator[bool]:
    """Hold the lock ``key``; yields whether it is held (``wait`` blocks until it is).

    Session level: a worker that dies releases it with its connection.
    """
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_lock(%s)", [key])
            held = True
        else:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            held = bool(cursor.fetchone()[0])
    try:
        yield held
    finally:
        if held:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
