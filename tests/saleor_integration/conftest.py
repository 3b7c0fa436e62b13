"""Set-up of the Saleor integration suite (top-level conftest of its own rootdir).

Loads Saleor's own test fixtures, as Saleor's root conftest does, and switches
our plugin on. Where Saleor is not importable nothing here is collected.
"""

from __future__ import annotations

import importlib.util

import pytest

SALEOR_AVAILABLE = importlib.util.find_spec("saleor") is not None
HOW_TO_RUN = (
    "Saleor integration suite skipped: saleor is not importable here; run it with "
    "`make test SALEOR_SOURCE=/path/to/saleor` (a Saleor 3.23 folder or .tar.gz) or "
    "`make test-saleor SALEOR_PYTHON=/path/to/saleor/.venv/bin/python` (README: Install into Saleor)"
)

if not SALEOR_AVAILABLE:
    collect_ignore_glob = ["test_*.py"]

    def pytest_report_header(config):
        return HOW_TO_RUN

else:
    import django.test
    from django.conf import settings
    from saleor.tests.utils import prepare_test_db_connections

    _DATABASES = {settings.DATABASE_CONNECTION_DEFAULT_NAME, settings.DATABASE_CONNECTION_REPLICA_NAME}
    django.test.TransactionTestCase.databases = _DATABASES
    django.test.TestCase.databases = _DATABASES
    prepare_test_db_connections()

    # The same fixture modules Saleor's own root conftest loads.
    pytest_plugins = [
        "saleor.tests.fixtures",
        "saleor.app.tests.fixtures",
        "saleor.plugins.tests.fixtures",
        "saleor.graphql.tests.fixtures",
        "saleor.webhook.tests.fixtures",
        "saleor.tax.tests.fixtures",
        "saleor.channel.tests.fixtures",
        "saleor.page.tests.fixtures",
        "saleor.menu.tests.fixtures",
        "saleor.warehouse.tests.fixtures",
        "saleor.thumbnail.tests.fixtures",
        "saleor.order.tests.fixtures",
        "saleor.product.tests.fixtures",
        "saleor.site.tests.fixtures",
        "saleor.shipping.tests.fixtures",
        "saleor.permission.tests.fixtures",
        "saleor.giftcard.tests.fixtures",
        "saleor.discount.tests.fixtures",
        "saleor.checkout.tests.fixtures",
        "saleor.attribute.tests.fixtures",
        "saleor.account.tests.fixtures",
        "saleor.graphql.account.tests.fixtures",
        "saleor.payment.tests.fixtures",
        "saleor.webhook.tests.circuit_breaker.fixtures",
        "saleor_personalization.testing",
    ]

    PLUGIN_PATH = "saleor_personalization.saleor_adapter.plugin.PersonalizationPlugin"

    @pytest.fixture
    def plugin_configuration(db):
        """Our plugin switched on (like a merchant in the dashboard), with optional overrides."""
        from saleor.plugins.models import PluginConfiguration
        from saleor_personalization.saleor_adapter.config import PLUGIN_ID, default_configuration

        def configure(active: bool = True, **values):
            configuration = default_configuration()
            for item in configuration:
                if item["name"] in values:
                    item["value"] = values[item["name"]]
            row, _ = PluginConfiguration.objects.update_or_create(
                identifier=PLUGIN_ID,
                channel=None,
                defaults={"active": active, "configuration": configuration, "name": "Personalization"},
            )
            return row

        return configure

    @pytest.fixture(autouse=True)
    def replica_savepoints_through_the_writer(monkeypatch):
        """Saleor's test replica is the writer's connection under another name, sharing
        its transaction, so a transaction block on the replica alias (a search's SET
        LOCAL) becomes a savepoint on the writer, which its writer guard refuses unless
        an earlier test left the guard open. A real replica begins a transaction of
        its own; let those savepoints through, so no test depends on the order."""
        from saleor.core.db.connection import allow_writer
        from saleor.tests.utils import FakeDbReplicaConnection

        for name in ("savepoint", "savepoint_commit", "savepoint_rollback"):

            def through_writer(self, *args, _name=name, **kwargs):
                with allow_writer():
                    return getattr(self.writer_conn, _name)(*args, **kwargs)

            monkeypatch.setattr(FakeDbReplicaConnection, name, through_writer, raising=False)

    @pytest.fixture
    def personalization(settings, plugin_configuration):
        """Saleor with our plugin installed and active."""
        settings.PLUGINS = [PLUGIN_PATH]
        return plugin_configuration()

    @pytest.fixture
    def index_catalog(personalization, encoder_config):
        """Index every product now, as the rebuild enqueued when the plugin is switched on does."""
        from saleor_personalization.saleor_adapter import catalog_jobs
        from saleor_personalization.saleor_adapter.services import load_config

        def index():
            stats = catalog_jobs.rebuild_all(load_config())
            assert stats is not None, "another catalog rebuild holds the lock"
            return stats

        return index

    @pytest.fixture
    def encoded_texts(monkeypatch):
        """Every text the encoder is asked to embed (it still embeds them)."""
        from saleor_personalization.engine import indexing

        texts: list[str] = []
        encode = indexing.encode

        def recording_encode(batch, **kwargs):
            texts.extend(batch)
            return encode(batch, **kwargs)

        monkeypatch.setattr(indexing, "encode", recording_encode)
        return texts

    @pytest.fixture
    def enqueued(monkeypatch):
        """Our tasks as sent to the broker, not run: a list of (task name, args), with
        keyword arguments, if any, as a dict after the positional ones."""
        from saleor_personalization import tasks

        sent: list[tuple[str, tuple]] = []
        for task in (
            tasks.refresh_product_vectors,
            tasks.refresh_category_products,
            tasks.refresh_attribute_products,
            tasks.rebuild_catalog_vectors,
            tasks.sync_order_purchases,
            tasks.record_checkout_additions,
            tasks.merge_guest_history,
        ):

            def publish(args=None, kwargs=None, _name=task.name, **options):
                sent.append((_name, tuple(args or ()) + ((kwargs,) if kwargs else ())))

            monkeypatch.setattr(task, "apply_async", publish)
        return sent
