"""The grounding rules: words a rewrite may use, and the source's words it must keep."""

from saleor_personalization.engine.content.grounding import (
    distinctive_terms,
    dropped_content,
    stem,
    ungrounded,
)


def test_stems_match_inflections():
    assert stem("knitted") == stem("knit")
    assert stem("colours") == stem("colour")
    assert stem("Newton’s") == "newton"


def test_a_sentence_of_unsupported_words_is_reported_with_them():
    support = "Gift card to use in the shop.\nGift card 50\nGift cards"
    found = list(ungrounded("Gift card to use in the shop. It has been sold out of our store.",
                            support))
    assert [f[0] for f in found] == ["ungrounded"]
    assert '"sold"' in found[0][1] and '"store"' in found[0][1]
    assert found[0][2] == "It has been sold out of our store."  # the sentence, for repair


def test_one_stray_word_and_generic_words_pass():
    support = "Step into summer.\nDash Force\nSneakers\nBrand: Saleor Loom."
    assert not list(ungrounded("The Dash Force is a smart, stylish sneaker by Saleor Loom, "
                               "offering style and functionality.", support))


def test_chinese_is_read_by_character():
    support = "礼品卡，可在本店使用。"
    assert list(ungrounded("这张礼品卡已经售罄，我们收到了很多投诉。", support))
    assert not list(ungrounded("这张礼品卡可在本店使用。", support))


def test_distinctive_terms_are_proper_words_and_claims_not_the_products_own_name():
    source = "The Summit bottle keeps tea hot. The taste of English apples. Best for the darkest brews."
    terms = distinctive_terms(source)
    assert "English" in terms and "Best" in terms and "darkest" in terms
    assert "Summit" not in terms


def test_dropped_content_in_both_languages():
    assert [f[2] for f in dropped_content("The taste of English apples.", "The taste of apples.")] \
        == ["English"]
    assert not list(dropped_content("The taste of English apples.", "English apples, tasted."))
    assert [f[2] for f in dropped_content("采用防水面料。", "采用面料。")] == ["防水"]
