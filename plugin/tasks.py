"""Celery tasks, found by the Celery app's autodiscovery (Saleor's, inside Saleor).

Tasks take ids, re-read the world, are idempotent, retry only transient
database errors with backoff, and run on their own queue so a slow model never
delays Saleor's own tasks. The model is loaded lazily in each worker process.
"""

from __future__ import annotations

import logging
from contextlib import nullcontext

from celery import shared_task
from django.db import InterfaceError, OperationalError

logger = logging.getLogger(__name__)

QUEUE = "personalization"
TRANSIENT_ERRORS = (OperationalError, InterfaceError)
RETRY = {
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
}


def _writer():
    """Saleor's explicit permission to use the primary database (its task base class
    logs, or in Saleor's test settings refuses, any query made without it)."""
    try:
        from saleor.core.db.connection import allow_writer
    except ImportError:  # outside Saleor
        return nullcontext()
    return allow_writer()


def failures_recorded(kind: str):
    from .saleor_adapter.index_status import failures_recorded

    return failures_recorded(kind)


def _config():
    from .saleor_adapter.services import load_config

    return load_config()


@shared_task(queue=QUEUE, **RETRY)
def refresh_product_vectors(product_ids: list[int]) -> dict:
    """Re-encode products whose text changed (skipped when the hash is unchanged)."""
    from .saleor_adapter import jobs

    with _writer():
        config = _config()
        if config is None:
            return {"skipped": "plugin inactive"}
        with failures_recorded("refresh"):
            stats = jobs.refresh_products(config, [int(pid) for pid in product_ids])
    return {"encoded": stats.encoded, "unchanged": stats.unchanged}


@shared_task(queue=QUEUE, **RETRY)
def refresh_pending_products(batch_size: int = 100) -> dict:
    """Periodic sweep of products marked dirty (see sample_config/saleor_settings.py)."""
    from .saleor_adapter import jobs

    with _writer():
        config = _config()
        if config is None:
            return {"skipped": "plugin inactive"}
        with failures_recorded("sweep"):
            return {"refreshed": jobs.refresh_pending(config, batch_size=batch_size)}


@shared_task(queue=QUEUE, **RETRY)
def rebuild_catalog_vectors(config: dict | None = None) -> dict:
    """Index the whole catalog with the configured model (at activation, after a model change).

    ``config`` is the configuration being saved: the task may run before the
    dashboard's save is committed, so it must not read it back.
    """
    from .saleor_adapter import jobs
    from .saleor_adapter.config import PersonalizationConfig

    with _writer():
        current = PersonalizationConfig(**config) if config is not None else _config()
        if current is None:
            return {"skipped": "plugin inactive"}
        with failures_recorded("rebuild"):
            stats = jobs.rebuild_all(current)
    if stats is None:
        return {"skipped": "a rebuild is already running"}
    return {"encoded": stats.encoded, "unchanged": stats.unchanged}


@shared_task(queue=QUEUE, **RETRY)
def record_order_purchases(order_id: str) -> dict:
    from .saleor_adapter import jobs

    with _writer():
        config = _config()
        if config is None:
            return {"skipped": "plugin inactive"}
        return {"recorded": jobs.record_order(config, order_id)}


@shared_task(queue=QUEUE, **RETRY)
def record_checkout_additions(checkout_token: str) -> dict:
    from .saleor_adapter import jobs

    with _writer():
        config = _config()
        if config is None:
            return {"skipped": "plugin inactive"}
        return {"recorded": jobs.record_checkout(config, checkout_token)}


@shared_task(queue=QUEUE, **RETRY)
def forget_deleted_customers() -> dict:
    from .saleor_adapter import jobs

    with _writer():
        return {"forgotten": jobs.forget_deleted_customers()}
