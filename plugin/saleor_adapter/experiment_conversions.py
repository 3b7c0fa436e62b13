"""Conversions of description experiments, from the checkout and order jobs.

A checkout line of the product is an add-to-cart, an order line a purchase (while
its order counts as one, as for purchase events: confirmed, not canceled or
expired; withdrawn otherwise), by a shopper exposed to the experiment within its
attribution window, counted once per shopper and goal for the arm they saw.

A checkout's shoppers are its account or e-mail (as for events) and, for a guest
who was shown descriptions under the storefront's anonymous id, that id where the
storefront stores it in the checkout's public metadata under
:data:`ANONYMOUS_ID_METADATA_KEY` (Saleor copies it to the order).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping

from django.utils import timezone

from ..experiment_models import DescriptionConversion, DescriptionExperiment, DescriptionExposure
from .shoppers import InvalidAnonymousId, anonymous_key, customer_key

ANONYMOUS_ID_METADATA_KEY = "personalization.anonymousId"
Goal = DescriptionExperiment.Goal


def shopper_keys(user_id, email, metadata: Mapping | None) -> list[str]:
    """Every key the shopper of a checkout or order may have been exposed under."""
    keys = [key] if (key := customer_key(user_id, email)) else []
    anonymous_id = (metadata or {}).get(ANONYMOUS_ID_METADATA_KEY)
    if anonymous_id:
        try:
            keys.append(anonymous_key(str(anonymous_id)))
        except InvalidAnonymousId:
            pass  # not one of ours: nothing to attribute
    return keys


def from_checkout(token) -> int:
    """Add-to-cart conversions for the products in a checkout."""
    from saleor.checkout.models import Checkout, CheckoutMetadata

    checkout = Checkout.objects.filter(pk=token).values("user_id", "email").first()
    if checkout is None:
        return 0
    products = _running_products(
        Checkout.objects.filter(pk=token).values_list("lines__variant__product_id", flat=True)
    )
    if not products:
        return 0
    metadata = (
        CheckoutMetadata.objects.filter(checkout_id=token)
        .values_list("metadata", flat=True)
        .first()
    )
    keys = shopper_keys(checkout["user_id"], checkout["email"], metadata)
    return convert(products, keys, Goal.ADD_TO_CART, timezone.now(), f"checkout:{token}")


def from_order(order_id) -> int:
    """Purchase conversions of an order that counts as a purchase; withdrawn (a
    negative count) when it no longer does."""
    from saleor.order.models import Order

    from .shopper_jobs import purchased_orders

    ref = f"order:{order_id}"
    order = (
        purchased_orders()
        .filter(pk=order_id)
        .values("user_id", "user_email", "metadata", "created_at")
        .first()
    )
    if order is None:
        deleted, _ = DescriptionConversion.objects.filter(goal=Goal.PURCHASE, source_ref=ref).delete()
        return -deleted
    products = _running_products(
        Order.objects.filter(pk=order_id).values_list("lines__variant__product_id", flat=True)
    )
    if not products:
        return 0
    keys = shopper_keys(order["user_id"], order["user_email"], order["metadata"])
    return convert(products, keys, Goal.PURCHASE, order["created_at"], ref)


def _running_products(product_ids: Iterable) -> set[int]:
    """The products among these with a running experiment (one query)."""
    ids = {int(pid) for pid in product_ids if pid is not None}
    if not ids:
        return set()
    return set(
        DescriptionExperiment.objects.filter(
            product_id__in=ids, status=DescriptionExperiment.Status.RUNNING
        ).values_list("product_id", flat=True)
    )


def convert(
    product_ids: Iterable[int],
    keys: list[str],
    goal: str,
    at: datetime.datetime,
    source_ref: str,
) -> int:
    """Record the conversions of shoppers with these keys exposed to a running
    experiment of these products within its window before ``at``; the shopper's
    first exposure (the arm they saw first) is the one credited."""
    if not keys:
        return 0
    exposures = (
        DescriptionExposure.objects.filter(
            experiment__status=DescriptionExperiment.Status.RUNNING,
            experiment__product_id__in=list(product_ids),
            shopper_key__in=keys,
            exposed_at__lte=at,
        )
        .order_by("exposed_at")
        .values_list("experiment_id", "shopper_key", "arm", "exposed_at",
                     "experiment__attribution_window_days")
    )
    credited: dict = {}
    for experiment_id, shopper_key, arm, exposed_at, window in exposures:
        if experiment_id in credited or at - exposed_at > datetime.timedelta(days=window):
            continue
        credited[experiment_id] = DescriptionConversion(
            experiment_id=experiment_id, shopper_key=shopper_key, arm=arm, goal=goal,
            converted_at=at, source_ref=source_ref,
        )
    DescriptionConversion.objects.bulk_create(credited.values(), ignore_conflicts=True)
    return len(credited)


def forget_shopper(shopper_key: str) -> None:
    """A deleted customer: their exposures and conversions go."""
    DescriptionExposure.objects.filter(shopper_key=shopper_key).delete()
    DescriptionConversion.objects.filter(shopper_key=shopper_key).delete()
