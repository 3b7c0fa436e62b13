"""Celery tasks and the periodic sweep, run the way Saleor runs them (eagerly in its test settings).

Saleor's task base class refuses database queries made without its explicit
writer permission under its test settings, so calling a task here also proves
the task asks for it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone
from saleor.plugins.models import PluginConfiguration
from support import graphql

from saleor_personalization import tasks
from saleor_personalization.catalog_index import current_space
from saleor_personalization.engine.events import Event, EventType
from saleor_personalization.models import (
    EmbeddingSpace,
    InteractionEvent,
    PendingRefresh,
    ProductVector,
)
from saleor_personalization.saleor_adapter import jobs, services
from saleor_personalization.saleor_adapter.config import PLUGIN_ID
from saleor_personalization.saleor_adapter.shoppers import user_key

PLUGIN_UPDATE = """
mutation update($id: ID!, $input: PluginUpdateInput!) {
  pluginUpdate(id: $id, input: $input) { errors { field code message } }
}
"""


@pytest.fixture
def products(product_list, product):
    return [*product_list, product]


@pytest.fixture
def refreshed(monkeypatch):
    """The id batches the sweep hands to refresh_products (which still runs)."""
    batches: list[list[int]] = []
    refresh = jobs.refresh_products

    def recording_refresh(config, product_ids):
        batches.append(list(product_ids))
        return refresh(config, product_ids)

    monkeypatch.setattr(jobs, "refresh_products", recording_refresh)
    return batches


def mark_at(product_ids, *, minutes_ago: int) -> None:
    jobs.mark_dirty(product_ids)
    PendingRefresh.objects.filter(product_id__in=product_ids).update(
        marked_at=timezone.now() - timedelta(minutes=minutes_ago)
    )


def test_sweep_takes_dirty_products_oldest_first_in_bounded_batches(
    products, index_catalog, refreshed
):
    index_catalog()
    a, b, c, d = (p.id for p in products)
    mark_at([c], minutes_ago=40)
    mark_at([a], minutes_ago=30)
    mark_at([d], minutes_ago=20)
    mark_at([b], minutes_ago=10)
    config = services.load_config()

    assert jobs.refresh_pending(config, batch_size=3) == 3
    assert jobs.refresh_pending(config, batch_size=3) == 1
    assert jobs.refresh_pending(config, batch_size=3) == 0

    assert refreshed == [[c, a, d], [b]]
    assert not PendingRefresh.objects.exists()


def test_sweep_catches_saves_that_fired_no_hook_once(
    products, index_catalog, refreshed, encoded_texts
):
    index_catalog()
    encoded_texts.clear()
    first, second = products[2], products[0]
    first.rating = 4.0
    first.save()  # no hook; the text is unchanged
    second.name = "Renamed without a hook"
    second.save()
    config = services.load_config()

    assert jobs.refresh_pending(config, batch_size=1) == 1
    assert jobs.refresh_pending(config, batch_size=1) == 1
    # Checked products are current now, though only one was re-encoded.
    assert jobs.refresh_pending(config, batch_size=1) == 0

    assert refreshed == [[first.id], [second.id]]
    assert [text.split(".")[0] for text in encoded_texts] == ["Renamed without a hook"]


def test_refresh_task_encodes_changed_text_and_clears_the_mark(product, index_catalog):
    index_catalog()
    product.name = "Hand-thrown stoneware mug"
    product.save()
    jobs.mark_dirty([product.id])

    result = tasks.refresh_product_vectors.delay([product.id]).get()

    assert result == {"encoded": 1, "unchanged": 0}
    assert not PendingRefresh.objects.exists()


def test_refresh_task_skips_when_the_plugin_is_off(product, plugin_configuration):
    plugin_configuration(active=False)
    jobs.mark_dirty([product.id])

    assert tasks.refresh_product_vectors.delay([product.id]).get() == {"skipped": "plugin inactive"}
    assert PendingRefresh.objects.filter(product_id=product.id).exists()


def test_refresh_task_leaves_products_marked_while_another_model_is_live(
    product, index_catalog, plugin_configuration, encoded_texts
):
    index_catalog()
    encoded_texts.clear()
    plugin_configuration(embedding_model="sentence-transformers/another-model")
    jobs.mark_dirty([product.id])

    result = tasks.refresh_product_vectors.delay([product.id]).get()

    assert result == {"encoded": 0, "unchanged": 0}
    assert encoded_texts == []
    assert PendingRefresh.objects.filter(product_id=product.id).exists()


def test_sweep_indexes_the_whole_catalog_when_nothing_is_indexed_yet(products, personalization):
    result = tasks.refresh_pending_products.delay(100).get()

    assert result == {"refreshed": len(products)}
    space = current_space()
    assert space is not None and space.model_name == services.load_config().embedding_model
    indexed = set(ProductVector.objects.values_list("product_id", flat=True))
    assert indexed == {p.id for p in products}


def test_rebuild_is_skipped_while_another_runs(products, personalization, encoder_config):
    other = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [jobs._REBUILD_LOCK])
        result = tasks.rebuild_catalog_vectors.delay().get()
    finally:
        other.close()  # ends its session, releasing the lock

    assert result == {"skipped": "a rebuild is already running"}
    assert not EmbeddingSpace.objects.exists()


def test_switching_the_plugin_on_enqueues_a_rebuild_with_the_saved_configuration(
    settings, staff_api_client, permission_manage_plugins, products, enqueued, encoder_config
):
    settings.PLUGINS = ["saleor_personalization.saleor_adapter.plugin.PersonalizationPlugin"]
    staff_api_client.user.user_permissions.add(permission_manage_plugins)

    data = graphql(
        staff_api_client,
        PLUGIN_UPDATE,
        {
            "id": PLUGIN_ID,
            "input": {"active": True, "configuration": [{"name": "diversity", "value": "0.3"}]},
        },
    )

    assert data["pluginUpdate"]["errors"] == []
    [(name, (config,))] = enqueued
    assert name == tasks.rebuild_catalog_vectors.name
    assert config["diversity"] == 0.3
    # The task may run before the dashboard's save commits: it uses the configuration
    # it was given, not the row, so it indexes even while the row still reads "off".
    PluginConfiguration.objects.filter(identifier=PLUGIN_ID).update(active=False)
    assert tasks.rebuild_catalog_vectors.apply(args=(config,)).get()["encoded"] == len(products)


def test_forget_deleted_customers_task_removes_orphaned_histories(
    customer_user, product, index_catalog
):
    index_catalog()
    config = services.load_config()
    kept, gone = user_key(customer_user.pk), user_key(customer_user.pk + 1000)
    for key in (kept, gone):
        services.track(config, Event(key, product.id, EventType.VIEW, timezone.now()))

    assert tasks.forget_deleted_customers.delay().get() == {"forgotten": 1}
    assert list(InteractionEvent.objects.values_list("shopper_key", flat=True)) == [kept]
