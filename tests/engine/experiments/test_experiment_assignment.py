"""Sticky, deterministic assignment that respects the traffic share and the split."""

import pytest
from saleor_personalization.engine.experiments.assignment import assign_arm
from scipy.stats import binomtest, chisquare

SHOPPERS = [f"anon-{i}" for i in range(100_000)]


def test_the_same_shopper_always_gets_the_same_arm():
    first = [assign_arm("exp-1", key, 3, 100) for key in SHOPPERS[:2000]]
    again = [assign_arm("exp-1", key, 3, 100) for key in SHOPPERS[:2000]]
    assert first == again
    assert set(first) == {0, 1, 2}


def test_assignment_depends_on_the_experiment():
    one = [assign_arm("exp-1", key, 2, 100) for key in SHOPPERS[:2000]]
    two = [assign_arm("exp-2", key, 2, 100) for key in SHOPPERS[:2000]]
    agreement = sum(a == b for a, b in zip(one, two)) / len(one)
    assert 0.45 < agreement < 0.55  # independent coins agree half the time


@pytest.mark.parametrize("arms", [2, 3])
def test_the_split_is_even_among_shoppers_inside_the_traffic(arms):
    counts = [0] * arms
    for key in SHOPPERS:
        arm = assign_arm("exp-split", key, arms, 100)
        counts[arm] += 1
    result = chisquare(counts)
    print(f"arms {arms}: {counts}, chi-square p = {result.pvalue:.3f}")
    assert result.pvalue > 0.01


def test_shoppers_outside_the_traffic_get_none_in_the_configured_share():
    arms = [assign_arm("exp-traffic", key, 2, 30) for key in SHOPPERS]
    inside = [a for a in arms if a is not None]
    test = binomtest(len(inside), len(arms), 0.30)
    print(f"inside: {len(inside)} of {len(arms)}, p = {test.pvalue:.3f}")
    assert test.pvalue > 0.01
    assert chisquare([inside.count(0), inside.count(1)]).pvalue > 0.01


def test_raising_the_traffic_moves_shoppers_in_but_never_between_arms():
    low = {key: assign_arm("exp-grow", key, 2, 20) for key in SHOPPERS[:5000]}
    high = {key: assign_arm("exp-grow", key, 2, 60) for key in SHOPPERS[:5000]}
    kept = [key for key, arm in low.items() if arm is not None]
    assert kept and all(high[key] == low[key] for key in kept)
    assert sum(a is not None for a in high.values()) > len(kept)


def test_edges_of_the_traffic_and_bad_arguments():
    assert {assign_arm("e", key, 2, 0) for key in SHOPPERS[:500]} == {None}
    assert None not in {assign_arm("e", key, 2, 100) for key in SHOPPERS[:500]}
    assert {assign_arm("e", key, 1, 100) for key in SHOPPERS[:100]} == {0}
    assert assign_arm("e", "", 2, 100) is None  # a shopper we cannot recognise again
    with pytest.raises(ValueError, match="arm_count"):
        assign_arm("e", "s", 0, 100)
    with pytest.raises(ValueError, match="traffic_percent"):
        assign_arm("e", "s", 2, 101)
