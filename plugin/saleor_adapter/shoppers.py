"""Shopper keys: how Saleor's customers, guests and order e-mails map to the engine.

One customer always has one key: ``user:<pk>`` when signed in, ``email:<hash>``
for guest orders and checkouts (merged into ``user:<pk>`` when an account with
that e-mail appears), and ``anon:<id>`` for a storefront's anonymous visitor id.
E-mails are stored only as a hash.
"""

from __future__ import annotations

import hashlib
import re

_ANONYMOUS_ID = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")


class InvalidAnonymousId(ValueError):
    pass


def user_key(user_id: int) -> str:
    return f"user:{int(user_id)}"


def email_key(email: str) -> str:
    digest = hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()
    return f"email:{digest[:40]}"


def anonymous_key(anonymous_id: str) -> str:
    """The key of a storefront's opaque visitor id (8 to 64 URL-safe characters)."""
    if not isinstance(anonymous_id, str) or not _ANONYMOUS_ID.match(anonymous_id):
        raise InvalidAnonymousId(
            "anonymousId must be 8 to 64 characters of letters, digits, '_', '-', '.' or ':'"
        )
    return f"anon:{anonymous_id}"


def customer_key(user_id: int | None, email: str | None) -> str | None:
    """The key for an order or checkout: its account, else its e-mail, else None."""
    if user_id:
        return user_key(user_id)
    if email and email.strip():
        return email_key(email)
    return None
