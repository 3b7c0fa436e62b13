"""Celery tasks, found by the Celery app's autodiscovery (Saleor's, inside Saleor).

Tasks take ids, re-read the world, are idempotent, retry only transient
database errors with backoff, and run on queues of their own so a slow model
never delays Saleor's own tasks: ``personalization`` for the short work of
hooks and the sweep, ``personalization_rebuild`` for indexing the whole catalog,
so that orders and checkouts never wait behind it. The model is loaded lazily
in each worker process.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import nullcontext
from typing import TYPE_CHECKING

from celery import shared_task
from django.db import InterfaceError, OperationalError

if TYPE_CHECKING:
    from .saleor_adapter.config import PersonalizationConfig

logger = logging.getLogger(__name__)

QUEUE = "personalization"
REBUILD_QUEUE = "personalization_rebuild"
# The generative model runs only here, loaded once per worker process.
LLM_QUEUE = "personalization_llm"
# Training the learned recommender: minutes of CPU (or GPU) and a torch import,
# on its own queue and worker, so serving and the other queues never wait for it.
TRAINING_QUEUE = "personalization_training"
# A rebuild the sweep asks for and no worker starts within this many seconds is
# dropped: the next sweep asks again if it is still needed.
SWEEP_REBUILD_EXPIRES = 55
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


def _when_active(work: Callable[[PersonalizationConfig], dict]) -> dict:
    """``work(config)`` with Saleor's writer permission, if the plugin is switched on."""
    with _writer():
        config = _config()
        if config is None:
            return {"skipped": "plugin inactive"}
        return work(config)


@shared_task(queue=QUEUE, **RETRY)
def refresh_product_vectors(product_ids: list[int]) -> dict:
    """Re-encode products whose text changed (skipped when the hash is unchanged)."""
    from .saleor_adapter import catalog_jobs

    def refresh(config: PersonalizationConfig) -> dict:
        with failures_recorded("refresh"):
            stats = catalog_jobs.refresh_products(config, [int(pid) for pid in product_ids])
        return {"encoded": stats.encoded, "unchanged": stats.unchanged}

    return _when_active(refresh)


@shared_task(queue=QUEUE, **RETRY)
def refresh_category_products(category_id: int) -> dict:
    """A category was renamed: refresh the products under it (and its subcategories)."""
    from .saleor_adapter import catalog_jobs

    return _refresh_marked(lambda: catalog_jobs.category_product_ids(int(category_id)))


@shared_task(queue=QUEUE, **RETRY)
def refresh_attribute_products(attribute_id: int, value_ids: list[int] | None = None) -> dict:
    """An attribute (or some of its values) was renamed: refresh the products using it."""
    from .saleor_adapter import catalog_jobs

    values = [int(pk) for pk in value_ids] if value_ids is not None else None
    return _refresh_marked(lambda: catalog_jobs.attribute_product_ids(int(attribute_id), values))


def _refresh_marked(product_ids: Callable[[], list[int]]) -> dict:
    from .saleor_adapter import catalog_jobs

    def refresh(config: PersonalizationConfig) -> dict:
        with failures_recorded("refresh"):
            marked = catalog_jobs.refresh_marked(config, product_ids())
        return {"marked": marked, "refreshed_now": marked <= catalog_jobs.IMMEDIATE_REFRESH_MAX}

    return _when_active(refresh)


@shared_task(queue=QUEUE, **RETRY)
def refresh_pending_products(batch_size: int = 100) -> dict:
    """Periodic sweep of products marked dirty (see sample_config/saleor_settings.py).

    While no space of the configured model is active it asks for a rebuild on the
    rebuild queue instead (unless one is running), and never rebuilds here.
    """
    from .saleor_adapter import catalog_jobs, services, sweep

    def refresh(config: PersonalizationConfig) -> dict:
        with failures_recorded("sweep"):
            if services.catalog_indexed_with(config.embedding_model):
                return {"refreshed": sweep.refresh_pending(config, batch_size=batch_size)}
            if catalog_jobs.rebuild_running():
                return {"rebuild": "running"}
            rebuild_catalog_vectors.apply_async(
                kwargs={"missing_only": True}, expires=SWEEP_REBUILD_EXPIRES
            )
        return {"rebuild": "enqueued"}

    return _when_active(refresh)


@shared_task(queue=REBUILD_QUEUE, **RETRY)
def rebuild_catalog_vectors(config: dict | None = None, missing_only: bool = False) -> dict:
    """Index the whole catalog with the configured model (at activation, after a model
    change, or for the sweep while nothing is indexed).

    ``config`` is the configuration being saved: the task may run before the
    dashboard's save is committed, so it must not read it back. ``missing_only``
    skips the work when the model's vectors are live already (an earlier task
    built them). A build whose model is no longer the configured one abandons
    itself (see ``catalog_jobs.index_catalog``).
    """
    from .saleor_adapter import catalog_jobs, services
    from .saleor_adapter.config import PersonalizationConfig
    from .store.catalog_index import BuildAbandoned

    with _writer():
        current = PersonalizationConfig(**config) if config is not None else _config()
        if current is None:
            return {"skipped": "plugin inactive"}
        if missing_only and services.catalog_indexed_with(current.embedding_model):
            return {"skipped": "already indexed"}
        with failures_recorded("rebuild"):
            try:
                stats = catalog_jobs.rebuild_all(current)
            except BuildAbandoned as abandoned:
                logger.info("Catalog rebuild abandoned", extra={"model": abandoned.model})
                return {"abandoned": str(abandoned)}
    if stats is None:
        return {"skipped": "a rebuild is already running"}
    with _writer(), failures_recorded("similar_lists"):
        listed = catalog_jobs.refresh_similar_lists(current)
    return {"encoded": stats.encoded, "unchanged": stats.unchanged, "similar_lists": listed}


@shared_task(queue=REBUILD_QUEUE, **RETRY)
def refresh_similar_lists(limit: int = 5000) -> dict:
    """Periodic: recompute similar lists that are missing, stale (a product near them
    changed) or a day old, ``limit`` at most per run (see sample_config)."""
    from .saleor_adapter import catalog_jobs

    def refresh(config: PersonalizationConfig) -> dict:
        with failures_recorded("similar_lists"):
            return {"computed": catalog_jobs.refresh_similar_lists(config, limit)}

    return _when_active(refresh)


@shared_task(queue=QUEUE, **RETRY)
def sync_order_purchases(order_id: str) -> dict:
    """An order was placed, confirmed, paid, canceled or expired: its purchase events
    and description-experiment conversions follow its status (see
    ``shopper_jobs.purchased_orders``)."""
    from .saleor_adapter import experiment_conversions, shopper_jobs

    def sync(config: PersonalizationConfig) -> dict:
        stats = shopper_jobs.sync_order(config, order_id)
        converted = experiment_conversions.from_order(order_id)
        return {"recorded": stats.recorded, "withdrawn": stats.withdrawn, "converted": converted}

    return _when_active(sync)


@shared_task(queue=QUEUE, **RETRY)
def record_checkout_additions(checkout_token: str) -> dict:
    from .saleor_adapter import experiment_conversions, shopper_jobs

    return _when_active(
        lambda config: {
            "recorded": shopper_jobs.record_checkout(config, checkout_token),
            "converted": experiment_conversions.from_checkout(checkout_token),
        }
    )


@shared_task(queue=QUEUE, **RETRY)
def refresh_shopper_lists(shopper_key: str) -> dict:
    """A shopper's profile changed (an event from the storefront, a merge): recompute
    the lists their reads pick from."""
    from .saleor_adapter import services

    def refresh(config: PersonalizationConfig) -> dict:
        return {"stored": services.refresh_shopper_lists(config, [shopper_key])}

    return _when_active(refresh)


@shared_task(queue=QUEUE, **RETRY)
def merge_guest_history(user_id: int) -> dict:
    """An account was confirmed: the guest history of its e-mail joins it."""
    from .saleor_adapter import shopper_jobs

    return _when_active(
        lambda config: {"merged": shopper_jobs.merge_confirmed_account(config, int(user_id))}
    )


@shared_task(queue=QUEUE, **RETRY)
def forget_deleted_customers() -> dict:
    from .saleor_adapter import deletions

    with _writer():
        return {"forgotten": deletions.forget_deleted_customers()}


@shared_task(queue=QUEUE, **RETRY)
def refresh_popularity() -> dict:
    """Periodic: recompute what sells per channel, so serving reads it instead of summing events."""
    from .saleor_adapter import services

    return _when_active(lambda config: {"rows": services.refresh_popularity(config)})


@shared_task(queue=QUEUE, **RETRY)
def refresh_channel_sellable() -> dict:
    """Periodic (every minute): each channel's copy of what it can sell, which the
    storefront's statements check instead of planning Saleor's condition each time."""
    from .saleor_adapter import availability

    return _when_active(lambda _config: availability.refresh_copies())


@shared_task(queue=LLM_QUEUE, **RETRY)
def rewrite_descriptions(job_id: str) -> dict:
    """A staff request for better descriptions: proposals behind the guardrails."""
    from .saleor_adapter import content_jobs

    def rewrite(config: PersonalizationConfig) -> dict:
        with failures_recorded("rewrite"):
            job = content_jobs.run_job(config, job_id)
        if job is None:
            return {"skipped": "no such job"}
        return {"status": job.status, "done": job.done, "proposals": job.proposals}

    return _when_active(rewrite)


@shared_task(queue=REBUILD_QUEUE, **RETRY)
def refresh_description_scores(limit: int = 500) -> dict:
    """Periodic: score descriptions never scored, changed since, or a day old (their
    audience moves with what shoppers do)."""
    from .saleor_adapter import content_scores

    def refresh(config: PersonalizationConfig) -> dict:
        if not config.content_enabled:
            return {"skipped": "content optimization off"}
        with failures_recorded("scores"):
            due = content_scores.due_products(limit)
            return {"scored": len(content_scores.score_products(config, due))}

    return _when_active(refresh)


@shared_task(queue=QUEUE, **RETRY)
def record_description_exposures(exposures: list[list]) -> dict:
    """Shoppers shown a description experiment's arm (sent by ``optimizedDescription``):
    the first exposure of each shopper counts, repeats are ignored."""
    from .saleor_adapter import experiment_exposures

    return _when_active(lambda _config: {"offered": experiment_exposures.record(exposures)})


@shared_task(queue=REBUILD_QUEUE, **RETRY)
def update_description_experiments() -> dict:
    """Periodic: fresh statistics for running description experiments, decisions
    applied (see ``saleor_adapter.experiments``)."""
    from .saleor_adapter import experiments

    def update(_config: PersonalizationConfig) -> dict:
        with failures_recorded("experiments"):
            return experiments.update_running()

    return _when_active(update)


@shared_task(queue=TRAINING_QUEUE)
def retrain_recommender(
    model_id: int | None = None,
    trigger: str = "schedule",
    min_new_events: int = 0,
    hyperparameters: dict | None = None,
    losses: list[str] | None = None,
) -> dict:
    """Train the learned recommender and promote it only if it wins the gate.

    Sent by staff (``recommenderRetrain``, with the queued row's ``model_id``) and
    by beat (see sample_config): with ``min_new_events`` it first checks cheaply
    that at least that many events arrived since the last run. Not retried: a
    failed run is recorded on its row, and the next one starts afresh.
    """
    import dataclasses

    from .models import RecommenderModel
    from .saleor_adapter import training_jobs

    with _writer():
        config = _config()
        if config is None:
            RecommenderModel.objects.filter(
                pk=model_id, status=RecommenderModel.Status.QUEUED
            ).update(status=RecommenderModel.Status.FAILED, error="the plugin is switched off")
            return {"skipped": "plugin inactive"}
        if model_id is None and min_new_events and not training_jobs.retrain_due(min_new_events):
            return {"skipped": "not enough new events"}
        options = training_jobs.RetrainOptions(hyperparameters=hyperparameters)
        if losses:
            options = dataclasses.replace(options, losses=tuple(losses))
        with failures_recorded("training"):
            row = training_jobs.retrain(config, model_id, trigger, options)
    if row is None:
        return {"skipped": "a training is already running"}
    return {"model": row.pk, "status": row.status, "decision": row.decision}
