"""``DATABASE_URL`` → Django's DATABASES entry (no extra dependency needed)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit


def parse_database_url(url: str) -> dict[str, Any]:
    """Parse ``postgres://user:pass@host:port/name?host=/socket&sslmode=...``."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        raise ValueError(
            f"DATABASE_URL must start with postgres:// or postgresql://, got {parts.scheme!r}"
        )
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise ValueError("DATABASE_URL must name a database, e.g. postgres://host/shop")
    query = dict(parse_qsl(parts.query))
    host = query.pop("host", None) or unquote(parts.hostname or "")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": host,
        "PORT": str(parts.port or ""),
        "OPTIONS": query,
    }
