"""Serving statements as server-side prepared statements.

The storefront's statements carry the channel's "can sell" condition, a correlated
subquery over Saleor's listings, variants and stock whose planning costs ten times
its execution (about 10 ms against 0.6 ms). Prepared once per database session,
PostgreSQL plans them once (a generic plan after a few executions).

Used only for sessions that outlive a request (``CONN_MAX_AGE`` other than 0; Saleor
reads ``DB_CONN_MAX_AGE``, default 0) and outside transaction blocks (a storefront
read in autocommit): a failure there (a pooler that does not keep sessions, say) costs
nothing but the retry, which runs the statement plainly, and that session stops
preparing.
"""

from __future__ import annotations

import hashlib
import logging
import weakref
from collections.abc import Sequence

from django.db import DatabaseError
from django.db.backends.base.base import BaseDatabaseWrapper

logger = logging.getLogger(__name__)

# psycopg connection -> names prepared in its session (None: preparing switched off).
_sessions: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def fetchall(connection: BaseDatabaseWrapper, sql: str, params: Sequence) -> list[tuple]:
    """``sql`` (``%s`` placeholders) executed on ``connection``, prepared when it can be."""
    with connection.cursor() as cursor:
        raw = connection.connection
        if not _reused(connection) or connection.in_atomic_block or raw is None:
            cursor.execute(sql, params)
            return cursor.fetchall()
        names = _sessions.setdefault(raw, set())
        if names is None:
            cursor.execute(sql, params)
            return cursor.fetchall()
        name = "personalization_" + hashlib.sha1(sql.encode()).hexdigest()[:16]
        try:
            if name not in names:
                cursor.execute(f"PREPARE {name} AS {_numbered(sql)}")
                names.add(name)
            placeholders = ", ".join(["%s"] * len(params))
            cursor.execute(f"EXECUTE {name}({placeholders})" if params else f"EXECUTE {name}", params)
            return cursor.fetchall()
        except DatabaseError:
            logger.warning("prepared statements unavailable on this connection", exc_info=True)
            _sessions[raw] = None
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _reused(connection: BaseDatabaseWrapper) -> bool:
    """Whether the session outlives the request (``CONN_MAX_AGE`` not 0; Saleor:
    ``DB_CONN_MAX_AGE``), in autocommit: preparing in a session used once costs an
    extra round trip and saves nothing."""
    return connection.settings_dict.get("CONN_MAX_AGE") != 0 and connection.get_autocommit()


def _numbered(sql: str) -> str:
    """``%s`` placeholders as ``$1, $2, ...`` (and ``%%`` as ``%``) for PREPARE."""
    parts = sql.split("%s")
    numbered = parts[0]
    for index, part in enumerate(parts[1:], start=1):
        numbered += f"${index}" + part
    return numbered.replace("%%", "%")
