"""The demo's simulated description experiment: shoppers are assigned to the live
description (control) or a rewrite (variant) with :func:`assign_arm`, convert at
planted rates, the always-valid statistics are updated at the end of every day and the
decision is printed with the day it was reached (``saleor-personalization demo``;
``--no-experiment`` skips it, ``--report DIR`` also draws its curve)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np

from ..engine.experiments.assignment import assign_arm
from ..engine.experiments.sequential import (
    ArmCounts,
    Decision,
    analyze,
    exposures_needed,
)

ARM_NAMES = ("control (live description)", "variant (rewrite)")


@dataclass(frozen=True)
class DemoExperiment:
    """The planted truth and the traffic of the simulated experiment."""

    rates: tuple[float, ...] = (0.04, 0.05)  # control 4 %, variant 5 %: +25 %
    visitors_per_day: int = 2500
    traffic_percent: int = 80
    days: int = 28
    minimum_detectable_effect: float = 0.2
    alpha: float = 0.05
    seed: int = 2026
    key: str = "demo-experiment"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-experiment", action="store_true",
                        help="skip the simulated A/B test of a rewritten description")
    parser.add_argument("--report", type=Path, metavar="DIR",
                        help="write the simulated experiment's report.md and experiment.png "
                        "to DIR")


def run(settings: DemoExperiment = DemoExperiment(), *, report_dir: Path | None = None,
        out: TextIO | None = None) -> int:
    """Run and print the simulated experiment; 1 when the report could not be drawn."""
    from ..offline.experiment_report import DailySnapshot, describe

    out = out or sys.stdout
    print("\n== A simulated experiment: the live description against a rewrite ==", file=out)
    planted = settings.rates[1] / settings.rates[0] - 1
    needed = exposures_needed(settings.rates[0], settings.minimum_detectable_effect,
                              alpha=settings.alpha)
    print(f"Planted conversion rates: control {settings.rates[0]:.1%}, variant "
          f"{settings.rates[1]:.1%} ({planted:+.0%}); {settings.visitors_per_day:,} visitors a "
          f"day, {settings.traffic_percent}% of them in the experiment; minimum detectable "
          f"effect {settings.minimum_detectable_effect:+.0%}, alpha {settings.alpha:g} "
          f"(about {needed:,} shoppers per arm for 80% power).", file=out)
    print(f"  {'day':>3}  {'control':>16}  {'variant':>16}  {'uplift [always-valid interval]':<32}"
          "  decision", file=out)
    snapshots = []
    for day, analysis in enumerate(simulate_days(settings), start=1):
        snapshots.append(DailySnapshot(day, analysis))
        print(_day_line(day, analysis), file=out)
        if analysis.decision is not Decision.RUNNING:
            break
    last = snapshots[-1]
    if last.analysis.decision is Decision.RUNNING:
        print(f"No decision by day {last.day}: the experiment keeps running.", file=out)
    else:
        variant = last.analysis.arms[1]
        print(f"Decision on day {last.day}: {describe(last.analysis, ARM_NAMES)} "
              f"(uplift {variant.uplift:+.1%}, interval {_interval(variant)}; "
              f"the planted uplift is {planted:+.0%}).", file=out)
    if report_dir is not None:
        return write_report(snapshots, report_dir, out)
    return 0


def simulate_days(settings: DemoExperiment):
    """The analysis at the end of each day: every visitor is assigned with
    :func:`assign_arm` (outsiders are not counted) and converts at their arm's rate."""
    rng = np.random.default_rng(settings.seed)
    exposed = [0] * len(settings.rates)
    converted = [0] * len(settings.rates)
    for day in range(1, settings.days + 1):
        for visitor in range(settings.visitors_per_day):
            arm = assign_arm(settings.key, f"anon-{day}-{visitor}", len(settings.rates),
                             settings.traffic_percent)
            if arm is None:
                continue
            exposed[arm] += 1
            converted[arm] += bool(rng.random() < settings.rates[arm])
        yield analyze([ArmCounts(e, c) for e, c in zip(exposed, converted)],
                      minimum_detectable_effect=settings.minimum_detectable_effect,
                      alpha=settings.alpha, baseline_rate=settings.rates[0])


def write_report(snapshots: Sequence, report_dir: Path, out: TextIO) -> int:
    from ..offline.experiment_report import write_experiment_report

    try:
        markdown, chart = write_experiment_report(
            snapshots, report_dir, title="Simulated experiment: live description vs rewrite",
            arm_names=ARM_NAMES)
    except ModuleNotFoundError as exc:
        print(f"error: report: {exc}", file=sys.stderr)
        return 1
    print(f"Report: {markdown} and {chart}", file=out)
    return 0


def _day_line(day: int, analysis) -> str:
    control, variant = analysis.arms[0], analysis.arms[1]
    uplift = (f"{variant.uplift:+6.1%} {_interval(variant)}" if variant.uplift is not None
              else "-")
    decision = analysis.decision.value.replace("_", " ")
    if analysis.decision is Decision.WINNER:
        decision = f"winner: {'variant' if analysis.winner else 'control'}"
    return (f"  {day:>3}  {_arm(control):>16}  {_arm(variant):>16}  {uplift:<32}  {decision}")


def _arm(arm) -> str:
    return f"{arm.conversions}/{arm.exposed} {arm.rate:.2%}"


def _interval(arm) -> str:
    high = "∞" if arm.uplift_high is None else f"{arm.uplift_high:+.1%}"
    low = "-" if arm.uplift_low is None else f"{arm.uplift_low:+.1%}"
    return f"[{low}, {high}]"
