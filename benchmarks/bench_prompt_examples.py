"""Replay: do prompts with winners' examples give better proposals than prompts without?

A benchmark, not a test: it prints figures.

    nice -n 15 python benchmarks/bench_prompt_examples.py [--per-category 2] [--offset 8]
        [--products 8] [--variants turns,one-short,full,openings,counter-only] [--neighbours 3]
        [--candidates 2] [--max-new-tokens 160] [--seed 7] [--json FILE]

On the sample shop (``plugin/sample_data/shop.json``; ``--per-category`` described
products of each category, then ``--offset`` and ``--products`` of those) with the
local SmolLM2 generator:

1. without examples: ``propose`` for every product; each product's best accepted
   proposal stands in for a promoted experiment winner, and its original description
   for the phrasing that lost;
2. with examples, per variant: ``propose`` again (same seed, same settings) with the
   winners of the product's ``--neighbours`` nearest products (by product vector; never
   its own) as examples and their losing originals as counter-examples, the variant
   choosing where they are shown, how many and how long (``VARIANTS``).

The variants were compared on the first 8 products (``--offset 0``); the defaults
(``--offset 8 --products 8 --variants turns``) replay the one chosen there (the Saleor
adapter's choice for the local model) on the next 8, held out from that choice. The
engine's default shows no examples (pass 1).

Per pass: mean best score (the best accepted proposal's, else the live text's, i.e.
what would be live), its alignment and completeness, the share of candidates passing
the guardrails, and the share of products with a proposal. Alignment is the cosine
between the text's vector and the demo shoppers' audience (the mean vector of the
products in their events), scaled as in ``engine/content/scoring.py``; completeness the
share of the product's facts the text states.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

# Where the examples go, how many and how long (RewriteSettings fields); "full" is what
# the engine did first. Without examples_in the engine shows none (its default).
VARIANTS = {
    "one-short": {"about": "the nearest winner's first ~200 characters, whole-text prompt only",
                  "examples_in": ("rewrite",)},
    "full": {"about": "3 winners (400 characters) + 2 losing originals in the whole-text "
             "prompt, the winners' first sentences in the opening prompts",
             "examples_in": ("rewrite", "openings"), "max_examples": 3,
             "max_counter_examples": 2, "example_chars": 400},
    "openings": {"about": "the nearest winner's first sentence, opening prompts only",
                 "examples_in": ("openings",)},
    "turns": {"about": "2 winners, each as an earlier chat exchange: the same request for the "
              "text it beat, answered with the winner (whole-text prompt)",
              "examples_in": ("rewrite",), "max_examples": 2, "max_counter_examples": 2,
              "example_chars": 400, "example_turns": True},
    "counter-only": {"about": "2 losing originals only, whole-text prompt",
                     "examples_in": ("rewrite",), "max_examples": 0,
                     "max_counter_examples": 2},
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-category", type=int, default=2)
    parser.add_argument("--products", type=int, default=8,
                        help="at most this many of the chosen products (0: all)")
    parser.add_argument("--offset", type=int, default=8,
                        help="skip this many of the chosen products first")
    parser.add_argument("--variants", default="turns",
                        help="comma-separated: " + ", ".join(VARIANTS))
    parser.add_argument("--neighbours", type=int, default=3)
    parser.add_argument("--candidates", type=int, default=2, help="whole-text candidates")
    parser.add_argument("--max-new-tokens", type=int, default=160)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)

    import numpy as np
    import torch
    from saleor_personalization.cli.demo_content import sample_facts
    from saleor_personalization.engine.content.generators.local import LocalGenerator, load
    from saleor_personalization.engine.content.rewriting import RewriteSettings
    from saleor_personalization.engine.documents import compose_text
    from saleor_personalization.engine.encoder import encode
    from saleor_personalization.standalone.sample_shop import load_sample_shop

    torch.set_num_threads(args.threads)
    shop = load_sample_shop(datetime.now(UTC))
    facts = sample_facts(shop.documents)
    chosen = pick_products(shop.documents, args.per_category)
    chosen = chosen[args.offset:]
    chosen = chosen[:args.products] if args.products else chosen
    vectors = dict(zip([d.product_id for d in shop.documents],
                       encode([compose_text(d) for d in shop.documents])))
    in_events = [e.product_id for s in shop.shoppers for e in s.events]
    audience = np.mean(np.stack([vectors[pid] for pid in in_events]), axis=0).astype(np.float32)
    started = time.perf_counter()
    load()
    print(f"local model loaded in {time.perf_counter() - started:.1f} s; "
          f"{len(chosen)} products, torch threads {args.threads}", flush=True)
    generator = LocalGenerator()
    others = [f.description for f in facts.values()]

    def run(pid: int, examples=(), counter_examples=(), **example_settings):
        product = facts[pid]
        settings = RewriteSettings(candidates=args.candidates, max_new_tokens=args.max_new_tokens,
                                   seed=args.seed, **example_settings)
        return propose_timed(product, generator, settings, audience,
                             [o for o in others if o != product.description],
                             examples, counter_examples)

    print("\n== pass 1: without examples ==", flush=True)
    without = {pid: run(pid) for pid in chosen}
    winners = {pid: result for pid, result in without.items() if result[0].proposals}
    print(f"\n{len(winners)} of {len(chosen)} products have a winner to show as an example")
    figures = {"products": len(chosen), "offset": args.offset, "neighbours": args.neighbours,
               "candidates": args.candidates, "seed": args.seed,
               "max_new_tokens": args.max_new_tokens, "without": summary(without),
               "variants": {}}
    for name in args.variants.split(","):
        variant = VARIANTS[name]
        print(f"\n== pass 2, variant {name}: {variant['about']} ==", flush=True)
        with_examples = {}
        for pid in chosen:
            near = nearest(pid, [w for w in winners if w != pid], vectors, args.neighbours)
            examples = [as_example(w, facts[w], winners[w][0].proposals[0].text) for w in near]
            counter = [as_example(w, facts[w], facts[w].description, "original") for w in near]
            with_examples[pid] = run(pid, examples, counter,
                                     **{k: v for k, v in variant.items() if k != "about"})
        figures["variants"][name] = {"about": variant["about"], "with": summary(with_examples),
                                     "rows": rows(facts, without, with_examples)}
        print_summary(name, figures["without"], figures["variants"][name])
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False))
    return 0


def pick_products(documents, per_category: int) -> list[int]:
    """The first ``per_category`` described products of every top-level category."""
    taken: dict[str, list[int]] = {}
    for doc in documents:
        group = taken.setdefault(doc.category_path[0] if doc.category_path else "", [])
        if doc.description and len(group) < per_category:
            group.append(doc.product_id)
    return [pid for group in taken.values() for pid in group]


def nearest(pid: int, candidates: list[int], vectors, k: int) -> list[int]:
    import numpy as np

    ranked = sorted(candidates, key=lambda other: -float(np.dot(vectors[pid], vectors[other])))
    return ranked[:k]


def as_example(pid: int, facts, text: str, kind: str = "winner"):
    from saleor_personalization.engine.content.prompts import PromptExample

    listed = tuple(f"{name}: {', '.join(map(str, values))}"
                   for name, values in facts.attributes.items() if values)
    return PromptExample(f"{kind}-{pid}", facts.name, listed, text)


def propose_timed(facts, generator, settings, audience, others, examples, counter_examples):
    from saleor_personalization.engine.content.rewriting import propose
    from saleor_personalization.engine.encoder import encode

    started = time.perf_counter()
    result = propose(facts, facts.description, generator=generator, settings=settings,
                     other_products=others, description_vector_fn=lambda t: encode([t])[0],
                     audience_vector=audience, examples=examples,
                     counter_examples=counter_examples)
    seconds = time.perf_counter() - started
    best = result.proposals[0].score if result.proposals else result.current_score
    accepted = sum(c.report.accepted for c in result.candidates)
    print(f"{facts.name[:40]:40} live {result.current_score.total:5.1f} -> best {best.total:5.1f} "
          f"accepted {accepted}/{len(result.candidates)} examples {len(result.example_keys)} "
          f"{seconds:.0f}s", flush=True)
    return result, seconds


def summary(results: dict) -> dict:
    import numpy as np

    best = [r.proposals[0].score if r.proposals else r.current_score for r, _ in results.values()]
    accepted = [c.score for r, _ in results.values() for c in r.candidates if c.report.accepted]
    candidates = sum(len(r.candidates) for r, _ in results.values())
    return {
        "best_total": round(float(np.mean([s.total for s in best])), 2),
        "best_alignment": round(float(np.mean([s.alignment for s in best])), 4),
        "best_completeness": round(float(np.mean([s.completeness for s in best])), 4),
        "accepted_total": round(float(np.mean([s.total for s in accepted])), 2) if accepted else None,
        "accepted_alignment": round(float(np.mean([s.alignment for s in accepted])), 4) if accepted else None,
        "accepted_completeness": round(float(np.mean([s.completeness for s in accepted])), 4) if accepted else None,
        "acceptance": round(len(accepted) / max(candidates, 1), 3),
        "candidates": candidates,
        "with_proposal": sum(bool(r.proposals) for r, _ in results.values()),
        "seconds": round(sum(s for _, s in results.values()), 1),
    }


def rows(facts, without: dict, with_examples: dict) -> list[dict]:
    out = []
    for pid in without:
        row = {"product": facts[pid].name, "live": without[pid][0].current_score.total}
        for label, results in (("without", without), ("with", with_examples)):
            result = results[pid][0]
            best = result.proposals[0] if result.proposals else None
            row[label] = {"best": best.score.total if best else None,
                          "origin": best.origin if best else None,
                          "text": best.text if best else None,
                          "example_keys": list(result.example_keys)}
        out.append(row)
    return out


def print_summary(name: str, without: dict, variant: dict) -> None:
    print(f"\n{'':28} {'without':>10} {name:>16}")
    for key in ("best_total", "best_alignment", "best_completeness", "accepted_total",
                "accepted_alignment", "accepted_completeness", "acceptance", "with_proposal",
                "candidates", "seconds"):
        print(f"{key:28} {without[key]!s:>10} {variant['with'][key]!s:>16}")
    rows_ = variant["rows"]
    better = sum(1 for r in rows_ if (r["with"]["best"] or r["live"]) > (r["without"]["best"] or r["live"]))
    worse = sum(1 for r in rows_ if (r["with"]["best"] or r["live"]) < (r["without"]["best"] or r["live"]))
    print(f"products whose best is higher with examples: {better}, lower: {worse}, "
          f"of {len(rows_)}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
