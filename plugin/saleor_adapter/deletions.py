"""Forgetting what Saleor deleted: products (their vectors in every space, their
events, their marks, their description experiments) and customer accounts
(everything stored under their keys, experiment exposures included)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection

from ..experiment_models import DescriptionExposure
from ..models import InteractionEvent, PendingRefresh
from ..store import DjangoStore
from . import experiments, services


def forget_products(product_ids: Sequence[int]) -> None:
    """Deleted products: their vectors (every space), events and pending marks."""
    DjangoStore().delete_products(product_ids)
    PendingRefresh.objects.filter(product_id__in=list(product_ids)).delete()
    experiments.forget_products(product_ids)


def forget_deleted_customers() -> int:
    """Delete what is stored for accounts that no longer exist (e.g. deleted while switched off)."""
    keys: set[str] = set()
    # Experiments' exposures can outlive a customer's events (a shopper who only looked).
    for table in (InteractionEvent._meta.db_table, DescriptionExposure._meta.db_table):
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT DISTINCT e.shopper_key FROM {table} e WHERE e.shopper_key LIKE 'user:%%' "
                "AND NOT EXISTS (SELECT 1 FROM account_user u WHERE 'user:' || u.id = e.shopper_key)"
            )
            keys.update(row[0] for row in cursor.fetchall())
    for key in sorted(keys):
        services.forget_shopper(key)
    return len(keys)
