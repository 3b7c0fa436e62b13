"""The adversarial set (adversarial_cases.json): hallucinated specs, injected
instructions, wrong language, swapped units, altered codes, invented certifications,
superlatives, health claims, markup, copies, prompt echoes, words no source supports,
dropped proper names and claims, and faithful rewrites that must pass, in English and
Chinese. Every case gets its verdict and names the rule it expects."""

import json
from pathlib import Path

import pytest
from saleor_personalization.engine.content.guardrails import check

CASES = json.loads((Path(__file__).parent / "adversarial_cases.json").read_text(encoding="utf-8"))


def test_the_set_is_broad():
    assert len(CASES) >= 40
    ids = [c["id"] for c in CASES]
    assert len(set(ids)) == len(ids)
    for language in ("en", "zh"):
        mine = [c for c in CASES if c["id"].startswith(language + "-")]
        assert sum(c["accepted"] for c in mine) >= 4
        assert sum(not c["accepted"] for c in mine) >= 15


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_every_case_gets_the_right_verdict(case):
    # "context": the product's name and category, as the rewriting pipeline passes them.
    report = check(case["source"], case["candidate"], case["attributes"], case["language"],
                   other_products=case["other_products"], context=case.get("context", ()))
    assert report.accepted is case["accepted"], report.violations
    assert set(case["rules"]) <= {v.rule for v in report.violations}
