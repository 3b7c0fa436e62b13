"""sample_config/saleor_settings.py extends Saleor's settings without editing them."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from celery.app.routes import MapRoute
from celery.schedules import schedule
from saleor import settings as saleor_settings
from saleor_personalization import tasks

SAMPLE = Path(__file__).resolve().parents[2] / "sample_config" / "saleor_settings.py"


def load_sample():
    spec = importlib.util.spec_from_file_location("personalization_sample_settings", SAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sample_settings_keep_saleors_beat_entries_and_add_ours():
    before = dict(saleor_settings.CELERY_BEAT_SCHEDULE)

    sample = load_sample()

    assert saleor_settings.CELERY_BEAT_SCHEDULE == before  # not modified in place
    extended = sample.CELERY_BEAT_SCHEDULE
    ours = {name: entry for name, entry in extended.items() if name not in before}
    assert set(extended) == set(before) | set(ours)
    assert {entry["task"] for entry in ours.values()} == {
        tasks.refresh_pending_products.name,
        tasks.forget_deleted_customers.name,
        tasks.refresh_popularity.name,
        tasks.refresh_similar_lists.name,
        tasks.retrain_recommender.name,
        tasks.refresh_description_scores.name,
        tasks.update_description_experiments.name,
        tasks.refresh_channel_sellable.name,
    }
    copy = ours["personalization-refresh-channel-sellable"]
    assert schedule(copy["schedule"]).run_every.total_seconds() == 60
    sweep = ours["personalization-refresh-pending-products"]
    assert schedule(sweep["schedule"]).run_every.total_seconds() == 60
    assert sweep["kwargs"] == {"batch_size": 100}
    assert sample.DATABASES == saleor_settings.DATABASES  # everything else is Saleor's


def our_tasks() -> list:
    return [
        task for task in vars(tasks).values()
        if getattr(task, "name", "").startswith("saleor_personalization.tasks.")
    ]


def test_sample_settings_route_every_task_of_ours_to_its_queue():
    route = MapRoute(load_sample().CELERY_TASK_ROUTES)
    found = our_tasks()

    assert tasks.rebuild_catalog_vectors in found and tasks.sync_order_purchases in found
    for task in found:
        assert route(task.name) == {"queue": task.queue}, task.name
        assert task.queue in (
            tasks.QUEUE, tasks.REBUILD_QUEUE, tasks.TRAINING_QUEUE, tasks.LLM_QUEUE
        ), task.name


def test_only_whole_catalog_work_goes_to_the_rebuild_queue():
    """Order and checkout events never wait behind a rebuild taking hours."""
    route = MapRoute(load_sample().CELERY_TASK_ROUTES)

    on_rebuild_queue = [t.name for t in our_tasks() if route(t.name)["queue"] == tasks.REBUILD_QUEUE]

    assert sorted(on_rebuild_queue) == sorted(
        [
            tasks.rebuild_catalog_vectors.name,
            tasks.refresh_similar_lists.name,
            tasks.refresh_description_scores.name,
            tasks.update_description_experiments.name,
        ]
    )
    assert route(tasks.sync_order_purchases.name) == {"queue": tasks.QUEUE}
    assert route(tasks.refresh_pending_products.name) == {"queue": tasks.QUEUE}
