"""Grow a Saleor shop (e.g. ``populatedb``'s) to a benchmark size, through Saleor's models.

Run in a Saleor environment where this package is installed, against the shop's
database (Saleor's settings; ``DATABASE_URL``):

    python benchmarks/saleor_catalog.py --products 100000 --events 1000000

Products are cloned from the shop's own, in bulk, with everything a storefront
needs to sell them (channel listings, variants, variant prices, stock), so
Saleor's own listing and our filters see a real catalog. The originals are
encoded by the plugin as in production; a clone's vector is its original's plus
a little noise (a serving benchmark needs realistic neighbourhoods, not hours of
encoding). Events follow a Zipf popularity over products. Running it again tops
the shop up to the asked size.
"""

from __future__ import annotations

import argparse
import copy
import os
import random
import sys
import time
from collections.abc import Callable, Sequence
from datetime import timedelta

import numpy as np

CLONE_BATCH = 2000
EVENT_BATCH = 50000
NOISE = 0.02
EVENT_MIX = (("view", 0.8), ("add_to_cart", 0.15), ("purchase", 0.05))
CLONE_HASH = "bench-clone"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def setup_django() -> None:
    # Saleor is imported from its source folder (SALEOR_DIR, else the current one).
    sys.path.insert(0, os.path.abspath(os.environ.get("SALEOR_DIR", ".")))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saleor.settings")
    os.environ.setdefault("SECRET_KEY", "benchmark")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import django

    django.setup()


def _clone(instance, **changes):
    clone = copy.copy(instance)
    clone.__dict__.pop("_prefetched_objects_cache", None)
    clone._state = copy.copy(instance._state)
    clone._state.adding = True
    clone.pk = None
    if hasattr(clone, "id"):
        clone.id = None
    for name, value in changes.items():
        setattr(clone, name, value)
    return clone


def grow_catalog(target: int) -> int:
    """Clone the shop's products until it holds ``target``; returns how many were added."""
    from django.db import transaction
    from saleor.product.models import (
        Product,
        ProductChannelListing,
        ProductVariant,
        ProductVariantChannelListing,
    )
    from saleor.warehouse.models import Stock

    originals = list(
        Product.objects.exclude(slug__contains="-bench-")
        .order_by("id")
        .prefetch_related("channel_listings", "variants__channel_listings", "variants__stocks")
    )
    if not originals:
        raise SystemExit("the shop has no products: run Saleor's `manage.py populatedb` first")
    count = Product.objects.count()
    added = 0
    started = time.perf_counter()
    while count < target:
        size = min(CLONE_BATCH, target - count)
        sources = [originals[(count + i) % len(originals)] for i in range(size)]
        with transaction.atomic():
            products = [
                _clone(
                    src,
                    slug=f"{src.slug}-bench-{count + i}",
                    name=f"{src.name} #{count + i}",
                    default_variant_id=None,
                    search_index_dirty=False,
                )
                for i, src in enumerate(sources)
            ]
            Product.objects.bulk_create(products)
            ProductChannelListing.objects.bulk_create(
                _clone(listing, product_id=product.id)
                for src, product in zip(sources, products)
                for listing in src.channel_listings.all()
            )
            pairs = [
                (
                    variant,
                    _clone(
                        variant,
                        product_id=product.id,
                        sku=f"{variant.sku}-b{product.id}" if variant.sku else None,
                    ),
                )
                for src, product in zip(sources, products)
                for variant in src.variants.all()
            ]
            ProductVariant.objects.bulk_create([clone for _, clone in pairs])
            ProductVariantChannelListing.objects.bulk_create(
                _clone(listing, variant_id=clone.id)
                for variant, clone in pairs
                for listing in variant.channel_listings.all()
            )
            Stock.objects.bulk_create(
                _clone(stock, product_variant_id=clone.id, quantity_allocated=0)
                for variant, clone in pairs
                for stock in variant.stocks.all()
            )
            first_variant = {}
            for _, clone in pairs:
                first_variant.setdefault(clone.product_id, clone.id)
            for product in products:
                product.default_variant_id = first_variant.get(product.id)
            Product.objects.bulk_update(products, ["default_variant_id"])
        count += size
        added += size
        log(f"catalog: {count} products ({added / (time.perf_counter() - started):.0f}/s)")
    return added


def encode_originals() -> None:
    """Encode the shop's products with the plugin, as its backfill does (before cloning)."""
    from saleor_personalization.saleor_adapter import catalog_jobs, services
    from saleor_personalization.store.catalog_index import current_space

    if current_space() is None:
        catalog_jobs.rebuild_all(services.load_config() or services.PersonalizationConfig())


def index_catalog() -> None:
    """Give each clone its original's vector plus noise (the originals are encoded)."""
    from django.db import connection
    from saleor.product.models import Product
    from saleor_personalization.models import ProductVector
    from saleor_personalization.store.catalog_index import current_space
    from saleor_personalization.store.spaces import ensure_index

    originals = list(
        Product.objects.exclude(slug__contains="-bench-")
        .order_by("id")
        .values_list("id", flat=True)
    )
    space = current_space()
    if space is None:
        raise SystemExit("index the shop's own products first (encode_originals)")
    vectors = {
        pid: np.asarray(vec, dtype=np.float32)
        for pid, vec in ProductVector.objects.filter(
            space=space, product_id__in=originals
        ).values_list("product_id", "embedding")
    }
    by_slug = dict(Product.objects.filter(id__in=originals).values_list("slug", "id"))
    have = set(ProductVector.objects.filter(space=space).values_list("product_id", flat=True))
    rng = np.random.default_rng(11)
    missing = (
        Product.objects.filter(slug__contains="-bench-")
        .exclude(id__in=have)
        .values_list("id", "slug")
        .iterator(chunk_size=CLONE_BATCH)
    )
    rows = []
    written = 0
    for pid, slug in missing:
        original = vectors.get(by_slug.get(slug.split("-bench-")[0]))
        if original is None:
            continue
        vector = original + rng.normal(0, NOISE, original.shape).astype(np.float32)
        rows.append(
            ProductVector(
                space=space,
                product_id=pid,
                content_hash=CLONE_HASH,
                embedding=vector / np.linalg.norm(vector),
            )
        )
        if len(rows) == CLONE_BATCH:
            ProductVector.objects.bulk_create(rows)
            written += len(rows)
            rows = []
            log(f"vectors: {written} clones")
    ProductVector.objects.bulk_create(rows)
    ensure_index(space)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {ProductVector._meta.db_table}")


def store_similar_lists() -> int:
    """What the rebuild task does after a switch: every product's similar list."""
    from saleor_personalization.saleor_adapter import catalog_jobs, services

    config = services.load_config() or services.PersonalizationConfig()
    done = 0
    while chunk := catalog_jobs.refresh_similar_lists(config, limit=5000):
        done += chunk
        log(f"similar lists: {done}")
    return done


def generate_events(total: int, channel_slug: str, seed: int = 5) -> int:
    """Top the event table up to ``total`` rows: Zipf-popular products, a mix of types."""
    from django.db import connection
    from django.utils import timezone
    from saleor.product.models import Product
    from saleor_personalization.models import InteractionEvent

    existing = InteractionEvent.objects.count()
    wanted = total - existing
    if wanted <= 0:
        return 0
    ids = np.array(list(Product.objects.order_by("?").values_list("id", flat=True)))
    rng = np.random.default_rng(seed)
    shoppers = max(1000, total // 20)
    types, weights = zip(*EVENT_MIX)
    now = timezone.now()
    table = InteractionEvent._meta.db_table
    columns = ("shopper_key", "product_id", "event_type", "channel", "occurred_at")
    written = 0
    while written < wanted:
        size = min(EVENT_BATCH, wanted - written)
        ranks = np.minimum(rng.zipf(1.3, size), len(ids)) - 1
        products = ids[ranks]
        who = rng.integers(0, shoppers, size)
        kinds = rng.choice(len(types), size=size, p=weights)
        ages = rng.uniform(0, 60 * 24 * 3600, size)
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy_in,
        ):
            for p, s, t, a in zip(products.tolist(), who.tolist(), kinds.tolist(), ages.tolist()):
                copy_in.write_row(
                    (f"bench:{s}", p, types[t], channel_slug, now - timedelta(seconds=a))
                )
        written += size
        log(f"events: {existing + written}")
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}")
    return written


def warm_guests(
    channel_slug: str, count: int, views: int = 3, seed: int = 3, stored_lists: bool = True
) -> list[str]:
    """Guests with a few tracked views each (profiles updated as the storefront's events
    do), and with ``stored_lists`` their lists computed as the worker does after them."""
    from django.utils import timezone
    from saleor.product.models import Product
    from saleor_personalization.engine.events import Event, EventType
    from saleor_personalization.saleor_adapter import services

    config = services.load_config() or services.PersonalizationConfig()
    chooser = random.Random(seed)
    ids = list(
        Product.objects.filter(slug__contains="-bench-").values_list("id", flat=True)[:5000]
    ) or list(Product.objects.values_list("id", flat=True))
    guests = []
    for g in range(count):
        key = f"anon:bench-warm-guest-{g:04d}"
        for product_id in chooser.sample(ids, views):
            services.track(
                config, Event(key, product_id, EventType.VIEW, timezone.now(), channel_slug)
            )
        guests.append(key.removeprefix("anon:"))
    if stored_lists:
        services.refresh_shopper_lists(config, [f"anon:{guest}" for guest in guests])
    return guests


def make_learned_live(epochs: int) -> str:
    """Train the learned recommender on the shop's events as a retrain does and make it
    live, also when the promotion gate rejects it (a serving benchmark measures what a
    live model costs, not whether it wins); returns a line saying what was trained."""
    from saleor_personalization.models import RecommenderModel
    from saleor_personalization.saleor_adapter import services, training_jobs
    from saleor_personalization.store import recommender_registry as registry
    from saleor_personalization.store.catalog_index import current_space

    config = services.load_config() or services.PersonalizationConfig()
    options = training_jobs.RetrainOptions(
        losses=("sampled_softmax",), hyperparameters={"epochs": epochs}
    )
    started = time.perf_counter()
    row = training_jobs.retrain(config, trigger="command", options=options)
    if row is None:
        raise SystemExit("a recommender training is running elsewhere; try again later")
    if row.status != RecommenderModel.Status.LIVE:
        model = registry.trained_model(row).ranking_model()
        registry.build_space(row, model, current_space())
        registry.go_live(row)
    if not learned_live():
        raise SystemExit(f"recommender model {row.pk} did not go live")
    return (
        f"learned model {row.pk} live ({row.event_count} events, "
        f"{time.perf_counter() - started:.0f} s; gate: {row.decision})"
    )


def learned_live() -> bool:
    from saleor_personalization.saleor_adapter import services

    config = services.load_config() or services.PersonalizationConfig()
    return services.learned_ranking(config) is not None


def refresh_popularity() -> int:
    from saleor_personalization.saleor_adapter import services

    return services.refresh_popularity(services.load_config() or services.PersonalizationConfig())


def sellable_copies(enabled: bool) -> Callable[[], object] | None:
    """Refresh every channel's copy of what it can sell now (or drop them all, so serving
    checks Saleor's condition); returns the refresh for beat's minutely runs, if any."""
    from saleor_personalization.models import ChannelSellable, ChannelSellableRefresh
    from saleor_personalization.saleor_adapter import availability

    if not enabled:
        ChannelSellable.objects.all().delete()
        ChannelSellableRefresh.objects.all().delete()
        return None
    started = time.perf_counter()
    totals = availability.refresh_copies()
    log(f"sellable copies: {totals} in {time.perf_counter() - started:.1f} s")

    def refresh() -> None:
        from saleor.core.db.connection import allow_writer

        with allow_writer():
            availability.refresh_copies()

    return refresh


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, required=True)
    parser.add_argument("--events", type=int, default=0)
    parser.add_argument("--channel", default="default-channel")
    args = parser.parse_args(argv)
    setup_django()
    from saleor.core.db.connection import allow_writer

    with allow_writer():
        encode_originals()
        grow_catalog(args.products)
        index_catalog()
        generate_events(args.events, args.channel)
        refresh_popularity()
    return 0


if __name__ == "__main__":
    sys.exit(main())
