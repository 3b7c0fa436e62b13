import sys

import pytest
from saleor_personalization.offline import report
from saleor_personalization.offline.report import write_report

# What evaluate() returns for popularity and item-kNN on a five-user dataset, k=2.
METRICS = {"recall@2": 1.0, "ndcg@2": 0.9262, "mrr": 0.9, "coverage": 0.8, "seconds": 0.0}
RESULT = {
    "dataset": "tiny",
    "protocol": "Tiny protocol.",
    "k": 2,
    "users": 5,
    "items": 5,
    "methods": {"popularity": dict(METRICS), "itemknn": dict(METRICS)},
}


def test_write_report(tmp_path):
    markdown, chart = write_report(RESULT, tmp_path / "out")

    text = markdown.read_text(encoding="utf-8")
    assert "# Evaluation: tiny" in text
    assert "- Users: 5" in text
    assert "- Protocol: Tiny protocol." in text
    assert "| method | recall@2 | ndcg@2 | mrr | coverage | seconds |" in text
    assert "| popularity | 1.0000 | 0.9262 |" in text
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert chart.stat().st_size > 10_000


def test_write_report_without_matplotlib_says_how_to_install(tmp_path, monkeypatch):
    agg = "matplotlib.backends.backend_agg"
    for module in ("matplotlib", "matplotlib.figure", agg):
        monkeypatch.setitem(sys.modules, module, None)

    with pytest.raises(ModuleNotFoundError, match=r"saleor-personalization\[report\]"):
        report.write_report(RESULT, tmp_path)
