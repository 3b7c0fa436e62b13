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


def _btree_indexes() -> list[tuple[str, str, bool, tuple[str, ...]]]:
    """(table, index, unique, (column:opclass, ...)) of our tables' plain btree indexes."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.relname, i.relname, x.indisunique, array_agg("
            "  a.attname || ':' || o.opcname ORDER BY k.n) "
            "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "JOIN pg_class t ON t.oid = x.indrelid JOIN pg_am m ON m.oid = i.relam "
            "CROSS JOIN LATERAL unnest(x.indkey, x.indclass) WITH ORDINALITY AS k(att, cls, n) "
            "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.att "
            "JOIN pg_opclass o ON o.oid = k.cls "
            "WHERE t.relname LIKE 'personalization%%' AND m.amname = 'btree' "
            "AND x.indpred IS NULL AND x.indexprs IS NULL "
            "GROUP BY t.relname, i.relname, x.indisunique"
        )
        return [(table, index, unique, tuple(columns)) for table, index, unique, columns in cursor]


@pytest.mark.django_db
def test_no_index_only_repeats_the_start_of_another():
    indexes = _btree_indexes()
    redundant = [
        (index, other)
        for table, index, unique, columns in indexes
        for other_table, other, _, other_columns in indexes
        if table == other_table and index != other and not unique
        and other_columns[: len(columns)] == columns
    ]
    assert indexes and redundant == []


@pytest.mark.django_db
def test_every_foreign_key_leads_an_index():
    leading = {(table, columns[0].split(":")[0]) for table, _, _, columns in _btree_indexes()}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.relname, a.attname FROM pg_constraint c "
            "JOIN pg_class t ON t.oid = c.conrelid "
            "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = c.conkey[1] "
            "WHERE c.contype = 'f' AND t.relname LIKE 'personalization%%'"
        )
        foreign_keys = set(cursor.fetchall())
    assert foreign_keys and foreign_keys - leading == set()
