import sys
from datetime import date

import pytest
from saleor_personalization.engine.experiments.sequential import ArmCounts, analyze
from saleor_personalization.offline import experiment_report
from saleor_personalization.offline.experiment_report import DailySnapshot, write_experiment_report

# A control at 4 % and a variant at 6 %, 1,000 shoppers per arm a day.
SNAPSHOTS = [
    DailySnapshot(day, analyze([ArmCounts(1000 * day, 40 * day), ArmCounts(1000 * day, 60 * day)],
                               minimum_detectable_effect=0.2, baseline_rate=0.04))
    for day in range(1, 8)
]


def test_the_report_tables_every_day_and_names_the_decision_day(tmp_path):
    markdown, chart = write_experiment_report(SNAPSHOTS, tmp_path / "out", title="Tee test")
    text = markdown.read_text(encoding="utf-8")
    decided = next(s.day for s in SNAPSHOTS if s.analysis.decision.value == "winner")
    assert "# Tee test" in text
    assert f"- Decision: winner: variant 1 (reached on day {decided})" in text
    assert "| 1 | 1,000 | 4.00% | 1,000 | 6.00% | +50.0% [" in text
    assert len([line for line in text.splitlines() if line.startswith("| ") and "%" in line]) == 7
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert chart.stat().st_size > 20_000


def test_dates_label_the_days_and_unbounded_intervals_are_drawn(tmp_path):
    early = analyze([ArmCounts(100, 0), ArmCounts(100, 3)])  # no upper bound yet
    later = analyze([ArmCounts(300, 9), ArmCounts(300, 12)])
    snapshots = [DailySnapshot(date(2026, 5, 1), early), DailySnapshot(date(2026, 5, 2), later)]
    markdown, chart = write_experiment_report(snapshots, tmp_path, arm_names=["live", "new"])
    text = markdown.read_text(encoding="utf-8")
    assert "| 2026-05-01 | 100 | 0.00% | 100 | 3.00% | – | running |" in text
    assert "| 2026-05-02 | 300 | 3.00% | 300 | 4.00% | +33.3% [-100.0%, " in text
    assert chart.read_bytes()[:4] == b"\x89PNG"


def test_bad_snapshots_are_refused(tmp_path):
    with pytest.raises(ValueError, match="at least one"):
        write_experiment_report([], tmp_path)
    with pytest.raises(ValueError, match="2 names"):
        write_experiment_report(SNAPSHOTS, tmp_path, arm_names=["only one"])


def test_without_matplotlib_the_report_says_how_to_install(tmp_path, monkeypatch):
    for module in ("matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ModuleNotFoundError, match=r"saleor-personalization\[report\]"):
        experiment_report.write_experiment_report(SNAPSHOTS, tmp_path)
