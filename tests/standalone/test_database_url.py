import pytest
from saleor_personalization.standalone.database_url import parse_database_url


def test_tcp_url_with_credentials_and_options():
    parsed = parse_database_url("postgres://shop:s%40cret@db.internal:6543/saleor?sslmode=require")
    assert parsed["NAME"] == "saleor"
    assert parsed["USER"] == "shop"
    assert parsed["PASSWORD"] == "s@cret"
    assert parsed["HOST"] == "db.internal"
    assert parsed["PORT"] == "6543"
    assert parsed["OPTIONS"] == {"sslmode": "require"}


def test_unix_socket_url_as_the_embedded_server_gives_it():
    parsed = parse_database_url("postgresql://postgres:@/personalization?host=/tmp/pg")
    assert parsed["HOST"] == "/tmp/pg"
    assert parsed["NAME"] == "personalization"
    assert parsed["OPTIONS"] == {}


@pytest.mark.parametrize(
    "url, message",
    [("mysql://x/db", "must start with postgres://"), ("postgres://host", "must name a database")],
)
def test_bad_urls_are_refused_clearly(url, message):
    with pytest.raises(ValueError, match=message):
        parse_database_url(url)
