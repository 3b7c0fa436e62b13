"""Simulated experiments with planted conversion rates and a look every day.

Each simulated experiment sends ``shoppers_per_day`` exposed shoppers a day to its arms
at random, each converting with its arm's planted rate, and applies
:func:`.sequential.analyze`'s decision after every day, stopping at the first WINNER or
NO_DIFFERENCE, as the periodic task does in a shop. Thousands of experiments run at
once as numpy arrays. The tests use it to prove the false-positive rate and the power,
the demo to show one experiment, the README's figures come from it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .sequential import NO_DIFFERENCE, RUNNING, WINNER, analyze_arrays


@dataclass(frozen=True)
class SimulationResult:
    """Per simulated experiment: the first decision reached (a code of
    :mod:`.sequential`; RUNNING when none by the last day), the winner (-1 when none)
    and the day it was reached (0 when none)."""

    rates: tuple[float, ...]
    days: int
    shoppers_per_day: int
    decisions: np.ndarray
    winners: np.ndarray
    days_reached: np.ndarray

    @property
    def experiments(self) -> int:
        return len(self.decisions)

    @property
    def winner_share(self) -> float:
        """Share of experiments that declared any winner (control included)."""
        return float(np.mean(self.decisions == WINNER))

    def share_won_by(self, arm: int) -> float:
        return float(np.mean((self.decisions == WINNER) & (self.winners == arm)))

    @property
    def no_difference_share(self) -> float:
        return float(np.mean(self.decisions == NO_DIFFERENCE))

    @property
    def running_share(self) -> float:
        return float(np.mean(self.decisions == RUNNING))

    def standard_error(self, share: float) -> float:
        """The binomial standard error of a share measured over these experiments."""
        return math.sqrt(max(share * (1 - share), 1e-12) / self.experiments)

    def median_day(self, decision: int = WINNER) -> float | None:
        """The median day a decision was reached, among experiments that reached it."""
        days = self.days_reached[self.decisions == decision]
        return float(np.median(days)) if len(days) else None


def simulate(
    rates: Sequence[float],
    *,
    experiments: int = 1000,
    days: int = 30,
    shoppers_per_day: int = 1000,
    minimum_detectable_effect: float = 0.1,
    alpha: float = 0.05,
    baseline_rate: float | None = None,
    seed: int = 0,
) -> SimulationResult:
    """Run ``experiments`` experiments with the planted ``rates`` (control first) and a
    look after each of ``days`` days; ``shoppers_per_day`` exposed shoppers a day are
    split among the arms at random."""
    conversions, exposed = simulate_counts(rates, experiments=experiments, days=days,
                                           shoppers_per_day=shoppers_per_day, seed=seed)
    result = analyze_arrays(conversions, exposed, minimum_detectable_effect=minimum_detectable_effect,
                            alpha=alpha, baseline_rate=baseline_rate)
    decided = result.decision != RUNNING
    reached = decided.any(axis=1)
    first = np.argmax(decided, axis=1)
    index = np.arange(experiments)
    decisions = np.where(reached, result.decision[index, first], RUNNING)
    winners = np.where(reached, result.winner[index, first], -1)
    days_reached = np.where(reached, first + 1, 0)
    return SimulationResult(tuple(float(r) for r in rates), days, shoppers_per_day,
                            decisions, winners, days_reached)


def simulate_counts(rates: Sequence[float], *, experiments: int, days: int,
                    shoppers_per_day: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative (conversions, exposed) per experiment, day and arm: arrays of shape
    (experiments, days, arms)."""
    if len(rates) < 2:
        raise ValueError("rates: the control's and at least one variant's")
    if not all(0 <= r <= 1 for r in rates):
        raise ValueError(f"rates must be between 0 and 1, got {list(rates)}")
    rng = np.random.default_rng(seed)
    arms = len(rates)
    exposed_daily = rng.multinomial(shoppers_per_day, [1 / arms] * arms, size=(experiments, days))
    converted_daily = rng.binomial(exposed_daily, np.asarray(rates, dtype=float))
    return np.cumsum(converted_daily, axis=1), np.cumsum(exposed_daily, axis=1)
