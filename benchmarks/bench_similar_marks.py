"""Benchmark: marking neighbours' similar lists stale and stripping deleted products
from them, with and without the index on the lists' product ids.

A benchmark, not a test: it prints figures. Every product save runs
``similar_lists.mark_near_stale`` and every deletion ``DjangoStore.delete_products``
in a worker; both look for the lists that name given products. This fills a space
with N synthetic lists (20 neighbours each, drawn near the product's own id, so each
product is named by about 20 lists), then times each operation interleaved with the
same operation after dropping the index (``personalization_similar_names``), each call
in a transaction that is rolled back (and the table vacuumed after it) so every call
sees the same data; and what the
index costs the writes of the similar-list refresh (200 recomputed lists).

    .venv/bin/python benchmarks/bench_similar_marks.py [--lists 10000 100000] [--rounds 30]

It uses (and resets) the database ``personalization_bench_marks`` on the embedded
server, or ``DATABASE_URL`` if set: every embedding space there is deleted.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable

import numpy as np

BENCH_DATABASE = "personalization_bench_marks"
NEIGHBOURS = 20
SPREAD = 400  # neighbours are drawn from the next SPREAD ids
BATCH = 50  # products marked at once by a bulk edit's catalog job
REFRESH = 200  # lists written at once by the similar-list refresh
INDEX = "personalization_similar_names"
SEED = 2024
TABLE = "personalization_similar_list"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def connect_database() -> None:
    from saleor_personalization.standalone import embedded_db, setup

    url = os.environ.get("DATABASE_URL") or embedded_db.start(BENCH_DATABASE)
    setup.configure(url)


def fill(lists: int):
    from django.db import connection
    from saleor_personalization.models import EmbeddingSpace
    from saleor_personalization.store import create_space

    EmbeddingSpace.objects.all().delete()
    space = create_space("bench-similar-marks", 4)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} "
            "(space_id, product_id, product_ids, scores, computed_at) "
            "SELECT %s, g, ARRAY(SELECT 1 + (g + 1 + floor(random() * %s)::int) %% %s "
            "  FROM generate_series(1, %s) WHERE g IS NOT NULL), "
            "  array_fill(0.5::float8, ARRAY[%s]), now() "
            "FROM generate_series(1, %s) g",
            [space.pk, SPREAD, lists, NEIGHBOURS, NEIGHBOURS, lists],
        )
        cursor.execute(f"ANALYZE {TABLE}")
    log(f"{lists} lists stored in {time.perf_counter() - started:.1f} s")
    return space


def timed_rolled_back(call: Callable[[], object], drop_index: bool) -> float:
    """Milliseconds of ``call`` in a transaction rolled back afterwards."""
    from django.db import connection, transaction

    with transaction.atomic():
        if drop_index:
            with connection.cursor() as cursor:
                cursor.execute(f'DROP INDEX "{INDEX}"')
        with connection.cursor() as cursor:
            # Both sides start with the table's cache entries loaded (a drop resets them).
            cursor.execute(f"SELECT 1 FROM {TABLE} LIMIT 1")
        started = time.perf_counter()
        call()
        elapsed = (time.perf_counter() - started) * 1000.0
        transaction.set_rollback(True)
    return elapsed


def _recomputed(rng: random.Random, lists: int) -> dict[int, list[tuple[int, float]]]:
    return {
        pid: [(1 + (pid + rng.randint(1, SPREAD)) % lists, 0.5) for _ in range(NEIGHBOURS)]
        for pid in rng.sample(range(1, lists + 1), REFRESH)
    }


def vacuum() -> None:
    """Clear the rolled-back call's dead rows, so no call wades through earlier ones'."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM {TABLE}")


def bench(lists: int, rounds: int) -> dict[str, dict[str, list[float]]]:
    from saleor_personalization.store import DjangoStore, similar_lists

    space = fill(lists)
    rng = random.Random(SEED)
    operations: dict[str, Callable[[], Callable[[], object]]] = {
        "save 1 product": lambda: (
            lambda ids=[rng.randint(1, lists)]: similar_lists.mark_near_stale(space, ids)
        ),
        f"save {BATCH} products": lambda: (
            lambda ids=rng.sample(range(1, lists + 1), BATCH): similar_lists.mark_near_stale(
                space, ids
            )
        ),
        # What the index costs: the refresh's writes of recomputed lists.
        f"store {REFRESH} lists": lambda: (
            lambda lists_=_recomputed(rng, lists): DjangoStore(space).save_similar(lists_)
        ),
        "delete 1 product": lambda: (
            lambda ids=[rng.randint(1, lists)]: DjangoStore(space).delete_products(ids)
        ),
    }
    timings = {name: {"index": [], "no index": []} for name in operations}
    for round_ in range(rounds + 1):  # the first round warms up
        for name, make in operations.items():
            call = make()
            # Which goes first alternates, so drift hits both alike.
            order = [False, True] if round_ % 2 else [True, False]
            for drop in order:
                elapsed = timed_rolled_back(call, drop_index=drop)
                if round_:
                    timings[name]["no index" if drop else "index"].append(elapsed)
                vacuum()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lists", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    if min(args.lists) <= SPREAD or args.rounds < 1:
        parser.error(f"lists must be more than {SPREAD}, rounds >= 1")
    connect_database()
    print(f"ms per operation, p50 / p99 over {args.rounds} rounds, {os.cpu_count()} CPUs")
    print(f"{'lists':>8}  {'operation':<18} {'with index':>16} {'without':>16} {'ratio p50':>10}")
    for lists in args.lists:
        for name, by_variant in bench(lists, args.rounds).items():
            cells = {
                variant: (np.percentile(values, 50), np.percentile(values, 99))
                for variant, values in by_variant.items()
            }
            with_index, without = cells["index"], cells["no index"]
            print(
                f"{lists:>8}  {name:<18} {with_index[0]:>7.2f} / {with_index[1]:>6.2f} "
                f"{without[0]:>7.2f} / {without[1]:>6.2f} {without[0] / with_index[0]:>9.1f}x"
            )


if __name__ == "__main__":
    main()
