"""Benchmark: our storefront fields against Saleor's own queries, through Saleor's GraphQL.

A benchmark, not a test: it prints figures. Run in a Saleor environment where this
package is installed, against a shop database (``populatedb``; grown with
``saleor_catalog.py``), from Saleor's source folder (``SALEOR_DIR``):

    DATABASE_URL=... python benchmarks/bench_storefront.py --products 10000 [--calls 200]

One uvicorn process serves Saleor (production settings, DEBUG off); every query is
sent in turn within each round, so machine noise hits all of them alike. Each of
ours is compared with the Saleor query a page would send without it: the personal
list with ``products(first: 10)``, a product page's similar products with the same
page without them, a listing page of 20 with similar products with the same listing
(and, for reference, with Saleor's own listing of as many products: 100, and with the
page of 20 showing each card's category's first 4 products, the related products a
storefront can show without the plugin).

``--rebuild-load THREADS`` measures serving while a catalog rebuild's encoding runs on
the same machine: a second process encodes the shop's product documents with the
plugin's encoder without pause, as a rebuild worker does, with ``OMP_NUM_THREADS`` set
to THREADS and at ``--rebuild-nice`` (the README's advice for workers that share the
machine with the storefront).

``--clients N`` sends N storefronts' rounds at once; the output counts lists that came
back shorter than asked. ``--learned EPOCHS`` trains the learned recommender on the shop's events first and makes
it live (the worker then ranks the warm guests' stored lists with it); the output says
whenever a learned model is live, from this run or an earlier one.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import saleor_catalog  # noqa: E402  (a sibling script)

CHANNEL = "default-channel"
READY_DEADLINE_S = 120

QUERIES = {
    "products10": "query($c: String!) { products(first: 10, channel: $c) "
    "{ edges { node { id name thumbnail { url } } } } }",
    "recommended_warm": "query($c: String!, $a: String) { recommendedProducts(channel: $c, "
    "first: 10, anonymousId: $a) { id items { product { id name thumbnail { url } } score reason } } }",
    "recommended_cold": "query($c: String!, $a: String) { recommendedProducts(channel: $c, "
    "first: 10, anonymousId: $a) { id items { product { id name thumbnail { url } } score reason } } }",
    "product": "query($c: String!, $s: String!) { product(slug: $s, channel: $c) { id name } }",
    "product_similar": "query($c: String!, $s: String!) { product(slug: $s, channel: $c) "
    "{ id name similarProducts(first: 4) { id name } } }",
    "page20": "query($c: String!, $after: String) { products(first: 20, channel: $c, after: $after) "
    "{ edges { node { id name } } } }",
    "page20_similar": "query($c: String!, $after: String) { products(first: 20, channel: $c, "
    "after: $after) { edges { node { id name similarProducts(first: 4) { id name } } } } }",
    # As many products as a page of 20 with 4 similar each shows, from Saleor alone.
    "page100": "query($c: String!, $after: String) { products(first: 100, channel: $c, "
    "after: $after) { edges { node { id name } } } }",
    # How a storefront shows 4 related products on each card without the plugin:
    # the card's category's products.
    "page20_category": "query($c: String!, $after: String) { products(first: 20, channel: $c, "
    "after: $after) { edges { node { id name category { products(first: 4, channel: $c) "
    "{ edges { node { id name } } } } } } } }",
}
# (ours, Saleor's own counterpart)
PAIRS = (
    ("recommended_warm", "products10"),
    ("recommended_cold", "products10"),
    ("product_similar", "product"),
    ("page20_similar", "page20"),
    # References: what Saleor's own listing costs to return the same 100 products,
    # and Saleor's own way to show related products on each card.
    ("page20_similar", "page100"),
    ("page20_similar", "page20_category"),
)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rsa_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()


def start_server(port: int, saleor_dir: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "saleor.settings",
        "DEBUG": "False",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "ALLOWED_CLIENT_HOSTS": "127.0.0.1,localhost",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "benchmark"),
        "RSA_PRIVATE_KEY": rsa_key(),
        "HF_HUB_OFFLINE": "1",
        "OBSERVABILITY_ACTIVE": "False",
        "SEND_USAGE_TELEMETRY": "False",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "saleor.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=saleor_dir,
        env=env,
    )


def encode_forever() -> None:
    """The rebuild's CPU work (run as the child of ``start_rebuild_load``): encode the
    shop's product documents with the plugin's encoder until killed."""
    saleor_catalog.setup_django()
    from saleor_personalization.engine.documents import compose_text
    from saleor_personalization.engine.encoder import EncoderConfig, encode
    from saleor_personalization.engine.indexing import CHUNK_SIZE
    from saleor_personalization.saleor_adapter.documents import all_product_ids, product_documents

    texts = [compose_text(d) for batch in all_product_ids() for d in product_documents(batch)]
    config = EncoderConfig()
    while True:
        for start in range(0, len(texts), CHUNK_SIZE):  # as the rebuild encodes them
            encode(texts[start : start + CHUNK_SIZE], config=config)


def start_rebuild_load(threads: int, niceness: int) -> subprocess.Popen:
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads),
           "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen(
        ["nice", "-n", str(niceness), sys.executable, __file__, "--encode-forever"], env=env
    )


def wait_ready(client, url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + READY_DEADLINE_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"uvicorn exited with {server.returncode}")
        try:
            if client.post(url, json={"query": "{ shop { name } }"}).status_code == 200:
                return
        except Exception:  # not listening yet
            pass
        time.sleep(0.5)  # polling a starting server, bounded by the deadline
    raise SystemExit(f"Saleor did not answer within {READY_DEADLINE_S}s")


# Lists of our fields that came back shorter than asked, per query (a storefront under
# load must still get whole lists).
SHORT: dict[str, int] = {}


def short_list(name: str, body: dict) -> bool:
    data = body.get("data") or {}
    if name.startswith("recommended"):
        return len((data.get("recommendedProducts") or {}).get("items") or []) < 10
    if name == "product_similar":
        return len((data.get("product") or {}).get("similarProducts") or []) < 4
    if name == "page20_similar":
        edges = (data.get("products") or {}).get("edges") or []
        return any(len(e["node"].get("similarProducts") or []) < 4 for e in edges)
    return False


def measure(
    client,
    url: str,
    calls: int,
    variables: dict[str, list[dict]],
    every_minute: Callable[[], object] | None = None,
    first_round: int = 0,
) -> dict[str, list[float]]:
    """``every_minute``: what beat would run meanwhile (between rounds, untimed)."""
    timings: dict[str, list[float]] = {name: [] for name in QUERIES}
    names = list(QUERIES)
    last_beat = time.monotonic()
    for round_ in range(first_round, first_round + calls):
        if every_minute is not None and time.monotonic() - last_beat >= 60:
            every_minute()
            last_beat = time.monotonic()
        order = names[round_ % len(names) :] + names[: round_ % len(names)]
        for name in order:
            values = variables[name][round_ % len(variables[name])]
            started = time.perf_counter()
            response = client.post(url, json={"query": QUERIES[name], "variables": values})
            elapsed = (time.perf_counter() - started) * 1000.0
            body = response.json()
            if response.status_code != 200 or body.get("errors"):
                raise SystemExit(f"{name} failed: {response.status_code} {json.dumps(body)[:500]}")
            timings[name].append(elapsed)
            if short_list(name, body):
                SHORT[name] = SHORT.get(name, 0) + 1
    return timings


def measure_clients(
    url: str,
    clients: int,
    calls: int,
    variables: dict[str, list[dict]],
    every_minute: Callable[[], object] | None = None,
) -> dict[str, list[float]]:
    """``clients`` storefronts at once, each sending ``calls`` rounds (its own order
    and variables); the timings of all of them together."""
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    def one(index: int) -> dict[str, list[float]]:
        with httpx.Client(timeout=120) as client:
            return measure(
                client, url, calls, variables, every_minute if index == 0 else None,
                first_round=index * 7,
            )

    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(one, range(clients)))
    return {name: [t for result in results for t in result[name]] for name in QUERIES}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, required=True)
    parser.add_argument("--events", type=int, default=None, help="default: 10 per product")
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--stored-lists", action=argparse.BooleanOptionalAction, default=True,
        help="serve from the similar-product and shopper lists the worker stores, as a "
        "shop whose workers run does (--no-stored-lists: rank everything live)",
    )
    parser.add_argument(
        "--sellable-copy",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="check each channel's copy of what it can sell, refreshed every minute as beat "
        "does (--no-sellable-copy: Saleor's condition in every statement, as without beat)",
    )
    parser.add_argument(
        "--clients", type=int, default=1,
        help="storefront clients sending their rounds at the same time (default 1)",
    )
    parser.add_argument(
        "--learned", type=int, default=0, metavar="EPOCHS",
        help="train the learned recommender on the shop's events for this many epochs and "
        "make it live before measuring (default 0: the content profile serves)",
    )
    parser.add_argument(
        "--rebuild-load", type=int, default=0, metavar="THREADS",
        help="encode the catalog without pause in a second process with this many threads "
        "while measuring, as a rebuild worker on the same machine does (default 0: none)",
    )
    parser.add_argument(
        "--rebuild-nice", type=int, default=0, metavar="N",
        help="the rebuild load's niceness (default 0)",
    )
    args = parser.parse_args(argv)
    saleor_dir = Path(os.environ.get("SALEOR_DIR", ".")).resolve()
    saleor_catalog.setup_django()
    import httpx
    from saleor.core.db.connection import allow_writer
    from saleor.product.models import Product
    from saleor_personalization.models import SimilarProductList

    with allow_writer():
        saleor_catalog.encode_originals()
        saleor_catalog.grow_catalog(args.products)
        saleor_catalog.index_catalog()
        if args.stored_lists:
            saleor_catalog.store_similar_lists()
        else:
            SimilarProductList.objects.all().delete()
        saleor_catalog.generate_events(
            args.events if args.events is not None else 10 * args.products, CHANNEL
        )
        if args.learned:
            log(saleor_catalog.make_learned_live(args.learned))
        learned_live = saleor_catalog.learned_live()
        warm = saleor_catalog.warm_guests(CHANNEL, 20, stored_lists=args.stored_lists)
        saleor_catalog.refresh_popularity()  # what beat does every five minutes
        copy_sellable = saleor_catalog.sellable_copies(args.sellable_copy)
    slugs = list(Product.objects.order_by("?").values_list("slug", flat=True)[:50])
    variables = {
        "products10": [{"c": CHANNEL}],
        "recommended_warm": [{"c": CHANNEL, "a": guest} for guest in warm],
        "recommended_cold": [
            {"c": CHANNEL, "a": f"bench-unknown-guest-{i:08d}"} for i in range(50)
        ],
        "product": [{"c": CHANNEL, "s": slug} for slug in slugs],
        "product_similar": [{"c": CHANNEL, "s": slug} for slug in slugs],
        "page20": [{"c": CHANNEL}],
        "page20_similar": [{"c": CHANNEL}],
        "page100": [{"c": CHANNEL}],
        "page20_category": [{"c": CHANNEL}],
    }
    port = free_port()
    url = f"http://127.0.0.1:{port}/graphql/"
    server = start_server(port, saleor_dir)
    load = None
    try:
        with httpx.Client(timeout=60) as client:
            wait_ready(client, url, server)
            if args.rebuild_load:
                load = start_rebuild_load(args.rebuild_load, args.rebuild_nice)
                time.sleep(20)  # model loaded, encoding under way
                if load.poll() is not None:
                    raise SystemExit(f"the rebuild load exited with {load.returncode}")
            measure(client, url, args.warmup, variables)
            started = time.monotonic()
            timings = measure_clients(url, args.clients, args.calls, variables, copy_sellable)
            seconds = time.monotonic() - started
    finally:
        for process in (load, server):
            if process is not None:
                process.terminate()
                process.wait(timeout=30)
    stats = {
        name: {"p50": float(np.percentile(values, 50)), "p99": float(np.percentile(values, 99))}
        for name, values in timings.items()
    }
    load_note = (
        f", rebuild load: {args.rebuild_load} thread(s) at nice {args.rebuild_nice}"
        if args.rebuild_load else ""
    ) + (", learned model live" if learned_live else "") + (
        f", {args.clients} clients at once for {seconds:.0f} s" if args.clients > 1 else ""
    )
    print(f"\n{args.products} products, {args.calls} calls each (ms){load_note}")
    print(f"{'query':<20} {'p50':>8} {'p99':>8}")
    for name, figures in stats.items():
        print(f"{name:<20} {figures['p50']:8.1f} {figures['p99']:8.1f}")
    print(f"\n{'ours / Saleor':<36} {'p50 ratio':>10} {'p99 ratio':>10}")
    ratios = {}
    for ours, base in PAIRS:
        ratios[f"{ours}/{base}"] = {
            "p50": stats[ours]["p50"] / stats[base]["p50"],
            "p99": stats[ours]["p99"] / stats[base]["p99"],
        }
        print(
            f"{ours + ' / ' + base:<36} {ratios[f'{ours}/{base}']['p50']:10.2f} "
            f"{ratios[f'{ours}/{base}']['p99']:10.2f}"
        )
    shorts = ", ".join(f"{name} {count}" for name, count in SHORT.items()) or "none"
    print(f"\nshort lists: {shorts}")
    if args.json:
        args.json.write_text(
            json.dumps({"products": args.products, "rebuild_load": args.rebuild_load,
                        "clients": args.clients, "short_lists": SHORT,
                        "learned_live": learned_live,
                        "rebuild_nice": args.rebuild_nice, "stats": stats, "ratios": ratios},
                       indent=2)
        )
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--encode-forever"]:
        encode_forever()
    sys.exit(main())
