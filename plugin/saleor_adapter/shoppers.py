"""Shopper keys: how Saleor's customers, guests and order e-mails map to the engine.

One customer always has one key: ``user:<pk>`` when signed in, ``email:<hash>``
for guest orders and checkouts (merged into ``user:<pk>`` when an account with
that e-mail appears), and ``anon:<id>`` for a storefront's anonymous visitor id.
E-mails are stored only as a hash.
"""

from __future__ import annotations

import hashlib
import re

# A guest's id is all that stands between a stranger and the guest's history (its
# "Because you viewed ..." reasons, a merge into an account), so it must be as
# unguessable as a random token: long enough that nobody finds one by trying.
ANONYMOUS_ID_MIN_LENGTH = 16
ANONYMOUS_ID_MAX_LENGTH = 64
_ANONYMOUS_ID = re.compile(
    rf"^[A-Za-z0-9_.:-]{{{ANONYMOUS_ID_MIN_LENGTH},{ANONYMOUS_ID_MAX_LENGTH}}}$"
)
ANONYMOUS_ID_RULE = (
    f"a random id of {ANONYMOUS_ID_MIN_LENGTH} to {ANONYMOUS_ID_MAX_LENGTH} characters "
    "(letters, digits, '_', '-', '.' or ':') that the storefront generates once per "
    "visitor, such as a UUID"
)


class InvalidAnonymousId(ValueError):
    pass


USER_PREFIX = "user:"


def user_key(user_id: int) -> str:
    return f"{USER_PREFIX}{int(user_id)}"


def is_user_key(shopper_key: str) -> bool:
    return shopper_key.startswith(USER_PREFIX)


def email_key(email: str) -> str:
    digest = hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()
    return f"email:{digest[:40]}"


def anonymous_key(anonymous_id: str) -> str:
    """The key of a storefront's visitor id (see :data:`ANONYMOUS_ID_RULE`)."""
    if not isinstance(anonymous_id, str) or not _ANONYMOUS_ID.match(anonymous_id):
        raise InvalidAnonymousId(
            f"anonymousId must be {ANONYMOUS_ID_RULE}; {_what_is_wrong(anonymous_id)}."
        )
    return f"anon:{anonymous_id}"


def _what_is_wrong(anonymous_id: object) -> str:
    if not isinstance(anonymous_id, str):
        return f"got {type(anonymous_id).__name__}"
    if not ANONYMOUS_ID_MIN_LENGTH <= len(anonymous_id) <= ANONYMOUS_ID_MAX_LENGTH:
        return f"this one has {len(anonymous_id)} characters"
    return "this one has other characters"


def customer_key(user_id: int | None, email: str | None) -> str | None:
    """The key for an order or checkout: its account, else its e-mail, else None."""
    if user_id:
        return user_key(user_id)
    if email and email.strip():
        return email_key(email)
    return None
