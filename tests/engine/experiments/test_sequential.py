"""The always-valid analysis of one experiment: numbers, decisions, edge cases."""

import pytest
from saleor_personalization.engine.experiments.sequential import (
    ArmCounts,
    Decision,
    analyze,
    exposures_needed,
    rate_interval,
)


def test_rates_uplift_and_an_interval_around_it():
    analysis = analyze([ArmCounts(20_000, 800), ArmCounts(20_000, 1000)],
                       minimum_detectable_effect=0.2, baseline_rate=0.04)
    control, variant = analysis.arms
    assert (control.arm, control.rate, control.uplift, control.p_value) == (0, 0.04, None, None)
    assert (variant.arm, variant.exposed, variant.conversions, variant.rate) == (1, 20_000, 1000, 0.05)
    assert variant.uplift == pytest.approx(0.25)
    assert 0 < variant.uplift_low < 0.25 < variant.uplift_high < 0.6
    assert analysis.decision is Decision.WINNER and analysis.winner == 1
    assert variant.p_value <= analysis.alpha
    assert (analysis.alpha, analysis.minimum_detectable_effect) == (0.05, 0.2)


def test_too_little_data_keeps_running_with_a_wide_interval():
    analysis = analyze([ArmCounts(500, 20), ArmCounts(500, 30)], minimum_detectable_effect=0.2)
    variant = analysis.arms[1]
    assert analysis.decision is Decision.RUNNING and analysis.winner is None
    assert variant.uplift_low < 0 < variant.uplift_high
    assert variant.p_value > analysis.alpha


def test_the_control_wins_when_every_variant_is_worse():
    analysis = analyze([ArmCounts(20_000, 1000), ArmCounts(20_000, 750), ArmCounts(20_000, 700)],
                       minimum_detectable_effect=0.2, baseline_rate=0.05)
    assert analysis.decision is Decision.WINNER and analysis.winner == 0
    assert all(arm.uplift_high < 0 for arm in analysis.arms[1:])


def test_of_two_better_variants_the_surer_one_wins():
    analysis = analyze([ArmCounts(30_000, 1200), ArmCounts(30_000, 1500), ArmCounts(30_000, 1700)],
                       minimum_detectable_effect=0.2, baseline_rate=0.04)
    assert analysis.decision is Decision.WINNER and analysis.winner == 2


def test_no_difference_once_the_interval_excludes_the_minimum_detectable_effect():
    analysis = analyze([ArmCounts(200_000, 60_000), ArmCounts(200_000, 60_100)],
                       minimum_detectable_effect=0.05, baseline_rate=0.3)
    variant = analysis.arms[1]
    assert -0.05 < variant.uplift_low < 0 < variant.uplift_high < 0.05
    assert analysis.decision is Decision.NO_DIFFERENCE and analysis.winner is None


def test_more_variants_mean_wider_intervals_bonferroni():
    two = analyze([ArmCounts(5000, 200), ArmCounts(5000, 240)])
    three = analyze([ArmCounts(5000, 200), ArmCounts(5000, 240), ArmCounts(5000, 200)])
    assert three.arms[1].uplift_low < two.arms[1].uplift_low
    assert three.arms[1].uplift_high > two.arms[1].uplift_high
    assert three.arms[1].p_value > two.arms[1].p_value


def test_the_uplift_interval_agrees_in_sign_with_the_decision():
    for conversions in range(150, 260, 10):
        analysis = analyze([ArmCounts(5000, 200), ArmCounts(5000, conversions)],
                           baseline_rate=0.04)
        variant = analysis.arms[1]
        winner = analysis.decision is Decision.WINNER
        assert winner == (variant.uplift_low > 0 or variant.uplift_high < 0)
        assert winner == (variant.p_value <= 0.05)


def test_arms_without_data_have_no_uplift_or_interval():
    analysis = analyze([ArmCounts(0, 0), ArmCounts(10, 1)])
    assert analysis.decision is Decision.RUNNING
    assert analysis.arms[1].uplift is analysis.arms[1].uplift_low is None
    assert analysis.arms[0].rate == 0.0
    # A control without a conversion: no uplift and no upper bound yet.
    early = analyze([ArmCounts(100, 0), ArmCounts(100, 3)])
    assert early.decision is Decision.RUNNING
    assert early.arms[1].uplift is None and early.arms[1].uplift_high is None
    assert early.arms[1].uplift_low == -1.0


@pytest.mark.parametrize("arms, options, message", [
    ([ArmCounts(10, 1)], {}, "at least one variant"),
    ([ArmCounts(10, 1), ArmCounts(10, 11)], {}, "arm 1: conversions"),
    ([ArmCounts(10, 1), ArmCounts(10, 1)], {"minimum_detectable_effect": 0}, "minimum_detectable"),
    ([ArmCounts(10, 1), ArmCounts(10, 1)], {"alpha": 1.5}, "alpha"),
    ([ArmCounts(10, 1), ArmCounts(10, 1)], {"baseline_rate": 0}, "baseline_rate"),
])
def test_bad_input_is_refused_with_what_was_expected(arms, options, message):
    with pytest.raises(ValueError, match=message):
        analyze(arms, **options)


def test_the_control_rate_interval_is_exact_and_covers_the_estimate():
    low, high = rate_interval([0, 40, 10], [0, 1000, 10], 0.05)
    assert (low[0], high[0]) == (0.0, 1.0)  # no data
    assert low[1] < 0.04 < high[1]
    assert low[2] > 0.5 and high[2] == 1.0  # 10 of 10


def test_exposures_needed_grow_for_smaller_effects_rates_and_more_variants():
    base = exposures_needed(0.04, 0.25)
    assert 5_000 < base < 40_000
    assert exposures_needed(0.04, 0.1) > 4 * base
    assert exposures_needed(0.1, 0.25) < base
    assert exposures_needed(0.04, 0.25, variants=2) > base
    assert exposures_needed(0.04, 0.25, power=0.9) > base
    with pytest.raises(ValueError, match="baseline_rate"):
        exposures_needed(0, 0.1)
