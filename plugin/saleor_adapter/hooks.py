"""What Saleor's events set in motion. Nothing here may break Saleor's operation.

Every hook runs inside a savepoint and swallows (and logs) its own errors, so a
product save, checkout or order succeeds whatever happens to personalization.
Work is enqueued on commit; if the broker is down the product stays marked
dirty and the periodic sweep picks it up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.db import transaction

from .. import tasks
from . import jobs, services
from .shoppers import email_key, user_key

logger = logging.getLogger(__name__)

# Up to this many products are refreshed right away; more are left to the sweep.
IMMEDIATE_REFRESH_MAX = 200

# Publishing must fail fast when Redis is down: the request is waiting.
_PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


def never_raises(hook: Callable[..., None]) -> Callable[..., None]:
    @wraps(hook)
    def guarded(*args: Any, **kwargs: Any) -> None:
        try:
            with transaction.atomic():
                hook(*args, **kwargs)
        except Exception:  # a plugin failure must never fail Saleor's operation
            logger.exception("Personalization hook %s failed", hook.__name__)

    return guarded


def enqueue_on_commit(task, *args: Any) -> None:
    def send() -> None:
        try:
            task.apply_async(args=args, retry=True, retry_policy=_PUBLISH_RETRY)
        except Exception:  # broker down: logged; dirty rows and the sweep recover
            logger.exception("Could not enqueue %s", task.name, extra={"task_args": args})

    transaction.on_commit(send)


@never_raises
def products_changed(product_ids: Iterable[int], variant_ids: Iterable[int] = ()) -> None:
    """Mark products dirty (given directly or by their variants) and refresh them on commit."""
    _refresh(product_ids, variant_ids)


def _refresh(product_ids: Iterable[int], variant_ids: Iterable[int] = ()) -> None:
    ids = {int(pid) for pid in product_ids if pid is not None}
    variants = {int(vid) for vid in variant_ids if vid is not None}
    if variants:
        from saleor.product.models import ProductVariant

        of_variants = ProductVariant.objects.filter(id__in=variants)
        ids.update(of_variants.values_list("product_id", flat=True))
    if not ids:
        return
    jobs.mark_dirty(sorted(ids))
    # A rename can touch thousands of products: those wait for the sweep, which
    # takes bounded batches, instead of one huge task.
    if len(ids) <= IMMEDIATE_REFRESH_MAX:
        enqueue_on_commit(tasks.refresh_product_vectors, sorted(ids))


@never_raises
def category_changed(category) -> None:
    """A category's name is in the text of every product under it (and its subcategories)."""
    from saleor.product.models import Product

    subtree = category.get_descendants(include_self=True)
    _refresh(Product.objects.filter(category__in=subtree).values_list("id", flat=True))


@never_raises
def attribute_values_changed(value_ids: Iterable[int]) -> None:
    """Attribute names and values are in the text of the products (and variants) using them."""
    from saleor.attribute.models import AssignedProductAttributeValue, AssignedVariantAttributeValue

    values = list(value_ids)
    _refresh(
        AssignedProductAttributeValue.objects.filter(value_id__in=values).values_list(
            "product_id", flat=True
        ),
        AssignedVariantAttributeValue.objects.filter(value_id__in=values).values_list(
            "variant_id", flat=True
        ),
    )


@never_raises
def product_deleted(product_id: int) -> None:
    jobs.forget_products([product_id])


@never_raises
def order_placed(order_id: Any) -> None:
    enqueue_on_commit(tasks.record_order_purchases, str(order_id))


@never_raises
def checkout_changed(token: Any) -> None:
    enqueue_on_commit(tasks.record_checkout_additions, str(token))


@never_raises
def customer_confirmed(config, user_id: int, email: str | None) -> None:
    """Fold the guest history of the account's e-mail into it (as Saleor attaches guest
    orders: only once the e-mail is confirmed, so nobody gets another's history)."""
    jobs.merge_guest_history(config, [(user_id, email)])


@never_raises
def customer_deleted(user_id: int, email: str | None) -> None:
    services.forget_shopper(user_key(user_id))
    if email:
        services.forget_shopper(email_key(email))


@never_raises
def configuration_saved(config, model_changed: bool) -> None:
    if model_changed:
        enqueue_on_commit(tasks.rebuild_catalog_vectors, config.as_task_kwargs())
