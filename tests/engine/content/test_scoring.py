import numpy as np
import pytest
from saleor_personalization.engine.content.facts import ProductFacts
from saleor_personalization.engine.content.scoring import WEIGHTS, score

TEE = ProductFacts(
    "Northline Tee", "Apparel > T-Shirts",
    {"Color": ["White", "Black"], "Material": ["Organic cotton"], "Size": ["S", "M", "L", "XL"]},
    "A tee knitted from 180 gsm organic cotton.", "en")
GOOD = ("The Northline tee is a T-shirt knitted from 180 gsm organic cotton. It comes in White "
        "and Black, in sizes S to XL. The fabric is soft from the first wear and keeps its shape "
        "wash after wash. Taped shoulder seams stop the neckline from sagging, and the regular "
        "fit sits close without clinging. Wear it alone in summer or under a shirt in winter.")


def test_weights_sum_to_one():
    assert sum(WEIGHTS.values()) == pytest.approx(1.0)


def test_parts_and_total_of_a_complete_readable_text():
    result = score(GOOD, TEE, description_vector=[1, 0], audience_vector=[1, 0])
    assert result.alignment == 1.0
    assert result.completeness == 1.0
    assert result.readability == 1.0
    assert result.length == 1.0
    assert result.total == 100.0
    assert result.suggestions == []


def test_missing_facts_become_suggestions_and_lower_completeness():
    result = score("A nice tee for everyday wear.", TEE, description_vector=None,
                   audience_vector=None)
    assert result.completeness < 0.3
    assert "Mention the material: Organic cotton" in result.suggestions
    assert len(result.suggestions) == len(set(result.suggestions))
    assert "Mention 180 gsm" in result.suggestions
    assert any(s.startswith("Too short: 6 words") for s in result.suggestions)


def test_without_vectors_alignment_is_neutral_with_a_note_not_a_suggestion():
    result = score(GOOD, TEE, description_vector=None, audience_vector=[1.0, 0.0])
    assert result.alignment == 0.5
    assert result.notes and not any("alignment" in s for s in result.suggestions)


def test_alignment_maps_cosine_to_zero_one():
    assert score(GOOD, TEE, description_vector=[0, 1], audience_vector=[1, 0]).alignment == 0.0
    assert score(GOOD, TEE, description_vector=[-1, 0], audience_vector=[1, 0]).alignment == 0.0
    half = np.array([0.4, np.sqrt(1 - 0.16)])
    assert score(GOOD, TEE, description_vector=half, audience_vector=[1, 0]).alignment == \
        pytest.approx(0.5, abs=1e-3)


def test_long_sentences_are_flagged_in_english():
    long_sentence = " ".join(["word"] * 41) + "."
    result = score(long_sentence + " " + long_sentence, TEE, description_vector=None,
                   audience_vector=None)
    assert result.readability < 0.5
    assert "Sentences average 41 words; aim for 12-22." in result.suggestions


def test_chinese_readability_counts_characters_between_full_stops():
    facts = ProductFacts("T恤", "服装 > T恤", {"材质": ["有机棉"]}, "180克有机棉。", "zh")
    short = ("这款圆领T恤采用180克有机棉面料制成。面料柔软透气，贴身穿着很舒服。"
             "适合日常通勤和周末出游穿着。多次水洗后依然不变形不起球。") * 2
    run_on = "这款T恤采用180克有机棉" + "，面料柔软透气适合日常穿着水洗后不变形" * 8 + "。"
    good = score(short, facts, description_vector=None, audience_vector=None)
    bad = score(run_on, facts, description_vector=None, audience_vector=None)
    assert good.readability == 1.0
    assert bad.readability < good.readability
    assert any("characters" in s for s in bad.suggestions)


def test_too_long_text_loses_length_points():
    text = " ".join([GOOD] * 6)
    result = score(text, TEE, description_vector=None, audience_vector=None)
    assert result.length < 1.0
    assert any(s.startswith("Too long") for s in result.suggestions)


def test_a_size_range_covers_the_sizes_between():
    result = score("Sizes S to XL.", TEE, description_vector=None, audience_vector=None)
    assert not any(s.startswith("Mention the size") for s in result.suggestions)
