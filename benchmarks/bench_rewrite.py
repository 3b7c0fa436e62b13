"""Benchmark: the rewriting pipeline against the generator alone, scoring throughput,
and how many sample products get a proposal from the local model.

A benchmark, not a test: it prints figures.

    python benchmarks/bench_rewrite.py [--products 8] [--candidates 2] [--score-products 10000]
                                       [--skip-generation] [--saleor-shop] [--json FILE]

- Scoring: ``score`` over ``--score-products`` synthetic products (the sample shop's
  products with shuffled sentences and attribute subsets), products per second.
- Rewrites per minute: ``propose`` on the sample shop's first ``--products`` products
  with the local model; the same run times every ``generate`` call, so "raw" is the
  generator alone on exactly the prompts the pipeline built, and the ratio
  raw time / pipeline time is what the pipeline's repairing, checking and scoring cost.
- Proposals: the share of those products with at least one candidate that passes every
  guardrail and beats the current description's total (alignment neutral: no shoppers),
  how often candidates pass, and which guardrail rules reject them most.
- ``--saleor-shop``: the products come from a Saleor shop's database instead (e.g.
  ``populatedb``'s), read as the plugin reads them (``content_catalog.product_texts``),
  read-only; products cloned by ``saleor_catalog.py`` (slug with ``-bench-``) are left
  out. Run it in the Saleor environment from Saleor's source folder:

      DATABASE_URL=... SECRET_KEY=bench python .../benchmarks/bench_rewrite.py \
          --saleor-shop --products 32 --score-products 0
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=8, help="sample products to rewrite")
    parser.add_argument("--candidates", type=int, default=2, help="whole-text candidates")
    parser.add_argument("--max-new-tokens", type=int, default=160)
    parser.add_argument("--score-products", type=int, default=10_000)
    parser.add_argument("--skip-generation", action="store_true")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--saleor-shop", action="store_true",
                        help="rewrite the products of the Saleor shop at DATABASE_URL (read-only)")
    parser.add_argument("--torch-threads", type=int, help="torch's CPU threads (default: torch's)")
    parser.add_argument("--json", type=Path, help="also write the figures here (and the "
                        "rewriting figures so far after every product)")
    args = parser.parse_args(argv)
    figures: dict = {}
    if args.score_products > 0:
        figures["scoring"] = bench_scoring(args.score_products, args.seed)
        print(f"scoring: {figures['scoring']['products']} products in "
              f"{figures['scoring']['seconds']:.2f} s = {figures['scoring']['per_second']:.0f}/s")
    if not args.skip_generation:
        if args.torch_threads:
            import torch

            torch.set_num_threads(args.torch_threads)
        if args.saleor_shop:
            catalog, source = saleor_shop_products(), "saleor-shop"
        else:
            catalog, source = [to_facts(p) for p in sample_products()], "sample"
        figures["rewriting"] = {"source": source, **bench_rewriting(
            catalog[:args.products], args.candidates, args.max_new_tokens, args.seed,
            others=[facts.description for facts in catalog], checkpoint=args.json)}
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False))
    return 0


def sample_products() -> list[dict]:
    from saleor_personalization.standalone.sample_shop import default_path

    return json.loads(default_path().read_text(encoding="utf-8"))["products"]


def to_facts(product: dict):
    from saleor_personalization.engine.content.facts import ProductFacts

    return ProductFacts(product["name"], " > ".join(product.get("category", [])),
                        product.get("attributes", {}), product.get("description", ""), "en")


def saleor_shop_products() -> list:
    """The facts of the shop's original products (by id), read as the plugin reads
    them, on a connection that refuses writes."""
    sys.path.insert(0, str(HERE))
    import saleor_catalog  # a sibling script: Django set up inside Saleor

    saleor_catalog.setup_django()
    from django.db import connection
    from saleor.product.models import Product
    from saleor_personalization.saleor_adapter.content_catalog import product_texts

    with connection.cursor() as cursor:
        cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    ids = list(Product.objects.exclude(slug__contains="-bench-").order_by("id")
               .values_list("id", flat=True))
    texts = product_texts(ids)
    return [texts[pid].facts for pid in ids if pid in texts]


def bench_scoring(count: int, seed: int) -> dict:
    import numpy as np
    from saleor_personalization.engine.content.facts import ProductFacts
    from saleor_personalization.engine.content.scoring import score
    from saleor_personalization.engine.content.text import sentences

    rng = random.Random(seed)
    vectors = np.random.default_rng(seed).normal(size=(64, 384)).astype(np.float32)
    base = sample_products()
    products = []
    for index in range(count):
        product = base[index % len(base)]
        parts = sentences(product.get("description", ""))
        rng.shuffle(parts)
        attributes = {k: v for k, v in product.get("attributes", {}).items() if rng.random() < 0.8}
        products.append(ProductFacts(product["name"], " > ".join(product.get("category", [])),
                                     attributes, " ".join(parts), "en"))
    start = time.perf_counter()
    for index, facts in enumerate(products):
        score(facts.description, facts, description_vector=vectors[index % 64],
              audience_vector=vectors[(index + 1) % 64], language="en")
    seconds = time.perf_counter() - start
    return {"products": count, "seconds": round(seconds, 2), "per_second": round(count / seconds, 1)}


class TimedGenerator:
    """The local generator, with the time spent inside ``generate`` added up."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.name, self.model = inner.name, inner.model
        self.seconds = 0.0
        self.calls = 0

    def generate(self, prompts, **options):
        start = time.perf_counter()
        try:
            return self.inner.generate(prompts, **options)
        finally:
            self.seconds += time.perf_counter() - start
            self.calls += 1


def bench_rewriting(products: Sequence, candidates: int, max_new_tokens: int, seed: int,
                    others: Sequence[str] = (), checkpoint: Path | None = None) -> dict:
    """``propose`` over ``products`` (ProductFacts); a candidate must not copy ``others``
    (the catalog's descriptions); ``checkpoint`` gets the figures so far after every
    product, so a run stopped early still reports its share."""
    from saleor_personalization.engine.content.generators.local import LocalGenerator, load
    from saleor_personalization.engine.content.rewriting import RewriteSettings, propose

    start = time.perf_counter()
    load()
    load_seconds = time.perf_counter() - start
    print(f"local model loaded in {load_seconds:.1f} s", flush=True)
    generator = TimedGenerator(LocalGenerator())
    settings = RewriteSettings(candidates=candidates, max_new_tokens=max_new_tokens, seed=seed)
    pipeline_seconds, rows = 0.0, []
    figures: dict = {}
    for facts in products:
        start = time.perf_counter()
        result = propose(facts, facts.description, generator=generator, settings=settings,
                         other_products=[o for o in others if o != facts.description])
        seconds = time.perf_counter() - start
        pipeline_seconds += seconds
        accepted = [c for c in result.candidates if c.report.accepted]
        best = result.proposals[0] if result.proposals else None
        rows.append({"product": facts.name, "seconds": round(seconds, 1),
                     "current_text": facts.description,
                     "current": result.current_score.total,
                     "candidates": len(result.candidates), "accepted": len(accepted),
                     "best_proposal": best.score.total if best else None,
                     "best_origin": best.origin if best else None,
                     "best_text": best.text if best else None,
                     "raw_generated_accepted": sum(1 for c in result.candidates
                                                   if c.origin == "generated" and c.report.accepted),
                     "texts": [{"origin": c.origin, "total": c.score.total,
                                "accepted": c.report.accepted, "proposal": c.is_proposal,
                                "text": c.text,
                                "violations": [{"rule": v.rule, "detail": v.detail}
                                               for v in c.report.violations]}
                               for c in result.candidates]})
        print(f"{facts.name[:40]:40} current {result.current_score.total:5.1f} "
              f"candidates {len(result.candidates)} accepted {len(accepted)} "
              f"best {best.score.total if best else '-'} ({best.origin if best else ''}) "
              f"{seconds:.0f} s", flush=True)
        figures = summarize(rows, load_seconds, pipeline_seconds, generator)
        if checkpoint:
            checkpoint.write_text(json.dumps({"rewriting": figures}, indent=2, ensure_ascii=False))
    print(f"rewrites/minute: pipeline {figures['rewrites_per_minute']:.2f}, raw generate "
          f"{figures['raw_generate_per_minute']:.2f} (ratio {figures['ratio']:.2f})")
    print(f"products with >= 1 accepted, better-scoring proposal: "
          f"{figures['with_proposal']}/{figures['products']} (of which empty descriptions: "
          f"{figures['with_proposal_empty_current']}/{figures['empty_current']})")
    print(f"candidates passing every guardrail: {figures['candidates_accepted']}/"
          f"{figures['candidates']}; by origin: {figures['by_origin']}")
    print(f"rules rejecting candidates (candidates each rule rejected): {figures['rejections']}")
    return figures


def summarize(rows: list[dict], load_seconds: float, pipeline_seconds: float,
              generator: TimedGenerator) -> dict:
    """The figures over the products done so far."""
    texts = [t for row in rows for t in row["texts"]]
    by_origin: dict[str, dict[str, int]] = {}
    for text in texts:
        counts = by_origin.setdefault(text["origin"], {"candidates": 0, "accepted": 0,
                                                       "proposals": 0})
        counts["candidates"] += 1
        counts["accepted"] += text["accepted"]
        counts["proposals"] += text["proposal"]
    # Each rule counted once per candidate it rejected.
    rejections = Counter(rule for text in texts
                         for rule in {v["rule"] for v in text["violations"]})
    with_proposal = sum(row["best_proposal"] is not None for row in rows)
    # An empty description scores low on length and completeness: any text that names
    # the product's facts beats it, so those products are counted apart too.
    empty = [row for row in rows if not row["current_text"].strip()]
    return {
        "products": len(rows), "load_seconds": round(load_seconds, 1),
        "pipeline_seconds": round(pipeline_seconds, 1),
        "seconds_per_product": round(pipeline_seconds / len(rows), 1),
        "generate_seconds": round(generator.seconds, 1),
        "rewrites_per_minute": round(60 * len(rows) / pipeline_seconds, 2),
        "raw_generate_per_minute": round(60 * len(rows) / generator.seconds, 2),
        "ratio": round(generator.seconds / pipeline_seconds, 3),
        "with_proposal": with_proposal, "share_with_proposal": round(with_proposal / len(rows), 3),
        "empty_current": len(empty),
        "with_proposal_empty_current": sum(row["best_proposal"] is not None for row in empty),
        "candidates": len(texts), "candidates_accepted": sum(t["accepted"] for t in texts),
        "by_origin": by_origin, "rejections": dict(rejections.most_common()),
        "rows": rows,
    }


if __name__ == "__main__":
    sys.exit(main())
