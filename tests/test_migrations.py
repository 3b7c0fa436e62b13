import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

APP = "saleor_personalization"
TABLES = {
    "personalization_embedding_space",
    "personalization_product_vector",
    "personalization_interaction_event",
    "personalization_shopper_profile",
    "personalization_recommendation_list",
}


def tables() -> set[str]:
    return set(connection.introspection.table_names()) & TABLES


@pytest.mark.django_db(transaction=True)
def test_migrations_are_reversible():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes(APP)
    assert tables() == TABLES
    executor.migrate([(APP, None)])
    assert tables() == set()
    executor = MigrationExecutor(connection)
    executor.migrate(latest)
    assert tables() == TABLES


@pytest.mark.django_db
def test_models_and_migrations_agree():
    from django.core.management import call_command

    call_command("makemigrations", APP, "--check", "--dry-run", verbosity=0)
