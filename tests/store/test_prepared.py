"""Serving statements prepared once per session, with a plain fallback."""

import pytest
from django.db import connection
from saleor_personalization.store import prepared

SQL = "SELECT n, n * %s, 'a%%b' FROM generate_series(1, %s) AS n WHERE n > %s ORDER BY n"


@pytest.fixture
def persistent(monkeypatch):
    """Sessions kept between requests (Saleor's DB_CONN_MAX_AGE), where preparing pays."""
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 600)


def prepared_count() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'personal%%'")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_a_statement_is_prepared_once_and_gives_what_a_plain_one_gives(persistent):
    with connection.cursor() as cursor:
        cursor.execute(SQL, [10, 4, 1])
        plain = cursor.fetchall()
    assert prepared.fetchall(connection, SQL, [10, 4, 1]) == plain == [
        (2, 20, "a%b"), (3, 30, "a%b"), (4, 40, "a%b")
    ]
    assert prepared.fetchall(connection, SQL, [2, 3, 0]) == [(1, 2, "a%b"), (2, 4, "a%b"),
                                                             (3, 6, "a%b")]
    assert prepared_count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_session_that_lost_its_statements_falls_back_to_plain_ones(persistent):
    assert prepared.fetchall(connection, SQL, [1, 2, 0]) == [(1, 1, "a%b"), (2, 2, "a%b")]
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # as a pooler handing out another session would
    assert prepared.fetchall(connection, SQL, [1, 2, 0]) == [(1, 1, "a%b"), (2, 2, "a%b")]
    assert prepared.fetchall(connection, SQL, [1, 3, 2]) == [(3, 3, "a%b")]


@pytest.mark.django_db
def test_inside_a_transaction_statements_run_plainly(persistent):
    assert prepared.fetchall(connection, SQL, [1, 2, 0]) == [(1, 1, "a%b"), (2, 2, "a%b")]
    assert prepared_count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_session_used_for_one_request_runs_them_plainly():
    assert connection.settings_dict.get("CONN_MAX_AGE") == 0
    assert prepared.fetchall(connection, SQL, [1, 2, 0]) == [(1, 1, "a%b"), (2, 2, "a%b")]
    assert prepared_count() == 0
