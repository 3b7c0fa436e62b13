"""Benchmark: the rewriting pipeline against the generator alone, scoring throughput,
and how many sample products get a proposal from the local model.

A benchmark, not a test: it prints figures.

    python benchmarks/bench_rewrite.py [--products 8] [--candidates 2] [--score-products 10000]
                                       [--skip-generation] [--json FILE]

- Scoring: ``score`` over ``--score-products`` synthetic products (the sample shop's
  products with shuffled sentences and attribute subsets), products per second.
- Rewrites per minute: ``propose`` on the sample shop's first ``--products`` products
  with the local model; the same run times every ``generate`` call, so "raw" is the
  generator alone on exactly the prompts the pipeline built, and the ratio
  raw time / pipeline time is what the pipeline's repairing, checking and scoring cost.
- Proposals: the share of those products with at least one candidate that passes every
  guardrail and beats the current description's total (alignment neutral: no shoppers).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=8, help="sample products to rewrite")
    parser.add_argument("--candidates", type=int, default=2, help="whole-text candidates")
    parser.add_argument("--max-new-tokens", type=int, default=160)
    parser.add_argument("--score-products", type=int, default=10_000)
    parser.add_argument("--skip-generation", action="store_true")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    figures: dict = {"scoring": bench_scoring(args.score_products, args.seed)}
    print(f"scoring: {figures['scoring']['products']} products in "
          f"{figures['scoring']['seconds']:.2f} s = {figures['scoring']['per_second']:.0f}/s")
    if not args.skip_generation:
        figures["rewriting"] = bench_rewriting(args.products, args.candidates,
                                               args.max_new_tokens, args.seed)
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


def bench_rewriting(count: int, candidates: int, max_new_tokens: int, seed: int) -> dict:
    from saleor_personalization.engine.content.generators.local import LocalGenerator, load
    from saleor_personalization.engine.content.rewriting import RewriteSettings, propose

    start = time.perf_counter()
    load()
    load_seconds = time.perf_counter() - start
    print(f"local model loaded in {load_seconds:.1f} s")
    generator = TimedGenerator(LocalGenerator())
    settings = RewriteSettings(candidates=candidates, max_new_tokens=max_new_tokens, seed=seed)
    products = sample_products()[:count]
    others = [p.get("description", "") for p in sample_products()]
    with_proposal, pipeline_seconds, rows = 0, 0.0, []
    for product in products:
        facts = to_facts(product)
        start = time.perf_counter()
        result = propose(facts, facts.description, generator=generator, settings=settings,
                         other_products=[o for o in others if o != facts.description])
        pipeline_seconds += time.perf_counter() - start
        accepted = [c for c in result.candidates if c.report.accepted]
        best = result.proposals[0] if result.proposals else None
        with_proposal += best is not None
        rows.append({"product": facts.name, "current": result.current_score.total,
                     "candidates": len(result.candidates), "accepted": len(accepted),
                     "best_proposal": best.score.total if best else None,
                     "best_origin": best.origin if best else None,
                     "raw_generated_accepted": sum(1 for c in result.candidates
                                                   if c.origin == "generated" and c.report.accepted),
                     "texts": [{"origin": c.origin, "total": c.score.total,
                                "accepted": c.report.accepted, "text": c.text,
                                "violations": [v.detail for v in c.report.violations]}
                               for c in result.candidates]})
        print(f"{facts.name[:40]:40} current {result.current_score.total:5.1f} "
              f"candidates {len(result.candidates)} accepted {len(accepted)} "
              f"best {best.score.total if best else '-'} ({best.origin if best else ''})",
              flush=True)
    per_minute = 60 * len(products) / pipeline_seconds
    raw_per_minute = 60 * len(products) / generator.seconds
    figures = {
        "products": len(products), "load_seconds": round(load_seconds, 1),
        "pipeline_seconds": round(pipeline_seconds, 1),
        "generate_seconds": round(generator.seconds, 1),
        "rewrites_per_minute": round(per_minute, 2),
        "raw_generate_per_minute": round(raw_per_minute, 2),
        "ratio": round(generator.seconds / pipeline_seconds, 3),
        "with_proposal": with_proposal, "share_with_proposal": round(with_proposal / len(products), 3),
        "rows": rows,
    }
    print(f"rewrites/minute: pipeline {per_minute:.2f}, raw generate {raw_per_minute:.2f} "
          f"(ratio {figures['ratio']:.2f})")
    print(f"products with >= 1 accepted, better-scoring proposal: {with_proposal}/{len(products)}")
    return figures


if __name__ == "__main__":
    sys.exit(main())
