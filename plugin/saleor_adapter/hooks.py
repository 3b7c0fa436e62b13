"""What Saleor's events set in motion. Nothing here may break Saleor's operation.

Every hook runs inside a savepoint and swallows (and logs) its own errors, so a
product save, checkout or order succeeds whatever happens to personalization.
A hook does a constant number of queries: work that fans out (every product of
a renamed category, a customer's history) is a task, enqueued on commit. If the
broker is down, products stay (or are then) marked dirty and the periodic sweep
picks them up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from functools import wraps
from typing import Any

from django.db import transaction

from .. import tasks
from . import catalog_jobs, deletions, services
from .shoppers import email_key, user_key

logger = logging.getLogger(__name__)

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


def enqueue_on_commit(task, *args: Any, if_unsent: Callable[[], None] | None = None) -> None:
    """Send the task once the transaction commits. ``if_unsent`` runs when the broker
    cannot be reached, to leave the sweep what it needs to do the work instead."""

    def send() -> None:
        try:
            task.apply_async(args=args, retry=True, retry_policy=_PUBLISH_RETRY)
            return
        except Exception:  # broker down: logged; dirty rows and the sweep recover
            logger.exception("Could not enqueue %s", task.name, extra={"task_args": args})
        if if_unsent is None:
            return
        try:
            if_unsent()
        except Exception:  # after Saleor's commit there is nothing left to protect
            logger.exception("Could not leave the work of %s to the sweep", task.name)

    transaction.on_commit(send)


@never_raises
def products_changed(product_ids: Iterable[int], variant_ids: Iterable[int] = ()) -> None:
    """Mark products dirty (given directly or by their variants) and refresh them on commit."""
    ids = {int(pid) for pid in product_ids if pid is not None}
    variants = {int(vid) for vid in variant_ids if vid is not None}
    if variants:
        from saleor.product.models import ProductVariant

        of_variants = ProductVariant.objects.filter(id__in=variants)
        ids.update(of_variants.values_list("product_id", flat=True))
    if not ids:
        return
    catalog_jobs.mark_dirty(sorted(ids))
    if len(ids) <= catalog_jobs.IMMEDIATE_REFRESH_MAX:
        enqueue_on_commit(tasks.refresh_product_vectors, sorted(ids))


@never_raises
def category_changed(category_id: int) -> None:
    """A category's name is in the text of every product under it (and its subcategories)."""
    category_id = int(category_id)
    enqueue_on_commit(
        tasks.refresh_category_products,
        category_id,
        if_unsent=lambda: catalog_jobs.mark_dirty(catalog_jobs.category_product_ids(category_id)),
    )


@never_raises
def attribute_changed(attribute_id: int, value_ids: Sequence[int] | None = None) -> None:
    """Attribute names and values are in the text of the products (and variants) using
    them: all of the attribute's values, or only these."""
    attribute_id = int(attribute_id)
    values = [int(pk) for pk in value_ids] if value_ids is not None else None
    enqueue_on_commit(
        tasks.refresh_attribute_products,
        attribute_id,
        values,
        if_unsent=lambda: catalog_jobs.mark_dirty(catalog_jobs.attribute_product_ids(attribute_id, values)),
    )


@never_raises
def product_deleted(product_id: int) -> None:
    deletions.forget_products([product_id])


@never_raises
def order_changed(order_id: Any) -> None:
    """An order was placed, confirmed, paid, canceled or expired: its purchases follow."""
    enqueue_on_commit(tasks.sync_order_purchases, str(order_id))


@never_raises
def checkout_changed(token: Any) -> None:
    enqueue_on_commit(tasks.record_checkout_additions, str(token))


@never_raises
def customer_confirmed(user_id: int) -> None:
    """Fold the guest history of the account's e-mail into it (as Saleor attaches guest
    orders: only once the e-mail is confirmed, so nobody gets another's history)."""
    enqueue_on_commit(tasks.merge_guest_history, int(user_id))


@never_raises
def customer_deleted(user_id: int, email: str | None) -> None:
    services.forget_shopper(user_key(user_id))
    if email:
        services.forget_shopper(email_key(email))


@never_raises
def configuration_saved(config, was_on: bool) -> None:
    """Index the catalog in the background when the plugin is switched on, or when the
    saved model is not the live one.

    Back to the live model needs nothing: a build of the model chosen in between
    checks the saved configuration as it goes and drops itself.
    """
    if was_on and services.catalog_indexed_with(config.embedding_model):
        return
    enqueue_on_commit(tasks.rebuild_catalog_vectors, config.as_task_kwargs())
