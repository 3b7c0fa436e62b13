"""The statistics proved by simulation: thousands of experiments, a look every day.

Shares are compared with their target allowing sampling error only in the honest
direction (two standard errors of the measured share); run with ``-s`` to see the
measured figures.
"""

import numpy as np
import pytest
from saleor_personalization.engine.experiments.sequential import analyze_arrays, exposures_needed
from saleor_personalization.engine.experiments.simulation import simulate, simulate_counts

ALPHA = 0.05
EXPERIMENTS = 2000
DAYS = 30


@pytest.mark.parametrize("rates, shoppers_per_day, mde, baseline", [
    ((0.04, 0.04), 1000, 0.25, 0.04),
    ((0.04, 0.04), 1000, 0.25, None),  # mixture from the observed control rate
    ((0.04, 0.04), 200, 0.25, 0.04),   # little traffic: the approximation's hardest case
    ((0.04, 0.04, 0.04), 1500, 0.25, 0.04),
    ((0.3, 0.3), 1000, 0.05, 0.3),
])
def test_without_a_true_difference_at_most_alpha_of_experiments_declare_a_winner(
        rates, shoppers_per_day, mde, baseline):
    result = simulate(rates, experiments=EXPERIMENTS, days=DAYS, shoppers_per_day=shoppers_per_day,
                      minimum_detectable_effect=mde, alpha=ALPHA, baseline_rate=baseline, seed=11)
    share = result.winner_share
    print(f"\nno difference {rates}, {shoppers_per_day}/day, mde {mde}: false winners "
          f"{share:.4f} ± {result.standard_error(share):.4f} over {EXPERIMENTS} experiments")
    assert share <= ALPHA + 2 * result.standard_error(share)


@pytest.mark.parametrize("baseline, mde, variants", [(0.04, 0.25, 1), (0.1, 0.2, 1), (0.04, 0.25, 2)])
def test_a_planted_uplift_is_found_with_the_stated_power(baseline, mde, variants):
    needed = exposures_needed(baseline, mde, variants=variants)
    arms = variants + 1
    rates = [baseline] * variants + [baseline * (1 + mde)]
    per_day = int(np.ceil(needed * arms / DAYS))
    result = simulate(rates, experiments=EXPERIMENTS, days=DAYS, shoppers_per_day=per_day,
                      minimum_detectable_effect=mde, alpha=ALPHA, baseline_rate=baseline, seed=12)
    power = result.share_won_by(variants)
    print(f"\nuplift {mde:+.0%} on {baseline:.0%}, {variants} variant(s): {needed} shoppers/arm "
          f"stated for 80 %; found {power:.4f} ± {result.standard_error(power):.4f}, "
          f"median day {result.median_day()}")
    assert power >= 0.8 - 2 * result.standard_error(power)
    assert result.share_won_by(0) == 0.0


def test_a_worse_variant_makes_the_control_win():
    result = simulate((0.05, 0.04), experiments=500, days=DAYS, shoppers_per_day=1000,
                      minimum_detectable_effect=0.2, baseline_rate=0.05, seed=13)
    assert result.share_won_by(0) > 0.8
    assert result.share_won_by(1) == 0.0


@pytest.mark.parametrize("rates", [(0.3, 0.3), (0.3, 0.303)])  # none, and a 1 % uplift
def test_no_difference_is_reached_with_enough_data(rates):
    result = simulate(rates, experiments=500, days=DAYS, shoppers_per_day=2000,
                      minimum_detectable_effect=0.1, baseline_rate=0.3, seed=14)
    print(f"\n{rates}: no difference in {result.no_difference_share:.3f}, "
          f"median day {result.median_day(2)}")
    assert result.no_difference_share >= 0.9
    assert result.winner_share <= ALPHA


def test_the_intervals_cover_the_truth_at_every_look():
    rates = (0.04, 0.05)
    conversions, exposed = simulate_counts(rates, experiments=EXPERIMENTS, days=DAYS,
                                           shoppers_per_day=1000, seed=15)
    analysis = analyze_arrays(conversions, exposed, minimum_detectable_effect=0.25,
                              baseline_rate=0.04, alpha=ALPHA)
    uplift, difference = 0.25, 0.01
    missed_uplift = ((analysis.uplift_low[..., 0] > uplift)
                     | (analysis.uplift_high[..., 0] < uplift)).any(axis=1).mean()
    missed_difference = ((analysis.difference_low[..., 0] > difference)
                         | (analysis.difference_high[..., 0] < difference)).any(axis=1).mean()
    se = np.sqrt(ALPHA * (1 - ALPHA) / EXPERIMENTS)
    print(f"\never missed over {DAYS} daily looks: uplift {missed_uplift:.4f}, "
          f"difference {missed_difference:.4f}")
    assert missed_uplift <= ALPHA + 2 * se
    assert missed_difference <= ALPHA + 2 * se


def test_a_simulation_reports_the_day_each_decision_was_reached():
    result = simulate((0.04, 0.08), experiments=200, days=DAYS, shoppers_per_day=1000,
                      minimum_detectable_effect=0.25, baseline_rate=0.04, seed=16)
    won = result.decisions == 1
    assert won.mean() > 0.9
    assert ((result.days_reached[won] >= 1) & (result.days_reached[won] <= DAYS)).all()
    assert (result.days_reached[~won & (result.decisions == 0)] == 0).all()
    assert 1 <= result.median_day() < DAYS
