"""The experiment statistics by simulation: false-positive rate without a true
difference, power with a planted uplift, and the day decisions are reached, with a
look every day (the README's figures).

A benchmark, not a test: it prints figures.

    python benchmarks/bench_experiments.py [--experiments 4000] [--days 30] [--seed 1]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from saleor_personalization.engine.experiments.sequential import exposures_needed
    from saleor_personalization.engine.experiments.simulation import simulate

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--experiments", type=int, default=4000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    print(f"{args.experiments} experiments each, {args.days} daily looks, alpha 0.05")
    print(f"{'planted rates':<20} {'per day':>8} {'mde':>5} {'winner share':>16} "
          f"{'no difference':>14} {'median day':>10}")
    cases = [((0.04, 0.04), 1000, 0.25), ((0.04, 0.04), 200, 0.25),
             ((0.04, 0.04, 0.04), 1500, 0.25), ((0.3, 0.3), 1000, 0.05),
             ((0.04, 0.05), 1000, 0.25), ((0.04, 0.046), 1000, 0.25)]
    for baseline, mde, variants in [(0.04, 0.25, 1), (0.1, 0.2, 1), (0.04, 0.25, 2)]:
        needed = exposures_needed(baseline, mde, variants=variants)
        per_day = -(-needed * (variants + 1) // args.days)
        cases.append(((baseline,) * variants + (baseline * (1 + mde),), per_day, mde))
    for rates, per_day, mde in cases:
        result = simulate(rates, experiments=args.experiments, days=args.days,
                          shoppers_per_day=per_day, minimum_detectable_effect=mde,
                          baseline_rate=rates[0], seed=args.seed)
        share = result.winner_share
        label = "/".join(f"{r:.3g}" for r in rates)
        print(f"{label:<20} {per_day:>8} {mde:>5g} {share:>8.4f} ± {result.standard_error(share):.4f} "
              f"{result.no_difference_share:>14.4f} {result.median_day() or '-':>10}")
    for baseline, mde in [(0.04, 0.1), (0.04, 0.25), (0.1, 0.2), (0.3, 0.05)]:
        print(f"exposures per arm for 80% power: baseline {baseline:.0%}, mde {mde:+.0%}: "
              f"{exposures_needed(baseline, mde):,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
