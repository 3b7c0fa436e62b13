import pytest
from saleor_personalization.engine.content.facts import (
    ProductFacts,
    certifications,
    code_key,
    codes,
    extract_facts,
    materials,
    mentions,
    product_facts,
    quantities,
    sizes,
)


def _q(text):
    return [(q.value, q.unit.symbol if q.unit else None) for q in quantities(text)]


@pytest.mark.parametrize("text, expected", [
    ("180 gsm", [(180, "gsm")]),
    ("180gsm", [(180, "gsm")]),
    ("180 g/m²", [(180, "gsm")]),
    ("holds 500ml", [(500, "ml")]),
    ("a 1.5 l jug", [(1.5, "l")]),
    ("2,5 kg", [(2.5, "kg")]),
    ("1,000 pcs", [(1000, "pcs")]),
    ("55% linen", [(55, "%")]),
    ("5V 2A charger, 5000mAh", [(5, "V"), (2, "A"), (5000, "mAh")]),
    ("128GB, 60 Hz", [(128, "GB"), (60, "Hz")]),
    ("a 10 in. screen", [(10, "in")]),
    ("10 in the box", [(10, None)]),
    ("two pockets", [(2, None)]),
    ("180克有机棉", [(180, "g")]),
    ("容量500毫升", [(500, "ml")]),
    ("身高185厘米", [(185, "cm")]),
    ("三年保修", [(3, "year")]),
    ("一件T恤", []),
    ("3件装", [(3, "pcs")]),
])
def test_quantities_with_units_in_english_and_chinese(text, expected):
    assert _q(text) == expected


def test_ranges_and_dimensions_share_their_unit():
    assert _q("20-40 °C") == [(20, "°C"), (40, "°C")]
    assert _q("30 x 20 x 10 cm") == [(30, "cm"), (20, "cm"), (10, "cm")]


def test_equal_quantities_in_other_units_are_the_same_fact():
    [litre] = quantities("1.5 l")
    [millilitres] = quantities("1500 ml")
    [litres500] = quantities("500 l")
    [ml500] = quantities("500 ml")
    assert litre.same_fact(millilitres)
    assert not litres500.same_fact(ml500)


def test_codes_mix_capitals_and_digits_but_not_units_or_sizes():
    assert codes("Model AB-1234, the X200 and WH-1000XM4; 5V, 2XL, 1st, 2-person tent") == [
        "AB-1234", "X200", "WH-1000XM4"]
    assert codes("型号AB-1234") == ["AB-1234"]
    assert code_key("ab 1234") == code_key("AB-1234")


def test_numbers_inside_codes_are_not_quantities():
    assert _q("the X200 model") == []


def test_sizes_need_a_size_context_for_single_letters():
    assert sizes("wears size L") == ["L"]
    assert sizes("sizes S-XL") == ["S", "XL", "M", "L"]  # a range names the sizes between
    assert sizes("in XS, S, M") == ["XS", "S", "M"]
    assert sizes("M for medium") == []
    assert sizes("尺码S至XL") == ["S", "XL", "M", "L"]


def test_materials_most_specific_first_in_both_languages():
    assert materials("organic cotton and recycled polyester") == ["organic cotton", "recycled polyester"]
    assert materials("Merino wool with a nylon core") == ["merino wool", "nylon"]
    assert materials("采用有机棉和不锈钢") == ["有机棉", "不锈钢"]
    assert materials("a cotton-rich blend") == ["cotton"]


def test_certifications_and_standards():
    assert certifications("GOTS-certified, OEKO-TEX Standard 100, ISO 9001, CE marked, IP68") == [
        "GOTS", "OEKO-TEX", "Standard 100", "CE", "ISO 9001", "IP68"]
    assert certifications("the one you will reach for") == []  # not the REACH regulation
    assert certifications("nice certified cells") == []


def test_mentions_is_word_bounded_for_latin_and_substring_for_chinese():
    assert mentions("Organic Cotton tee", "organic cotton")
    assert not mentions("cottonwood", "cotton")
    assert mentions("采用有机棉", "有机棉")


def test_product_facts_lists_category_attributes_and_description_facts():
    facts = product_facts(ProductFacts(
        "Tee", "Apparel > T-Shirts", {"Color": ["White"], "Material": ["Organic cotton"]},
        "Made from 180 gsm organic cotton, model AB-12."))
    kinds = {(f.kind, f.text) for f in facts}
    assert kinds == {("category", "T-Shirts"), ("attribute", "White"),
                     ("attribute", "Organic cotton"), ("quantity", "180 gsm"),
                     ("code", "AB-12")}  # "organic cotton" is the Material value already


def test_extract_facts_deduplicates_by_key():
    facts = extract_facts("180 gsm cotton; yes, 180gsm cotton")
    assert [f.text for f in facts] == ["180 gsm", "cotton"]
