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
from saleor_personalization import tasks
from saleor_personalization.engine.events import Event, EventType
from saleor_personalization.models import (
    EmbeddingSpace,
    InteractionEvent,
    PendingRefresh,
    ProductVector,
    SimilarProductList,
)
from saleor_personalization.saleor_adapter import catalog_jobs, services, sweep
from saleor_personalization.saleor_adapter.config import PLUGIN_ID
from saleor_personalization.saleor_adapter.shoppers import user_key
from saleor_personalization.store.catalog_index import current_space
from support import graphql

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
    refresh = catalog_jobs.refresh_products

    def recording_refresh(config, product_ids):
        batches.append(list(product_ids))
        return refresh(config, product_ids)

    monkeypatch.setattr(catalog_jobs, "refresh_products", recording_refresh)
    return batches


def mark_at(product_ids, *, minutes_ago: int) -> None:
    catalog_jobs.mark_dirty(product_ids)
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

    assert sweep.refresh_pending(config, batch_size=3) == 3
    assert sweep.refresh_pending(config, batch_size=3) == 1
    assert sweep.refresh_pending(config, batch_size=3) == 0

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

    assert sweep.refresh_pending(config, batch_size=1) == 1
    assert sweep.refresh_pending(config, batch_size=1) == 1
    # Checked products are current now, though only one was re-encoded.
    assert sweep.refresh_pending(config, batch_size=1) == 0

    assert refreshed == [[first.id], [second.id]]
    assert [text.split(".")[0] for text in encoded_texts] == ["Renamed without a hook"]


def test_refresh_task_encodes_changed_text_and_clears_the_mark(product, index_catalog):
    index_catalog()
    product.name = "Hand-thrown stoneware mug"
    product.save()
    catalog_jobs.mark_dirty([product.id])

    result = tasks.refresh_product_vectors.delay([product.id]).get()

    assert result == {"encoded": 1, "unchanged": 0}
    assert not PendingRefresh.objects.exists()


def stored_lists() -> dict[int, tuple[list[int], bool]]:
    """Each stored similar list: (its products, whether it is fresh)."""
    return {
        row.product_id: (row.product_ids, row.computed_at is not None)
        for row in SimilarProductList.objects.all()
    }


def test_the_rebuild_stores_every_products_similar_list(products, personalization):
    result = tasks.rebuild_catalog_vectors.delay().get()

    assert result["similar_lists"] == len(products)
    lists = stored_lists()
    assert set(lists) == {p.id for p in products}
    for product_id, (similar, fresh) in lists.items():
        assert fresh and product_id not in similar
        assert sorted(similar) == sorted({p.id for p in products} - {product_id})


def test_a_changed_product_gets_its_list_and_its_neighbours_are_recomputed(
    products, personalization
):
    tasks.rebuild_catalog_vectors.delay().get()
    changed, *others = products
    changed.name = "Hand-thrown stoneware mug"
    changed.save()

    tasks.refresh_product_vectors.delay([changed.id]).get()

    lists = stored_lists()
    assert lists[changed.id][1]
    # Every other list names it, so each may now rank it elsewhere: all stale.
    assert {pid for pid, (_similar, fresh) in lists.items() if not fresh} == {
        p.id for p in others
    }
    assert tasks.refresh_similar_lists.delay(limit=2).get() == {"computed": 2}
    assert tasks.refresh_similar_lists.delay().get() == {"computed": len(others) - 2}
    assert all(fresh for _similar, fresh in stored_lists().values())
    assert tasks.refresh_similar_lists.delay().get() == {"computed": 0}


def test_refresh_task_skips_when_the_plugin_is_off(product, plugin_configuration):
    plugin_configuration(active=False)
    catalog_jobs.mark_dirty([product.id])

    assert tasks.refresh_product_vectors.delay([product.id]).get() == {"skipped": "plugin inactive"}
    assert PendingRefresh.objects.filter(product_id=product.id).exists()


def test_refresh_task_leaves_products_marked_while_another_model_is_live(
    product, index_catalog, plugin_configuration, encoded_texts
):
    index_catalog()
    encoded_texts.clear()
    plugin_configuration(embedding_model="sentence-transformers/another-model")
    catalog_jobs.mark_dirty([product.id])

    result = tasks.refresh_product_vectors.delay([product.id]).get()

    assert result == {"encoded": 0, "unchanged": 0}
    assert encoded_texts == []
    assert PendingRefresh.objects.filter(product_id=product.id).exists()


def test_sweep_sends_a_rebuild_to_its_queue_when_nothing_is_indexed_yet(
    products, personalization, enqueued
):
    result = tasks.refresh_pending_products.delay(100).get()

    assert result == {"rebuild": "enqueued"}
    assert enqueued == [(tasks.rebuild_catalog_vectors.name, ({"missing_only": True},))]
    assert tasks.rebuild_catalog_vectors.queue == tasks.REBUILD_QUEUE != tasks.QUEUE
    assert not EmbeddingSpace.objects.exists()  # the sweep itself indexed nothing


def test_the_rebuild_the_sweep_sends_indexes_the_catalog_once(products, personalization):
    assert tasks.refresh_pending_products.delay(100).get() == {"rebuild": "enqueued"}

    space = current_space()
    assert space is not None and space.model_name == services.load_config().embedding_model
    indexed = set(ProductVector.objects.values_list("product_id", flat=True))
    assert indexed == {p.id for p in products}
    # A second one, sent before the first ran, finds the work done.
    assert tasks.rebuild_catalog_vectors.delay(missing_only=True).get() == {
        "skipped": "already indexed"
    }


@pytest.fixture
def rebuild_lock_held_elsewhere(db):
    """Another session (a rebuild in another worker) holds the rebuild lock."""
    other = connections.create_connection(DEFAULT_DB_ALIAS)
    with other.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [catalog_jobs._REBUILD_LOCK])
    yield
    other.close()  # ends its session, releasing the lock


def test_rebuild_is_skipped_while_another_runs(
    products, personalization, encoder_config, rebuild_lock_held_elsewhere
):
    result = tasks.rebuild_catalog_vectors.delay().get()

    assert result == {"skipped": "a rebuild is already running"}
    assert not EmbeddingSpace.objects.exists()


def test_sweep_sends_no_rebuild_while_one_runs(
    products, personalization, enqueued, rebuild_lock_held_elsewhere
):
    assert catalog_jobs.rebuild_running()
    assert tasks.refresh_pending_products.delay(100).get() == {"rebuild": "running"}
    assert enqueued == []


def test_looking_for_a_running_rebuild_does_not_take_its_lock(db):
    assert not catalog_jobs.rebuild_running()
    with catalog_jobs._rebuild_lock(wait=False) as held:
        assert held and catalog_jobs.rebuild_running()
    assert not catalog_jobs.rebuild_running()


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


# -- a build of a model no longer configured is abandoned, never activated -------------

@pytest.fixture
def other_model(encoder_config) -> str:
    """A second model name that loads offline: the packaged MiniLM, named by its folder."""
    from saleor_personalization.engine.encoder import resolve_model_path

    return resolve_model_path(encoder_config.model)


def switch_model(staff_api_client, model: str) -> None:
    data = graphql(
        staff_api_client,
        PLUGIN_UPDATE,
        {"id": PLUGIN_ID, "input": {"configuration": [{"name": "embedding_model", "value": model}]}},
    )
    assert data["pluginUpdate"]["errors"] == []


def test_switching_to_another_model_and_back_leaves_the_live_model_live(
    staff_api_client, permission_manage_plugins, products, index_catalog, enqueued, other_model
):
    staff_api_client.user.user_permissions.add(permission_manage_plugins)
    index_catalog()
    live = current_space()

    switch_model(staff_api_client, other_model)
    [(name, (config,))] = enqueued
    assert name == tasks.rebuild_catalog_vectors.name and config["embedding_model"] == other_model

    switch_model(staff_api_client, live.model_name)
    assert len(enqueued) == 1  # back to the live model: nothing more to index

    # The worker gets to the first switch's rebuild only now.
    result = tasks.rebuild_catalog_vectors.apply(args=(config,)).get()

    assert result == {"abandoned": f"{other_model} is no longer the configured model; "
                                   "its build was abandoned"}
    assert current_space() == live
    assert list(EmbeddingSpace.objects.values_list("model_name", "status")) == [
        (live.model_name, "active")
    ]
    assert set(ProductVector.objects.values_list("space_id", flat=True)) == {live.pk}


def saved_model_switched_back(plugin_configuration, model: str, after_batches: int):
    """Product id batches that, after ``after_batches`` of them, save ``model`` as the
    configured one: the merchant switching back while the build runs."""

    def batches(ids: list[int]):
        for position, pid in enumerate(ids, start=1):
            yield [pid]
            if position == after_batches:
                plugin_configuration(embedding_model=model)

    return batches


@pytest.mark.parametrize("when", ["between batches", "before the switch"])
def test_a_build_abandons_itself_once_its_model_is_no_longer_configured(
    products, index_catalog, plugin_configuration, other_model, encoded_texts, monkeypatch, when
):
    from saleor_personalization.store import catalog_index
    from saleor_personalization.store.catalog_index import BuildAbandoned

    index_catalog()
    live = current_space()
    ids = sorted(p.id for p in products)
    monkeypatch.setattr(catalog_index, "STILL_WANTED_EVERY", 1)
    plugin_configuration(embedding_model=other_model)
    encoded_texts.clear()
    after = 1 if when == "between batches" else len(ids)
    batches = saved_model_switched_back(plugin_configuration, live.model_name, after)

    with pytest.raises(BuildAbandoned, match="no longer the configured model"):
        catalog_jobs.index_catalog(services.load_config(), batches(ids))

    assert current_space() == live
    assert not EmbeddingSpace.objects.exclude(pk=live.pk).exists()
    assert set(ProductVector.objects.values_list("space_id", flat=True)) == {live.pk}
    if when == "between batches":
        assert len(encoded_texts) < len(ids)  # it stopped early


def test_a_build_still_configured_at_the_end_is_switched_to(
    products, index_catalog, plugin_configuration, other_model
):
    index_catalog()
    plugin_configuration(embedding_model=other_model)

    result = tasks.rebuild_catalog_vectors.delay().get()

    assert result == {"encoded": len(products), "unchanged": 0, "similar_lists": len(products)}
    assert current_space().model_name == other_model
