"""``manage.py personalization_backfill``: index the existing catalog and import past orders.

It ends by computing what the storefront reads instead of working it out per request
(similar lists, the popularity snapshot, each channel's copy of what it can sell),
which the beat schedule keeps fresh afterwards; without it a shop serves from live
searches until the beat's first runs.

Safe to run again: products whose text is unchanged are not re-encoded and order
lines already imported (keyed by order line) add nothing. Purchases of orders that
are not purchases now (canceled, expired, deleted or awaiting confirmation) are
withdrawn, so the events agree with the orders whatever happened while no hook ran.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...progress import progress_bar
from ...saleor_adapter import availability, catalog_jobs, documents, services, shopper_jobs
from ...saleor_adapter.shopper_jobs import EventStats
from ...store.catalog_index import BuildAbandoned


class Command(BaseCommand):
    help = (
        "Embed the existing catalog with the configured model and import past orders as "
        "purchase events (confirmed orders, not canceled or expired). Re-running does only "
        "what is new."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--channel",
            metavar="SLUG",
            help="Only products listed in this channel and orders placed in it.",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=500,
            metavar="N",
            help="Products or orders read per query (default 500).",
        )

    def handle(self, *args, channel: str | None = None, batch_size: int = 500, **options) -> None:
        from saleor.channel.models import Channel
        from saleor.core.db.connection import allow_writer

        if batch_size < 1:
            raise CommandError(f"--batch-size must be at least 1, got {batch_size}")
        if channel is not None and not Channel.objects.filter(slug=channel).exists():
            known = ", ".join(Channel.objects.order_by("slug").values_list("slug", flat=True))
            raise CommandError(f"no channel {channel!r}; channels: {known or 'none'}")
        config, active = services.saved_config()
        if not active:
            self.stderr.write(
                self.style.WARNING(
                    "The Personalization plugin is switched off: backfilling with its saved "
                    "configuration. Switch it on (Dashboard > Configuration > Plugins) so that "
                    "product saves and new orders keep the index up to date."
                )
            )
        with allow_writer():
            self._catalog(config, channel, batch_size)
            self._orders(config, channel, batch_size)
            self._serving_data(config)

    def _catalog(self, config, channel: str | None, batch_size: int) -> None:
        total = documents.catalog(channel).count()
        batches = documents.all_product_ids(batch_size, channel)
        with progress_bar(total, "Products", unit="product") as advance:
            try:
                stats = catalog_jobs.index_catalog(config, batches, progress=advance)
                if stats is None:
                    self.stderr.write("A catalog rebuild is running in a worker; waiting for it.")
                    batches = documents.all_product_ids(batch_size, channel)
                    stats = catalog_jobs.index_catalog(config, batches, progress=advance, wait=True)
            except BuildAbandoned as abandoned:
                raise CommandError(
                    f"{abandoned}: the embedding model was changed in the dashboard while "
                    "the catalog was read. Run the backfill again."
                ) from None
        self.stdout.write(
            f"Catalog ({config.embedding_model}): {stats.total} products, "
            f"{stats.encoded} encoded, {stats.unchanged} unchanged."
        )

    def _orders(self, config, channel: str | None, batch_size: int) -> None:
        total = shopper_jobs.purchased_orders(channel).count()
        stats = EventStats()
        with progress_bar(total, "Orders", unit="order") as advance:
            for batch in shopper_jobs.order_id_batches(channel, batch_size):
                shopper_jobs.record_orders(config, batch, stats)
                advance(len(batch))
        shopper_jobs.withdraw_unpurchased(config, channel, batch_size, stats)
        self.stdout.write(
            f"Orders: {total} orders, {stats.recorded} purchase events recorded, "
            f"{stats.already_recorded} already imported, {stats.skipped} lines skipped "
            "(no customer e-mail, or the product was deleted), "
            f"{stats.withdrawn} withdrawn (orders canceled, expired or not confirmed)."
        )

    def _serving_data(self, config) -> None:
        due = catalog_jobs.similar_lists_due(config)
        with progress_bar(due, "Similar lists", unit="product") as advance:
            listed = catalog_jobs.refresh_similar_lists(config, progress=advance)
        popular = services.refresh_popularity(config)
        sellable = availability.refresh_copies()
        self.stdout.write(
            f"Serving data: {listed} similar lists computed, {popular} popularity scores, "
            f"{sellable['products']} sellable listings in {sellable['channels']} channels."
        )
