"""``saleor-personalization demo``: the whole engine on a small sample shop."""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime

from ..progress import progress_bar
from . import demo_content, demo_experiment

DEMO_DATABASE = "personalization_demo"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="index a sample shop, build profiles and print explained recommendations",
        description="Runs on the embedded PostgreSQL (database personalization_demo, reset on "
        "every run) unless DATABASE_URL is set.",
    )
    parser.add_argument("-k", type=int, default=5, help="recommendations per list (default 5)")
    parser.add_argument(
        "--reset", action="store_true",
        help="with DATABASE_URL: allow deleting existing personalization rows in that database",
    )
    demo_content.add_arguments(parser)
    demo_experiment.add_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..standalone.setup import configure, database_url

    external = bool(os.environ.get("DATABASE_URL"))
    url = configure(database_url(DEMO_DATABASE))
    from ..models import InteractionEvent

    if external and InteractionEvent.objects.exists() and not args.reset:
        print(
            "DATABASE_URL points at a database that already holds personalization data; "
            "the demo resets it. Re-run with --reset to allow that, or unset DATABASE_URL "
            "to use the embedded database.",
            file=sys.stderr,
        )
        return 2
    print(f"Database: {url}")
    _reset()
    demo = _Demo(args.k)
    demo.run()
    status = 0 if args.no_content else demo_content.run(demo.shop, demo.recommender)
    if not args.no_experiment:
        status = max(status, demo_experiment.run(report_dir=args.report))
    return status


def _reset() -> None:
    from django.db import transaction

    from ..models import EmbeddingSpace, InteractionEvent, RecommendationList

    with transaction.atomic():
        InteractionEvent.objects.all().delete()
        RecommendationList.objects.all().delete()
        EmbeddingSpace.objects.all().delete()  # cascades to vectors and profiles


class _Demo:
    def __init__(self, k: int) -> None:
        from ..engine.recommender import Recommender
        from ..standalone.sample_shop import load_sample_shop
        from ..store import DjangoStore

        self.k = k
        self.now = datetime.now(UTC)
        self.shop = load_sample_shop(self.now)
        self.names = self.shop.names
        self.recommender = Recommender(DjangoStore(), clock=lambda: self.now)

    def run(self) -> None:
        self.index()
        self.load_events()
        self.section(f"Recommendations in {self.shop.channel}")
        for shopper in self.shop.shoppers:
            self.show_shopper(shopper.key, shopper.label)
        self.show_shopper("guest:first-visit", "A guest we have never seen (cold start)")
        self.section("Similar products (product pages)")
        for product_id in (self.shop.shoppers[0].events[0].product_id, 35, 48):
            self.show_similar(product_id)
        self.show_update()

    def index(self) -> None:
        from ..store.catalog_index import rebuild_catalog

        self.section("Indexing the catalog")
        documents = self.shop.documents
        started = time.perf_counter()
        with progress_bar(len(documents), "Embedding products") as advance:
            space, stats = rebuild_catalog(documents, progress=advance)
        print(
            f"{stats.encoded} products embedded with {space.model_name} "
            f"({space.dimensions} dimensions) in {time.perf_counter() - started:.1f}s"
        )

    def load_events(self) -> None:
        events = [e for s in self.shop.shoppers for e in s.events]
        with progress_bar(len(events), "Recording shopper events") as advance:
            for event in sorted(events, key=lambda e: e.occurred_at):
                self.recommender.track(event)
                advance(1)
        print(f"{len(events)} events from {len(self.shop.shoppers)} shoppers recorded")

    def show_shopper(self, key: str, label: str) -> None:
        from ..engine.filters import CandidateFilter

        history = self.recommender.store.history(key, 5)
        print(f"\n{label} [{key}]")
        if history:
            recent = ", ".join(f"{e.event_type.value} {self.names[e.product_id]}" for e in history[-3:])
            print(f"  recently: {recent}")
        sellable = CandidateFilter.allow(self.shop.sold_in(self.shop.channel))
        result = self.recommender.recommend(key, self.shop.channel, self.k, candidate_filter=sellable)
        for rank, item in enumerate(result.items, 1):
            print(
                f"  {rank}. {self.names[item.product_id]:<48} {item.score:5.3f}  "
                f"{item.reason.render(self.names)}"
            )

    def show_similar(self, product_id: int) -> None:
        print(f"\nSimilar to {self.names[product_id]}:")
        for item in self.recommender.similar_products(product_id, self.k):
            print(f"  - {self.names[item.product_id]} ({item.score:.3f})")

    def show_update(self) -> None:
        new_events = self.shop.new_events
        if not new_events:
            return
        key = new_events[0].shopper_key
        label = next(s.label for s in self.shop.shoppers if s.key == key)
        self.section(f"What changes after new events ({label})")
        before = self.recommender.recommend(key, self.shop.channel, self.k, remember=False)
        for event in new_events:
            self.recommender.track(event)
            print(f"  + {event.event_type.value} {self.names[event.product_id]}")
        after = self.recommender.recommend(key, self.shop.channel, self.k, remember=False)
        print(f"\n  {'before':<50} after")
        for old, new in zip(before.items, after.items):
            print(f"  {self.names[old.product_id]:<50} {self.names[new.product_id]}")
        print(f"\n  top reason now: {after.items[0].reason.render(self.names)}")

    @staticmethod
    def section(title: str) -> None:
        print(f"\n== {title} ==")
