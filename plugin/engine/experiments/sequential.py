"""Always-valid statistics for description experiments: safe to look at after every
exposure, every day, as often as staff like.

The test is the mixture sequential probability ratio test (mSPRT) of Johari, Pekelis and
Walsh, "Always valid inference: continuous monitoring of A/B tests" (2017; the method of
Optimizely's stats engine), for the difference of two conversion rates:

- each variant is compared with the control (arm 0); the difference of the rates is
  estimated with Agresti-Caffo's adjustment (one conversion and one non-conversion
  added to each arm), which keeps the variance away from zero while few shoppers
  have converted;
- under a normal approximation, the likelihood ratio of "difference = theta" mixed over
  a normal distribution N(0, tau^2) of differences has a closed form; by Ville's
  inequality the probability that it *ever* reaches 1/alpha under the null is at most
  alpha, so the decision stays valid however often it is checked; inverting it gives a
  confidence sequence, an interval that covers the true difference at every look
  at once;
- tau^2 is the absolute minimum detectable effect squared: ``(mde * baseline)^2``, so
  the mixture puts its weight where the effects the merchant cares about are;
- several variants against one control: Bonferroni (alpha / number of variants each);
- the relative uplift interval is the difference's interval divided by the control
  rate's own always-valid interval (an exact beta-binomial mixture martingale), taking
  the least favourable end of each: of each comparison's alpha, 90 % goes to the
  difference and 10 % to the control rate, so the uplift interval covers the truth with
  the stated confidence and is never narrower than the data allow (no delta-method
  approximation); its sign always agrees with the difference's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

import numpy as np
from scipy.special import betaln

DIFFERENCE_SHARE = 0.9  # of each comparison's alpha; the rest bounds the control rate
MIN_BASELINE = 1e-4
_BISECTIONS = 60

# Decision codes of the vectorised core.
RUNNING, WINNER, NO_DIFFERENCE = 0, 1, 2


class Decision(str, Enum):
    RUNNING = "running"
    WINNER = "winner"
    NO_DIFFERENCE = "no_difference"
    STOPPED = "stopped"


@dataclass(frozen=True)
class ArmCounts:
    exposed: int        # shoppers exposed to the arm
    conversions: int    # of them, shoppers who converted (counted once per shopper)


@dataclass(frozen=True)
class ArmStatistics:
    arm: int
    exposed: int
    conversions: int
    rate: float                 # conversions / exposed (0.0 when none exposed)
    uplift: float | None        # relative to control: rate / control_rate - 1 (None for the control or without data)
    uplift_low: float | None    # always-valid confidence interval of the relative uplift
    uplift_high: float | None   # (None: unbounded, e.g. while the control has no conversion)
    p_value: float | None       # always-valid p-value against the control, Bonferroni-adjusted (None for the control)


@dataclass(frozen=True)
class Analysis:
    decision: Decision          # RUNNING, WINNER or NO_DIFFERENCE (STOPPED is set by the caller)
    winner: int | None          # arm index of the winner (may be 0 = control, when every variant is worse)
    arms: tuple[ArmStatistics, ...]
    alpha: float
    minimum_detectable_effect: float


def analyze(arms: Sequence[ArmCounts], *, minimum_detectable_effect: float = 0.1,
            alpha: float = 0.05, baseline_rate: float | None = None) -> Analysis:
    """Always-valid analysis (mSPRT / confidence sequences) safe to call after every
    exposure; arms[0] is the control. minimum_detectable_effect is relative (0.1 = +10%).

    - WINNER: a variant's uplift interval lies above 0 (the one with the highest lower
      bound wins), or every variant's lies below 0 (the control wins);
    - NO_DIFFERENCE: no variant can beat the control by the mde any more: every
      variant's uplift interval lies within (-mde, +mde) or below 0;
    - RUNNING otherwise.

    ``baseline_rate`` (the control's expected conversion rate) sets the mixing variance;
    fix it when the experiment starts (e.g. the product's past rate) for the guarantee
    to hold exactly. Without it the control's observed (adjusted) rate is used, which
    moves the mixture a little with the data.
    """
    _validate(arms, minimum_detectable_effect, alpha, baseline_rate)
    conversions = np.array([a.conversions for a in arms], dtype=float)
    exposed = np.array([a.exposed for a in arms], dtype=float)
    result = analyze_arrays(conversions, exposed, minimum_detectable_effect=minimum_detectable_effect,
                            alpha=alpha, baseline_rate=baseline_rate)
    stats = [_arm_statistics(0, arms[0], None, None, None, None)]
    for index, counts in enumerate(arms[1:], start=1):
        i = index - 1
        stats.append(_arm_statistics(
            index, counts, arms[0], _finite(result.uplift_low[i]), _finite(result.uplift_high[i]),
            float(result.p_value[i])))
    code = int(result.decision)
    decision = {RUNNING: Decision.RUNNING, WINNER: Decision.WINNER,
                NO_DIFFERENCE: Decision.NO_DIFFERENCE}[code]
    winner = int(result.winner) if code == WINNER else None
    return Analysis(decision, winner, tuple(stats), alpha, minimum_detectable_effect)


@dataclass(frozen=True)
class ArrayAnalysis:
    """:func:`analyze_arrays`' result; the last axis of the per-variant arrays is the
    variant (arm 1.., so index 0 is arm 1)."""

    decision: np.ndarray      # RUNNING / WINNER / NO_DIFFERENCE codes
    winner: np.ndarray        # winning arm, -1 without a winner
    difference_low: np.ndarray
    difference_high: np.ndarray
    uplift_low: np.ndarray    # -1 .. inf
    uplift_high: np.ndarray
    p_value: np.ndarray


def analyze_arrays(conversions: np.ndarray, exposed: np.ndarray, *,
                   minimum_detectable_effect: float = 0.1, alpha: float = 0.05,
                   baseline_rate: float | None = None) -> ArrayAnalysis:
    """:func:`analyze` over many experiments (or days) at once: ``conversions`` and
    ``exposed`` have the arms on their last axis, control first; any leading axes are
    kept. The simulations use this; :func:`analyze` is it on one experiment."""
    conversions = np.asarray(conversions, dtype=float)
    exposed = np.asarray(exposed, dtype=float)
    variants = conversions.shape[-1] - 1
    level = alpha / variants
    s0, n0 = conversions[..., :1], exposed[..., :1]
    s1, n1 = conversions[..., 1:], exposed[..., 1:]
    if baseline_rate is None:
        baseline = (s0 + 1) / (n0 + 2)
    else:
        baseline = np.full_like(s0, baseline_rate)
    tau2 = mixing_variance(baseline, minimum_detectable_effect)
    center, variance = _adjusted_difference(s0, n0, s1, n1)
    half = _half_width(variance, tau2, level * DIFFERENCE_SHARE)
    no_data = (n0 == 0) | (n1 == 0)
    half = np.where(no_data, np.inf, half)
    low, high = center - half, center + half
    log_lr = np.where(no_data, 0.0, _log_likelihood_ratio(center, variance, tau2))
    p_value = np.minimum(1.0, variants / DIFFERENCE_SHARE * np.exp(-log_lr))
    control_low, control_high = rate_interval(s0, n0, level * (1 - DIFFERENCE_SHARE))
    uplift_low, uplift_high = _relative(low, high, control_low, control_high)

    mde = minimum_detectable_effect
    better = low > 0
    worse = high < 0
    equivalent = (uplift_low > -mde) & (uplift_high < mde)
    any_better = better.any(axis=-1)
    all_worse = worse.all(axis=-1)
    settled = ((equivalent | worse).all(axis=-1)) & ~all_worse
    best = np.argmax(np.where(better, low, -np.inf), axis=-1) + 1
    winner = np.where(any_better, best, np.where(all_worse, 0, -1))
    decision = np.where(winner >= 0, WINNER, np.where(settled, NO_DIFFERENCE, RUNNING))
    return ArrayAnalysis(decision, winner, low, high, uplift_low, uplift_high, p_value)


def mixing_variance(baseline_rate: float | np.ndarray, minimum_detectable_effect: float):
    """tau^2 of the normal mixture: the absolute minimum detectable effect, squared."""
    baseline = np.maximum(baseline_rate, MIN_BASELINE)
    return (minimum_detectable_effect * baseline) ** 2


def rate_interval(conversions: np.ndarray, exposed: np.ndarray,
                  alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """An always-valid confidence sequence for one conversion rate: the rates p at which
    the beta-binomial mixture martingale (uniform prior) stays below 1/alpha. Exact,
    with no normal approximation; [0, 1] without data."""
    s = np.asarray(conversions, dtype=float)
    n = np.asarray(exposed, dtype=float)
    limit = np.log(1 / alpha)
    log_marginal = betaln(s + 1, n - s + 1)
    estimate = np.where(n > 0, s / np.maximum(n, 1), 0.5)

    def inside(p: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            log_likelihood = (np.where(s > 0, s * np.log(p), 0.0)
                              + np.where(n - s > 0, (n - s) * np.log1p(-p), 0.0))
        return log_marginal - log_likelihood < limit

    def bisect(outside: np.ndarray, inner: np.ndarray) -> np.ndarray:
        for _ in range(_BISECTIONS):
            middle = (outside + inner) / 2
            ok = inside(middle)
            inner = np.where(ok, middle, inner)
            outside = np.where(ok, outside, middle)
        return inner

    low = np.where(inside(np.zeros_like(estimate)), 0.0,
                   bisect(np.zeros_like(estimate), estimate.copy()))
    high = np.where(inside(np.ones_like(estimate)), 1.0,
                    bisect(np.ones_like(estimate), estimate.copy()))
    return low, high


def exposures_needed(baseline_rate: float, minimum_detectable_effect: float, *,
                     alpha: float = 0.05, power: float = 0.8, variants: int = 1) -> int:
    """Roughly how many exposed shoppers per arm this sequential test needs to find a
    true uplift of ``minimum_detectable_effect`` with probability ``power``.

    It is the smallest n at which a single look at n shoppers per arm rejects with that
    probability (normal approximation); checking every day can only reject earlier, so
    this is an upper bound of the exposures needed (the simulations measure the real
    figure). The caller shows it beside a running experiment.
    """
    if not 0 < baseline_rate < 1:
        raise ValueError(f"baseline_rate must be between 0 and 1, got {baseline_rate}")
    if minimum_detectable_effect <= 0:
        raise ValueError(f"minimum_detectable_effect must be positive, got {minimum_detectable_effect}")
    if not 0 < power < 1:
        raise ValueError(f"power must be between 0 and 1, got {power}")
    if variants < 1:
        raise ValueError(f"variants must be at least 1, got {variants}")
    from scipy.stats import norm

    p0 = baseline_rate
    p1 = min(p0 * (1 + minimum_detectable_effect), 1 - 1e-9)
    effect = p1 - p0
    tau2 = float(mixing_variance(p0, minimum_detectable_effect))
    level = alpha / variants * DIFFERENCE_SHARE
    target = float(norm.ppf(power))

    def reaches(n: float) -> bool:
        variance = (p0 * (1 - p0) + p1 * (1 - p1)) / n
        half = float(_half_width(np.array(variance), tau2, level))
        return (effect - half) / math.sqrt(variance) >= target

    low, high = 1, 2
    while not reaches(high):
        low, high = high, high * 2
        if high > 10**12:
            raise ValueError("the effect is too small to detect with any realistic traffic")
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if reaches(middle) else (middle, high)
    return high


def _adjusted_difference(s0, n0, s1, n1):
    rate0 = (s0 + 1) / (n0 + 2)
    rate1 = (s1 + 1) / (n1 + 2)
    variance = rate0 * (1 - rate0) / (n0 + 2) + rate1 * (1 - rate1) / (n1 + 2)
    return rate1 - rate0, variance


def _log_likelihood_ratio(center, variance, tau2):
    """log of the mixture likelihood ratio of "difference = 0" against N(0, tau^2)."""
    return (0.5 * np.log(variance / (variance + tau2))
            + tau2 * center**2 / (2 * variance * (variance + tau2)))


def _half_width(variance, tau2, alpha: float):
    """Half the width of the confidence sequence: the differences theta whose mixture
    likelihood ratio stays below 1/alpha."""
    return np.sqrt(2 * variance * (variance + tau2) / tau2
                   * (np.log(1 / alpha) + 0.5 * np.log((variance + tau2) / variance)))


def _relative(low, high, control_low, control_high):
    """The uplift interval: the least favourable ratio of the difference's interval to
    the control rate's."""
    with np.errstate(divide="ignore", invalid="ignore"):
        uplift_low = np.where(low >= 0, low / control_high,
                             np.where(control_low > 0, low / control_low, -np.inf))
        uplift_high = np.where(high >= 0, np.where(control_low > 0, high / control_low, np.inf),
                              high / control_high)
    uplift_low = np.where(np.isnan(uplift_low), -np.inf, uplift_low)
    uplift_high = np.where(np.isnan(uplift_high), np.inf, uplift_high)
    # A rate is never negative: the uplift is never below -100 %.
    return np.maximum(uplift_low, -1.0), np.maximum(uplift_high, -1.0)


def _arm_statistics(index: int, counts: ArmCounts, control: ArmCounts | None,
                    low: float | None, high: float | None,
                    p_value: float | None) -> ArmStatistics:
    rate = counts.conversions / counts.exposed if counts.exposed else 0.0
    uplift = None
    if control is not None and control.exposed and control.conversions and counts.exposed:
        uplift = rate / (control.conversions / control.exposed) - 1
    if control is not None and not (control.exposed and counts.exposed):
        low = high = None
    return ArmStatistics(index, counts.exposed, counts.conversions, rate, uplift, low, high,
                         p_value)


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _validate(arms: Sequence[ArmCounts], mde: float, alpha: float,
              baseline_rate: float | None) -> None:
    if len(arms) < 2:
        raise ValueError(f"an experiment needs the control and at least one variant, got {len(arms)} arm(s)")
    for index, counts in enumerate(arms):
        if counts.exposed < 0 or not 0 <= counts.conversions <= counts.exposed:
            raise ValueError(f"arm {index}: conversions must be between 0 and exposed "
                             f"({counts.conversions} of {counts.exposed})")
    if mde <= 0:
        raise ValueError(f"minimum_detectable_effect must be positive, got {mde}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
    if baseline_rate is not None and not 0 < baseline_rate < 1:
        raise ValueError(f"baseline_rate must be between 0 and 1, got {baseline_rate}")
