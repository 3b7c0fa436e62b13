"""Catalog hooks as Saleor calls them: GraphQL mutations → vectors, marks and deletions.

Saleor runs plugin hooks on commit, and our hooks enqueue on commit too. Saleor's
test ``ApiClient.post_graphql`` already runs on-commit callbacks (it wraps each
request in ``captureOnCommitCallbacks(execute=True)``; wrapping it again would run
them twice), and Saleor's test settings run Celery tasks eagerly.
"""

from __future__ import annotations

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from kombu.exceptions import OperationalError as BrokerError
from saleor.tests.utils import dummy_editorjs
from saleor_personalization import tasks
from saleor_personalization.engine.documents import compose_text, content_hash
from saleor_personalization.engine.encoder import EncoderError
from saleor_personalization.engine.events import Event, EventType
from saleor_personalization.models import InteractionEvent, PendingRefresh, ProductVector
from saleor_personalization.saleor_adapter import catalog_jobs, services, sweep
from saleor_personalization.saleor_adapter.documents import product_documents
from saleor_personalization.saleor_adapter.plugin import PersonalizationPlugin
from saleor_personalization.saleor_adapter.shoppers import user_key
from saleor_personalization.store.catalog_index import current_space
from support import gid, graphql, pk_of

PRODUCT_CREATE = """
mutation create($input: ProductCreateInput!) {
  productCreate(input: $input) { product { id } errors { field code message } }
}
"""

PRODUCT_UPDATE = """
mutation update($id: ID!, $input: ProductInput!) {
  productUpdate(id: $id, input: $input) { product { id name } errors { field code message } }
}
"""

PRODUCT_DELETE = """
mutation delete($id: ID!) {
  productDelete(id: $id) { errors { field code message } }
}
"""

PRODUCT_TRANSLATE = """
mutation translate($id: ID!, $input: TranslationInput!) {
  productTranslate(id: $id, languageCode: PL, input: $input) { errors { field code message } }
}
"""

VARIANT_UPDATE = """
mutation variantUpdate($id: ID!, $input: ProductVariantInput!) {
  productVariantUpdate(id: $id, input: $input) { errors { field code message } }
}
"""


@pytest.fixture
def manage_products(staff_api_client, permission_manage_products):
    staff_api_client.user.user_permissions.add(permission_manage_products)
    return staff_api_client


def stored_hash(product_id: int) -> str:
    return ProductVector.objects.get(space=current_space(), product_id=product_id).content_hash


def expected_hash(product_id: int) -> str:
    return content_hash(compose_text(product_documents([product_id])[0]))


def update_product(client, product, **fields) -> dict:
    return graphql(client, PRODUCT_UPDATE, {"id": gid(product), "input": fields})["productUpdate"]


def test_product_create_stores_the_vector_of_its_text(
    manage_products, product_type, category, index_catalog
):
    index_catalog()  # what switching the plugin on does: the (empty) catalog's space

    data = graphql(
        manage_products,
        PRODUCT_CREATE,
        {
            "input": {
                "productType": gid(product_type),
                "category": gid(category),
                "name": "Trail running shoe",
                "description": dummy_editorjs("Light shoe with a grippy sole.", True),
            }
        },
    )["productCreate"]

    assert data["errors"] == []
    product_id = pk_of(data["product"]["id"])
    text = compose_text(product_documents([product_id])[0])
    assert "Trail running shoe" in text and "grippy sole" in text
    assert stored_hash(product_id) == content_hash(text)
    assert not PendingRefresh.objects.filter(product_id=product_id).exists()


def test_product_update_reencodes_only_when_the_text_changes(
    manage_products, product, index_catalog, encoded_texts
):
    index_catalog()
    encoded_texts.clear()
    before = ProductVector.objects.get(product_id=product.id)

    assert update_product(manage_products, product, rating=4.5)["errors"] == []

    unchanged = ProductVector.objects.get(product_id=product.id)
    assert encoded_texts == []
    assert unchanged.content_hash == before.content_hash
    assert np.array_equal(np.asarray(unchanged.embedding), np.asarray(before.embedding))
    assert not PendingRefresh.objects.filter(product_id=product.id).exists()

    assert update_product(manage_products, product, name="Blue linen shirt")["errors"] == []

    assert len(encoded_texts) == 1 and encoded_texts[0].startswith("Blue linen shirt.")
    assert stored_hash(product.id) == expected_hash(product.id) != before.content_hash


def test_product_translation_marks_the_product_dirty_and_enqueues_its_refresh(
    staff_api_client, permission_manage_translations, product, personalization, enqueued
):
    staff_api_client.user.user_permissions.add(permission_manage_translations)

    data = graphql(
        staff_api_client, PRODUCT_TRANSLATE, {"id": gid(product), "input": {"name": "Produkt"}}
    )

    assert data["productTranslate"]["errors"] == []
    assert PendingRefresh.objects.filter(product_id=product.id).exists()
    assert enqueued == [(tasks.refresh_product_vectors.name, ([product.id],))]


def test_variant_update_marks_its_product_dirty_and_enqueues_its_refresh(
    manage_products, product, personalization, enqueued
):
    variant = product.variants.get()

    data = graphql(
        manage_products, VARIANT_UPDATE, {"id": gid(variant), "input": {"sku": "NEW-SKU-1"}}
    )

    assert data["productVariantUpdate"]["errors"] == []
    assert PendingRefresh.objects.filter(product_id=product.id).exists()
    assert (tasks.refresh_product_vectors.name, ([product.id],)) in enqueued


def test_product_delete_removes_its_vectors_events_and_mark(
    manage_products, product, customer_user, index_catalog
):
    index_catalog()
    product_id = product.id
    services.track(
        services.load_config(),
        Event(user_key(customer_user.pk), product_id, EventType.VIEW, product.updated_at),
    )
    catalog_jobs.mark_dirty([product_id])

    data = graphql(manage_products, PRODUCT_DELETE, {"id": gid(product)})

    assert data["productDelete"]["errors"] == []
    assert not ProductVector.objects.filter(product_id=product_id).exists()
    assert not InteractionEvent.objects.filter(product_id=product_id).exists()
    assert not PendingRefresh.objects.filter(product_id=product_id).exists()


def test_inactive_plugin_hooks_do_nothing(
    settings, manage_products, product, plugin_configuration, enqueued
):
    settings.PLUGINS = ["saleor_personalization.saleor_adapter.plugin.PersonalizationPlugin"]
    plugin_configuration(active=False)

    assert update_product(manage_products, product, name="Renamed")["errors"] == []

    plugin = PersonalizationPlugin(configuration=[], active=False)
    assert plugin.product_updated(product, previous_value="unchanged") == "unchanged"
    assert plugin.order_created(object(), previous_value=None) is None
    assert enqueued == []
    assert not PendingRefresh.objects.exists()


# -- a plugin failure never breaks a product save ------------------------------------


def test_unreachable_broker_leaves_the_product_saved_and_marked(
    manage_products, product, index_catalog, monkeypatch
):
    index_catalog()

    def broker_down(*args, **kwargs):
        raise BrokerError("Error 111 connecting to 127.0.0.1:1. Connection refused.")

    monkeypatch.setattr(tasks.refresh_product_vectors, "apply_async", broker_down)

    data = update_product(manage_products, product, name="Saved anyway")

    assert data["errors"] == [] and data["product"]["name"] == "Saved anyway"
    product.refresh_from_db()
    assert product.name == "Saved anyway"
    assert PendingRefresh.objects.filter(product_id=product.id).exists()


def test_failing_encoder_leaves_the_product_saved_and_marked(
    manage_products, product, index_catalog, monkeypatch
):
    index_catalog()
    before = stored_hash(product.id)

    def broken_encoder(*args, **kwargs):
        raise EncoderError("model files are missing")

    monkeypatch.setattr("saleor_personalization.engine.indexing.encode", broken_encoder)

    data = update_product(manage_products, product, name="Saved anyway")

    assert data["errors"] == [] and data["product"]["name"] == "Saved anyway"
    assert stored_hash(product.id) == before
    assert PendingRefresh.objects.filter(product_id=product.id).exists()


def test_database_error_in_our_hook_leaves_the_save_and_the_sweep_working(
    manage_products, product, index_catalog, monkeypatch
):
    index_catalog()

    def broken_mark(product_ids):
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM personalization_no_such_table")

    monkeypatch.setattr(catalog_jobs, "mark_dirty", broken_mark)

    data = update_product(manage_products, product, name="Saved anyway")

    assert data["errors"] == [] and data["product"]["name"] == "Saved anyway"
    # The failed statement was rolled back to our savepoint; Saleor's transaction goes on,
    # and the periodic sweep finds the product saved after its vector.
    monkeypatch.undo()
    assert sweep.refresh_pending(services.load_config()) == 1
    assert stored_hash(product.id) == expected_hash(product.id)


CATEGORY_UPDATE = """
mutation categoryUpdate($id: ID!, $input: CategoryInput!) {
  categoryUpdate(id: $id, input: $input) { errors { field code message } }
}
"""

ATTRIBUTE_VALUE_UPDATE = """
mutation valueUpdate($id: ID!, $input: AttributeValueUpdateInput!) {
  attributeValueUpdate(id: $id, input: $input) { errors { field code message } }
}
"""


def test_renaming_a_category_refreshes_the_products_under_it(
    manage_products, product, index_catalog, encoded_texts
):
    index_catalog()
    encoded_texts.clear()
    category = product.category
    data = graphql(manage_products, CATEGORY_UPDATE, {"id": gid(category), "input": {"name": "Linen wear"}})
    assert data["categoryUpdate"]["errors"] == []
    assert len(encoded_texts) == 1 and "Category: Linen wear." in encoded_texts[0]
    assert stored_hash(product.id) == expected_hash(product.id)


ATTRIBUTE_UPDATE = """
mutation attributeUpdate($id: ID!, $input: AttributeUpdateInput!) {
  attributeUpdate(id: $id, input: $input) { errors { field code message } }
}
"""


@pytest.mark.parametrize(
    ("renamed", "mutation", "name", "expected_text"),
    [
        ("value", ATTRIBUTE_VALUE_UPDATE, "Ultramarine", "Ultramarine"),
        ("attribute", ATTRIBUTE_UPDATE, "Hue", "Hue: "),
    ],
)
def test_renaming_an_attribute_or_its_value_refreshes_the_products_using_it(
    staff_api_client, permission_manage_product_types_and_attributes, product, index_catalog,
    encoded_texts, renamed, mutation, name, expected_text,
):
    from saleor.attribute.models import AssignedProductAttributeValue

    staff_api_client.user.user_permissions.add(permission_manage_product_types_and_attributes)
    index_catalog()
    encoded_texts.clear()
    value = AssignedProductAttributeValue.objects.filter(product=product).first().value
    target = value if renamed == "value" else value.attribute
    data = graphql(staff_api_client, mutation, {"id": gid(target), "input": {"name": name}})
    assert [errors for errors in data.values()] == [{"errors": []}]
    assert len(encoded_texts) == 1 and expected_text in encoded_texts[0]
    assert stored_hash(product.id) == expected_hash(product.id)


def test_renaming_a_variant_attribute_value_finds_the_product_through_its_variant(
    product, personalization
):
    from saleor.attribute.models import AssignedVariantAttributeValue

    value = AssignedVariantAttributeValue.objects.get(variant__product=product).value
    assert catalog_jobs.attribute_product_ids(value.attribute_id, [value.pk]) == [product.id]
    assert catalog_jobs.attribute_product_ids(value.attribute_id) == [product.id]
    assert catalog_jobs.attribute_product_ids(value.attribute_id, [value.pk + 1000]) == []


def test_a_rename_touching_many_products_is_left_to_the_sweep(
    manage_products, product, index_catalog, encoded_texts, monkeypatch
):
    monkeypatch.setattr(catalog_jobs, "IMMEDIATE_REFRESH_MAX", 0)
    index_catalog()
    encoded_texts.clear()
    data = graphql(manage_products, CATEGORY_UPDATE, {"id": gid(product.category), "input": {"name": "Linen wear"}})
    assert data["categoryUpdate"]["errors"] == []
    assert encoded_texts == []
    assert PendingRefresh.objects.filter(product_id=product.id).exists()
    assert sweep.refresh_pending(services.load_config(), batch_size=10) >= 1
    assert len(encoded_texts) == 1 and "Category: Linen wear." in encoded_texts[0]


# -- renames fan out in a task, not in the staff member's request ------------------------


def queries_besides_savepoints(captured) -> list[str]:
    return [q["sql"] for q in captured if "SAVEPOINT" not in q["sql"]]


@pytest.mark.parametrize("how_many", [1, 3])
def test_a_category_rename_only_enqueues_whatever_the_number_of_products(
    category, product_type, personalization, enqueued, how_many,
    django_capture_on_commit_callbacks,
):
    from saleor.product.models import Product

    Product.objects.bulk_create(
        Product(name=f"P{n}", slug=f"p-{n}", product_type=product_type, category=category)
        for n in range(how_many)
    )
    value = product_type.product_attributes.first().values.first()
    plugin = PersonalizationPlugin(configuration=[], active=True)

    with django_capture_on_commit_callbacks(execute=True):
        with CaptureQueriesContext(connection) as captured:
            plugin.category_updated(category, previous_value=None)
            plugin.attribute_value_updated(value, previous_value=None)

    assert queries_besides_savepoints(captured.captured_queries) == []
    assert not PendingRefresh.objects.exists()
    assert enqueued == [
        (tasks.refresh_category_products.name, (category.pk,)),
        (tasks.refresh_attribute_products.name, (value.attribute_id, [value.pk])),
    ]


def test_the_category_task_marks_every_product_and_refreshes_a_bounded_number(
    products_in_a_category, index_catalog, encoded_texts, monkeypatch
):
    category, ids = products_in_a_category
    index_catalog()
    encoded_texts.clear()
    category.name = "Renamed"
    category.save()

    monkeypatch.setattr(catalog_jobs, "IMMEDIATE_REFRESH_MAX", len(ids) - 1)
    assert tasks.refresh_category_products.delay(category.pk).get() == {
        "marked": len(ids), "refreshed_now": False
    }
    assert encoded_texts == []
    assert sorted(PendingRefresh.objects.values_list("product_id", flat=True)) == ids

    monkeypatch.setattr(catalog_jobs, "IMMEDIATE_REFRESH_MAX", len(ids))
    assert tasks.refresh_category_products.delay(category.pk).get() == {
        "marked": len(ids), "refreshed_now": True
    }
    assert len(encoded_texts) == len(ids)
    assert all("Category: Renamed" in text for text in encoded_texts)
    assert not PendingRefresh.objects.exists()
    # Run again: the products are current, nothing is encoded twice.
    encoded_texts.clear()
    tasks.refresh_category_products.delay(category.pk).get()
    assert encoded_texts == []


def test_a_rename_whose_task_cannot_be_sent_leaves_its_products_to_the_sweep(
    manage_products, products_in_a_category, personalization, monkeypatch
):
    category, ids = products_in_a_category

    def broker_down(*args, **kwargs):
        raise BrokerError("Error 111 connecting to 127.0.0.1:1. Connection refused.")

    monkeypatch.setattr(tasks.refresh_category_products, "apply_async", broker_down)

    data = graphql(manage_products, CATEGORY_UPDATE, {"id": gid(category), "input": {"name": "Kept"}})

    assert data["categoryUpdate"]["errors"] == []
    assert sorted(PendingRefresh.objects.values_list("product_id", flat=True)) == ids


@pytest.fixture
def products_in_a_category(category, product_type):
    """A category with three products, one of them in a subcategory: (category, ids)."""
    from saleor.product.models import Category, Product

    child = Category.objects.create(name="Child", slug="child", parent=category)
    products = [
        Product.objects.create(
            name=f"Linen shirt {n}", slug=f"linen-{n}", product_type=product_type,
            category=child if n == 2 else category,
        )
        for n in range(3)
    ]
    return category, sorted(p.id for p in products)
