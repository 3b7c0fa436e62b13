"""Benchmark: the backfill's indexing path against the encoder alone, on the same texts.

A benchmark, not a test: it prints figures. Run in a Saleor environment where this
package is installed, against a shop database (grow it with ``saleor_catalog.py``):

    DATABASE_URL=... python benchmarks/bench_backfill.py [--products 2000] [--rounds 2]

Both sides encode the same composed product texts with the same model: "raw" calls
``SentenceTransformer.encode`` on texts prepared beforehand; "backfill" runs what
``personalization_backfill`` runs per batch (read the products' documents from
Saleor, compose and hash them, encode, write the vectors) into a scratch embedding
space that is deleted afterwards, so the shop's live vectors are not touched. The
rounds alternate which side goes first.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import saleor_catalog  # noqa: E402  (a sibling script)

BATCH = 500


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    saleor_catalog.setup_django()
    from saleor.core.db.connection import allow_writer
    from saleor.product.models import Product
    from saleor_personalization.engine.documents import compose_text
    from saleor_personalization.engine.encoder import EncoderConfig, dimensions, load_model
    from saleor_personalization.engine.indexing import index_documents
    from saleor_personalization.saleor_adapter.documents import product_documents
    from saleor_personalization.store import DjangoStore, create_space
    from saleor_personalization.store.spaces import drop_space

    config = EncoderConfig()
    model = load_model(config)
    ids = list(Product.objects.order_by("id").values_list("id", flat=True)[: args.products])
    texts = [compose_text(doc) for doc in product_documents(ids)]
    model.encode(texts[:64], batch_size=64)  # warm up
    rates: dict[str, list[float]] = {"raw": [], "backfill": []}

    def raw() -> None:
        model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)

    def backfill() -> None:
        with allow_writer():
            space = create_space(config.model, dimensions(config))
            try:
                # As the backfill does: documents read in batches, indexed as one stream.
                documents = (
                    document
                    for start in range(0, len(ids), BATCH)
                    for document in product_documents(ids[start : start + BATCH])
                )
                index_documents(documents, DjangoStore(space), config)
            finally:
                drop_space(space)

    sides = {"raw": raw, "backfill": backfill}
    for round_ in range(args.rounds):
        order = ["raw", "backfill"] if round_ % 2 == 0 else ["backfill", "raw"]
        for name in order:
            started = time.perf_counter()
            sides[name]()
            rates[name].append(len(ids) / (time.perf_counter() - started))
    best = {name: max(values) for name, values in rates.items()}
    print(f"{len(ids)} products, {args.rounds} rounds (products/s, best of rounds)")
    for name, values in rates.items():
        print(f"{name:<9} {best[name]:8.1f}   rounds: " + " ".join(f"{v:.1f}" for v in values))
    print(f"backfill / raw: {best['backfill'] / best['raw']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
