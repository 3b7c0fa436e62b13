"""Saleor settings with saleor-personalization's Celery wiring, without editing Saleor.

Copy this file into your deployment (for example as ``shop_settings.py`` on the
Python path of every Saleor process) and point the API, the Celery workers and
Celery beat at it:

    DJANGO_SETTINGS_MODULE=shop_settings

Saleor's ``manage.py``, ``saleor.asgi``/``saleor.wsgi`` and ``saleor.celeryconf``
only *default* ``DJANGO_SETTINGS_MODULE`` to ``saleor.settings``, so the variable
wins everywhere. The plugin itself needs no setting: Saleor finds it through the
``saleor.plugins`` entry point and adds its app to ``INSTALLED_APPS``.
"""

import datetime

from celery.schedules import crontab

from saleor.settings import *  # noqa: F403
from saleor.settings import CELERY_BEAT_SCHEDULE

PERSONALIZATION_QUEUE = "personalization"
# Indexing the whole catalog (switching the plugin on, changing the model) takes
# minutes to hours; on a queue of its own, order and checkout events never wait
# behind it.
PERSONALIZATION_REBUILD_QUEUE = "personalization_rebuild"
# Training the learned recommender (torch, minutes of CPU) runs only on this queue's
# workers: serving and the other queues never wait for it.
PERSONALIZATION_TRAINING_QUEUE = "personalization_training"
# The generative model (description rewrites) runs only on this queue's workers.
PERSONALIZATION_LLM_QUEUE = "personalization_llm"

# The tasks declare these queues themselves; the routes keep them there even when
# they are sent by name (Celery beat, send_task) from a process that has not
# imported them. Run one worker with `-Q personalization` and one with
# `-Q personalization_rebuild` (see the README). An exact name wins over a pattern.
CELERY_TASK_ROUTES = {
    **globals().get("CELERY_TASK_ROUTES", {}),
    "saleor_personalization.tasks.rebuild_catalog_vectors": {
        "queue": PERSONALIZATION_REBUILD_QUEUE
    },
    "saleor_personalization.tasks.refresh_similar_lists": {
        "queue": PERSONALIZATION_REBUILD_QUEUE
    },
    "saleor_personalization.tasks.refresh_description_scores": {
        "queue": PERSONALIZATION_REBUILD_QUEUE
    },
    "saleor_personalization.tasks.update_description_experiments": {
        "queue": PERSONALIZATION_REBUILD_QUEUE
    },
    "saleor_personalization.tasks.rewrite_descriptions": {"queue": PERSONALIZATION_LLM_QUEUE},
    "saleor_personalization.tasks.retrain_recommender": {
        "queue": PERSONALIZATION_TRAINING_QUEUE
    },
    "saleor_personalization.tasks.*": {"queue": PERSONALIZATION_QUEUE},
}

CELERY_BEAT_SCHEDULE = {
    **CELERY_BEAT_SCHEDULE,
    # The sweep: products marked dirty whose refresh was lost (broker or worker
    # down) and products changed by paths that fire no hook, oldest first, at most
    # batch_size per run. While the configured model is not indexed yet it sends a
    # rebuild to the rebuild queue instead (unless one is running).
    "personalization-refresh-pending-products": {
        "task": "saleor_personalization.tasks.refresh_pending_products",
        "schedule": datetime.timedelta(minutes=1),
        "kwargs": {"batch_size": 100},
        # A run not started within the minute is dropped: the next one does its work.
        "options": {"queue": PERSONALIZATION_QUEUE, "expires": 55},
    },
    # What sells per channel (popular products for guests, the popularity nudge),
    # recomputed from recent events so that serving never sums them per request.
    "personalization-refresh-popularity": {
        "task": "saleor_personalization.tasks.refresh_popularity",
        "schedule": datetime.timedelta(minutes=5),
        "options": {"queue": PERSONALIZATION_QUEUE, "expires": 240},
    },
    # What each channel can sell, copied so that storefront statements check a small
    # table instead of planning Saleor's condition (product saves and orders update
    # their products at once; this catches stock edits, which fire no plugin hook,
    # and publication dates). A copy 5 minutes old is not used.
    "personalization-refresh-channel-sellable": {
        "task": "saleor_personalization.tasks.refresh_channel_sellable",
        "schedule": datetime.timedelta(minutes=1),
        "options": {"queue": PERSONALIZATION_QUEUE, "expires": 55},
    },
    # Product pages read precomputed similar lists; those a changed product may
    # belong in, and any a day old, are recomputed here (the rebuild queue: long work).
    "personalization-refresh-similar-lists": {
        "task": "saleor_personalization.tasks.refresh_similar_lists",
        "schedule": datetime.timedelta(minutes=5),
        "kwargs": {"limit": 5000},
        "options": {"queue": PERSONALIZATION_REBUILD_QUEUE, "expires": 240},
    },
    # Description scores of products saved since, or scored a day ago (their audience
    # moves with what shoppers do), 500 at most per run.
    "personalization-refresh-description-scores": {
        "task": "saleor_personalization.tasks.refresh_description_scores",
        "schedule": datetime.timedelta(minutes=15),
        "kwargs": {"limit": 500},
        "options": {"queue": PERSONALIZATION_REBUILD_QUEUE, "expires": 600},
    },
    # Description experiments: statistics recomputed (always-valid, so looking this
    # often is safe), a day's last numbers kept for the curve, decisions applied.
    "personalization-update-description-experiments": {
        "task": "saleor_personalization.tasks.update_description_experiments",
        "schedule": datetime.timedelta(minutes=15),
        "options": {"queue": PERSONALIZATION_REBUILD_QUEUE, "expires": 600},
    },
    # The learned recommender: retrained every night when anything new happened, and
    # as soon as 5,000 new events arrived since the last training (checked cheaply
    # every 15 minutes). A new model goes live only if it beats the live one and
    # the content profile on the newest interactions.
    "personalization-retrain-recommender": {
        "task": "saleor_personalization.tasks.retrain_recommender",
        "schedule": crontab(hour=2, minute=30),
        "kwargs": {"min_new_events": 1},
        "options": {"queue": PERSONALIZATION_TRAINING_QUEUE, "expires": 3600},
    },
    "personalization-retrain-recommender-on-new-events": {
        "task": "saleor_personalization.tasks.retrain_recommender",
        "schedule": datetime.timedelta(minutes=15),
        "kwargs": {"min_new_events": 5000, "trigger": "events"},
        "options": {"queue": PERSONALIZATION_TRAINING_QUEUE, "expires": 840},
    },
    # Histories of accounts deleted while the plugin was switched off.
    "personalization-forget-deleted-customers": {
        "task": "saleor_personalization.tasks.forget_deleted_customers",
        "schedule": crontab(hour=3, minute=30),
        "options": {"queue": PERSONALIZATION_QUEUE, "expires": 3600},
    },
}
