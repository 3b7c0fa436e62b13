"""The demo's simulated experiment: assignment, daily statistics, the decision day."""

import argparse
import io
import re

import pytest
from saleor_personalization.cli import demo_experiment
from saleor_personalization.cli.demo_experiment import DemoExperiment, run, simulate_days
from saleor_personalization.cli.main import main
from saleor_personalization.engine.experiments.sequential import Decision


def test_the_experiment_prints_each_day_and_the_decision_with_its_day(tmp_path):
    out = io.StringIO()
    assert run(report_dir=tmp_path / "report", out=out) == 0
    text = out.getvalue()
    days = re.findall(r"^\s+(\d+)\s+\d+/\d+ ", text, re.MULTILINE)
    decision = re.search(r"Decision on day (\d+): winner: variant \(rewrite\)", text)
    assert decision, text
    assert days == [str(d) for d in range(1, int(decision.group(1)) + 1)]
    assert "Planted conversion rates: control 4.0%, variant 5.0% (+25%)" in text
    assert (tmp_path / "report" / "experiment.png").read_bytes()[:4] == b"\x89PNG"
    assert f"Report: {tmp_path / 'report' / 'report.md'}" in text


def test_only_shoppers_inside_the_traffic_are_counted_and_split_evenly():
    settings = DemoExperiment(visitors_per_day=1000, traffic_percent=50, days=2)
    first, second = simulate_days(settings)
    counted = [arm.exposed for arm in second.arms]
    assert 900 < sum(counted) < 1100  # half of 2,000 visitors
    assert abs(counted[0] - counted[1]) < 150
    assert all(b.exposed >= a.exposed for a, b in zip(first.arms, second.arms))


def test_without_a_true_difference_the_demo_names_no_winner():
    out = io.StringIO()
    run(DemoExperiment(rates=(0.04, 0.04), days=10), out=out)
    text = out.getvalue()
    assert "winner" not in text.split("decision\n", 1)[1]
    assert "No decision by day 10: the experiment keeps running." in text


def test_the_flags_skip_the_experiment_or_ask_for_a_report(tmp_path):
    parser = argparse.ArgumentParser()
    demo_experiment.add_arguments(parser)
    args = parser.parse_args(["--no-experiment", "--report", str(tmp_path)])
    assert args.no_experiment and args.report == tmp_path
    assert parser.parse_args([]).report is None


def test_the_days_stop_at_the_first_decision():
    analyses = list(simulate_days(DemoExperiment(rates=(0.04, 0.08), days=6)))
    assert len(analyses) == 6
    decided = [a.decision for a in analyses if a.decision is not Decision.RUNNING]
    assert decided and decided[0] is Decision.WINNER


@pytest.mark.django_db
def test_the_demo_command_runs_the_experiment_after_the_recommendations(capsys, encoder_config,
                                                                        tmp_path):
    assert main(["demo", "-k", "2", "--reset", "--no-content", "--report", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.index("== Similar products") < out.index("== A simulated experiment")
    assert re.search(r"Decision on day \d+: winner: variant", out)
    assert (tmp_path / "experiment.png").exists()
    assert main(["demo", "-k", "2", "--reset", "--no-content", "--no-experiment"]) == 0
    assert "simulated experiment" not in capsys.readouterr().out
