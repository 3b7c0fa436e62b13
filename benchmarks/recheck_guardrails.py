"""Re-run today's guardrails on the candidates a rewriting benchmark stored.

``bench_rewrite.py --json FILE`` keeps every candidate's text and verdict, but not the
products' attributes; those come from a facts file (a JSON list of ``{"name",
"category", "attributes", "description"}``, one per product, e.g. written with
``--dump-facts`` inside Saleor's environment). Prints how many candidates passed then
and now, and lists each candidate whose verdict changed, so a new rule can be judged on
real model output without generating again::

    python benchmarks/recheck_guardrails.py --bench populatedb.json --facts facts.json
    DATABASE_URL=... SALEOR_DIR=... python benchmarks/recheck_guardrails.py \\
        --dump-facts facts.json          # in Saleor's venv: the shop's products
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent


def dump_facts(path: str) -> None:
    sys.path.insert(0, str(HERE))
    import bench_rewrite

    facts = bench_rewrite.saleor_shop_products()
    rows = [{"name": f.name, "category": f.category,
             "attributes": {k: list(v) for k, v in f.attributes.items()},
             "description": f.description, "language": f.language} for f in facts]
    Path(path).write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"{len(rows)} products written to {path}")


def recheck(bench: dict, facts: list[dict]) -> dict:
    from saleor_personalization.engine.content.guardrails import check

    by_name = {f["name"]: f for f in facts}
    rows = bench.get("rewriting", bench)["rows"]
    descriptions = [f.get("description", "") for f in facts]
    before = after = total = 0
    # A proposal: accepted and scoring better than the current text (scores do not change
    # here, so a candidate stays a proposal when it was one and still passes).
    proposals_before: set[str] = set()
    proposals_after: set[str] = set()
    rules: Counter[str] = Counter()
    changed = []
    for row in rows:
        product = by_name.get(row["product"], {"name": row["product"], "category": "",
                                                "attributes": {}})
        source = row["current_text"]
        others = [d for d in descriptions if d and d != source]
        for candidate in row["texts"]:
            total += 1
            report = check(source, candidate["text"], product["attributes"], "en",
                           other_products=others,
                           context=[product["name"], product["category"]])
            before += bool(candidate["accepted"])
            after += report.accepted
            if candidate.get("proposal"):
                proposals_before.add(row["product"])
                if report.accepted:
                    proposals_after.add(row["product"])
            rules.update({v.rule for v in report.violations})
            if report.accepted != bool(candidate["accepted"]):
                changed.append({
                    "product": row["product"], "origin": candidate["origin"],
                    "before": bool(candidate["accepted"]), "after": report.accepted,
                    "text": candidate["text"],
                    "violations": [v.detail for v in report.violations
                                   if not any(v.rule == o["rule"]
                                              for o in candidate["violations"])],
                })
    return {"candidates": total, "passed_before": before, "passed_after": after,
            "products": len(rows), "with_proposal_before": len(proposals_before),
            "with_proposal_after": len(proposals_after),
            "rules_after": dict(rules.most_common()), "changed": changed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", help="a bench_rewrite.py --json file")
    parser.add_argument("--facts", help="the products' facts (JSON list)")
    parser.add_argument("--dump-facts", help="write the Saleor shop's products here and stop")
    parser.add_argument("--json", help="write the result here")
    args = parser.parse_args()
    if args.dump_facts:
        dump_facts(args.dump_facts)
        return
    if not (args.bench and args.facts):
        parser.error("--bench and --facts are needed (or --dump-facts)")
    bench = json.loads(Path(args.bench).read_text(encoding="utf-8"))
    facts = json.loads(Path(args.facts).read_text(encoding="utf-8"))
    result = recheck(bench, facts)
    for item in result["changed"]:
        mark = "now passes" if item["after"] else "now fails"
        print(f"[{mark}] {item['product']} ({item['origin']}): {item['text'][:160]!r}")
        for detail in item["violations"][:4]:
            print(f"      {detail}")
    print(f"candidates passing every guardrail: before {result['passed_before']}"
          f"/{result['candidates']}, after {result['passed_after']}/{result['candidates']}")
    print(f"products with a proposal (accepted, better-scoring): before "
          f"{result['with_proposal_before']}/{result['products']}, after "
          f"{result['with_proposal_after']}/{result['products']}")
    print(f"rules rejecting candidates now: {result['rules_after']}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, ensure_ascii=False, indent=1),
                                   encoding="utf-8")


if __name__ == "__main__":
    main()
