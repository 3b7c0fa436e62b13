"""Who is asking and what they may see: the plugin's state and the shopper's key."""

from __future__ import annotations

from dataclasses import dataclass

from saleor.account.models import User
from saleor.graphql.account.utils import check_is_owner_or_has_one_of_perms
from saleor.graphql.core.context import get_database_connection_name
from saleor.graphql.utils import get_user_or_app_from_context
from saleor.permission.auth_filters import AuthorizationFilters
from saleor.permission.enums import AccountPermissions

from ..config import PersonalizationConfig
from ..services import recent_config
from ..shoppers import InvalidAnonymousId, anonymous_key, user_key
from .arguments import decode_int_id
from .errors import RecommendationErrorCode as Code
from .errors import RecommendationQueryError

OWNER_OR_MANAGE_USERS = [AuthorizationFilters.OWNER, AccountPermissions.MANAGE_USERS]
_CONFIG_ATTRIBUTE = "_saleor_personalization_config"
_UNREAD = object()


def active_config(context) -> PersonalizationConfig | None:
    """The plugin's configuration when it is switched on, else None.

    Read from the saved row (cached for seconds, see :func:`services.recent_config`)
    rather than through Saleor's plugins manager: the manager the request has is the
    one that authenticated it, and asking the dataloaders for one builds a second,
    loading every plugin's configuration again (three round trips and ~30 plugin
    objects per request).
    """
    cached = getattr(context, _CONFIG_ATTRIBUTE, _UNREAD)
    if cached is _UNREAD:
        config, active = recent_config(using=get_database_connection_name(context))
        cached = config if active else None
        setattr(context, _CONFIG_ATTRIBUTE, cached)  # once per request, not per field
    return cached


def serving_config(context) -> PersonalizationConfig | None:
    """:func:`active_config` when recommendations are also switched on."""
    config = active_config(context)
    return config if config is not None and config.recommendations_enabled else None


def signed_in_user(context) -> User | None:
    user = getattr(context, "user", None)
    return user if user is not None and getattr(user, "is_authenticated", False) else None


@dataclass(frozen=True)
class Shopper:
    """Whose recommendations to serve; ``merge_from`` is guest history to fold in first."""

    key: str | None
    merge_from: str | None = None


def guest_key(anonymous_id: str, field: str) -> str:
    try:
        return anonymous_key(anonymous_id)
    except InvalidAnonymousId as error:
        raise RecommendationQueryError(str(error), Code.INVALID, field) from None


def _account_shopper(user: User, anonymous_id: str | None, tracking: bool) -> Shopper:
    """A signed-in shopper; a guest ID sent along is history to fold into the account."""
    merge = (
        guest_key(anonymous_id, "anonymousId") if anonymous_id is not None and tracking else None
    )
    return Shopper(user_key(user.pk), merge_from=merge)


def query_shopper(
    context,
    config: PersonalizationConfig | None,
    *,
    user_id: str | None,
    anonymous_id: str | None,
) -> Shopper:
    """The shopper of ``recommendedProducts``.

    ``userId``: staff or apps with MANAGE_USERS (or the user themself); signed in:
    the account, with ``anonymousId``'s history merged into it; guest:
    ``anonymousId``; otherwise nobody (cold start). Guest IDs are ignored when
    anonymous tracking is off.
    """
    tracking = config is not None and config.anonymous_tracking
    if user_id is not None:
        if anonymous_id is not None:
            raise RecommendationQueryError(
                "Pass either `userId` or `anonymousId`, not both.", Code.INVALID, "anonymousId"
            )
        return Shopper(user_key(managed_user_pk(context, user_id, "userId")))
    user = signed_in_user(context)
    if user is not None:
        return _account_shopper(user, anonymous_id, tracking)
    if anonymous_id is not None and tracking:
        return Shopper(guest_key(anonymous_id, "anonymousId"))
    return Shopper(None)


def managed_user_pk(context, global_id: str, field: str) -> int:
    """A user's pk, for themself or for staff and apps with MANAGE_USERS."""
    pk = decode_int_id(global_id, "User", field)
    # Saleor's check compares the requestor with the owner by primary key, so an
    # unsaved reference will do; only who passes it learns whether the id exists.
    check_is_owner_or_has_one_of_perms(
        get_user_or_app_from_context(context), User(pk=pk), AccountPermissions.MANAGE_USERS
    )
    users = User.objects.using(get_database_connection_name(context))
    if not users.filter(pk=pk).exists():
        raise RecommendationQueryError(
            f"Couldn't resolve to a user: {global_id}", Code.NOT_FOUND, field
        )
    return pk


def check_owner_or_manager(context, user: User) -> None:
    """``User.recommendedProducts``: only the user themself or MANAGE_USERS."""
    check_is_owner_or_has_one_of_perms(
        get_user_or_app_from_context(context), user, AccountPermissions.MANAGE_USERS
    )


def event_shopper(context, config: PersonalizationConfig, anonymous_id: str | None) -> Shopper:
    """The shopper of a tracked event: the account, else a (required) guest ID."""
    user = signed_in_user(context)
    if user is not None:
        return _account_shopper(user, anonymous_id, config.anonymous_tracking)
    if not config.anonymous_tracking:
        raise RecommendationQueryError(
            "Anonymous tracking is switched off in the personalization settings; "
            "only signed-in customers' events are recorded.",
            Code.ANONYMOUS_TRACKING_DISABLED,
            "anonymousId",
        )
    if not anonymous_id:
        raise RecommendationQueryError(
            "Guests must pass an `anonymousId` (the storefront's visitor ID).",
            Code.REQUIRED,
            "anonymousId",
        )
    return Shopper(guest_key(anonymous_id, "anonymousId"))
