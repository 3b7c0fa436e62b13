"""A minimal Django configuration for running the store outside Saleor."""

from __future__ import annotations

import os
import secrets

from . import embedded_db
from .database_url import parse_database_url


def database_url(embedded_database: str = embedded_db.DATABASE_NAME) -> str:
    """``DATABASE_URL`` if set, else the embedded server (started on demand)."""
    return os.environ.get("DATABASE_URL") or embedded_db.start(embedded_database)


def configure(url: str | None = None, *, migrate: bool = True) -> str:
    """Configure Django for our app alone and apply its migrations. Returns the URL used."""
    import django
    from django.conf import settings

    url = url or database_url()
    if not settings.configured:
        settings.configure(
            DATABASES={"default": parse_database_url(url)},
            INSTALLED_APPS=["saleor_personalization"],
            USE_TZ=True,
            TIME_ZONE="UTC",
            DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
            LOGGING_CONFIG=None,
            # Nothing standalone outlives the process it signs in, so a fresh key will do.
            SECRET_KEY=os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        )
        django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", "saleor_personalization", verbosity=0)
    return url
