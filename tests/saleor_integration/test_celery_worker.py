"""A real Celery worker process consumes our task from Redis and writes to the test database.

The worker is a separate process running Saleor's Celery app with Saleor's
production settings, pointed at this run's test database; the test commits its
data (a transactional test), publishes the task for real and polls the vector
table until a deadline. Other runs of this suite (with other databases) may share
the Redis server, so each run publishes to and consumes a queue of its own, named
after ours, and removes only that queue's keys. Deselect with
``-m "not celery_worker"``; skipped when Redis is not reachable.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote, urlencode

import psycopg
import pytest
from django.db import connection
from saleor_personalization import tasks
from saleor_personalization.engine.documents import compose_text, content_hash
from saleor_personalization.models import PendingRefresh, ProductVector
from saleor_personalization.saleor_adapter import catalog_jobs
from saleor_personalization.saleor_adapter.documents import product_documents
from saleor_personalization.store.catalog_index import current_space

BROKER_URL = os.environ.get("PERSONALIZATION_TEST_BROKER_URL", "redis://127.0.0.1:6379/13")
DEADLINE_S = 240

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def redis_client():
    import redis

    client = redis.Redis.from_url(BROKER_URL, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis not reachable at {BROKER_URL}: {error}")
    yield client
    client.close()


@pytest.fixture
def queue(redis_client):
    """This run's queue; its keys and the worker's remote-control binding go afterwards."""
    name = f"{tasks.QUEUE}.test-{uuid.uuid4().hex[:12]}"
    yield name
    keys = list(redis_client.scan_iter(match=f"*{name}*", count=1000))
    if keys:
        redis_client.delete(*keys)
    pidbox = "_kombu.binding.celery.pidbox"
    ours = [m for m in redis_client.smembers(pidbox) if name.encode() in m]
    if ours:
        redis_client.srem(pidbox, *ours)


def this_runs_database_url() -> str:
    """The URL of the database this test run uses (Django's test database).

    Connection options (a Unix socket folder given as ``?host=``, sslmode, ...) are
    kept as query parameters, which Saleor's ``dj_database_url`` passes on.
    """
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    options = {key: str(value) for key, value in (db.get("OPTIONS") or {}).items()}
    host = db["HOST"] or ""
    if host.startswith("/"):
        options["host"] = host
        host = ""
    elif not host and "host" not in options:
        host = "localhost"
    port = f":{db['PORT']}" if db["PORT"] else ""
    query = f"?{urlencode(options)}" if options else ""
    return f"postgres://{credentials}@{quote(host, safe='')}{port}/{quote(db['NAME'], safe='')}{query}"


def database_behind(url: str) -> str:
    with psycopg.connect(url, connect_timeout=5) as conn:
        return conn.execute("SELECT current_database()").fetchone()[0]


def test_worker_database_url_reaches_this_runs_database():
    url = this_runs_database_url()
    assert database_behind(url) == connection.settings_dict["NAME"], url


@pytest.fixture
def worker(queue, tmp_path):
    """``celery worker -Q <queue>`` on Saleor's app; always stopped afterwards."""
    import saleor

    database_url = this_runs_database_url()
    # Fail now, not after the polling deadline, if the worker would reach another server.
    assert database_behind(database_url) == connection.settings_dict["NAME"], database_url
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "saleor.settings",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": BROKER_URL,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    env.pop("DATABASE_URL_REPLICA", None)
    env.setdefault("SECRET_KEY", "personalization-worker-test")
    log = tmp_path / "worker.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "saleor.celeryconf:app", "worker",
                "-Q", queue, "--pool", "solo", "--concurrency", "1",
                "--without-gossip", "--without-mingle", "--loglevel", "INFO",
                "--hostname", f"{queue}@%h",
            ],
            cwd=Path(saleor.__file__).resolve().parents[1],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def test_worker_consumes_the_refresh_task_from_redis(
    product, index_catalog, worker, queue, redis_client, settings
):
    from kombu import Connection

    index_catalog()
    product.name = "Hand-thrown stoneware mug"
    product.save()
    catalog_jobs.mark_dirty([product.id])
    expected = content_hash(compose_text(product_documents([product.id])[0]))
    space = current_space()
    assert ProductVector.objects.get(space=space, product_id=product.id).content_hash != expected

    # Saleor's Celery app reads its configuration from Django settings, live.
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with Connection(BROKER_URL) as broker_connection:
        tasks.refresh_product_vectors.apply_async(
            args=[[product.id]], queue=queue, connection=broker_connection
        )

    process, log = worker
    deadline = time.monotonic() + DEADLINE_S
    while True:
        stored = ProductVector.objects.get(space=space, product_id=product.id).content_hash
        if stored == expected and not PendingRefresh.objects.exists():
            break
        if process.poll() is not None:
            pytest.fail(f"the worker exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        if time.monotonic() > deadline:
            pytest.fail(
                f"no refreshed vector after {DEADLINE_S}s; {queue} holds "
                f"{redis_client.llen(queue)} messages:\n{log.read_text()[-4000:]}"
            )
        time.sleep(0.25)  # poll interval, bounded by the deadline above

    assert "saleor_personalization.tasks.refresh_product_vectors" in log.read_text()
    assert redis_client.llen(queue) == 0
