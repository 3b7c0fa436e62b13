import json

import pytest
from saleor_personalization.engine.content.editorjs import from_text, inline_text, to_text

SALEOR_DOC = {
    "time": 1700000000000,
    "version": "2.24.3",
    "blocks": [
        {"id": "h1", "type": "header", "data": {"text": "Warm &amp; <i>dry</i>", "level": 2}},
        {"id": "p1", "type": "paragraph",
         "data": {"text": "Knitted from <b>180&nbsp;gsm</b> cotton.<br>Pre-shrunk."}},
        {"id": "l1", "type": "list", "data": {"style": "unordered", "items": ["S-XL", "<b>Navy</b>"]}},
        {"id": "l2", "type": "list", "data": {"style": "ordered", "meta": {}, "items": [
            {"content": "Wash cold", "meta": {}, "items": [
                {"content": "30 °C", "meta": {}, "items": []}]},
            {"content": "Dry flat", "meta": {}, "items": []}]}},
        {"id": "q1", "type": "quote", "data": {"text": "Softest tee I own", "caption": "A shopper"}},
        {"id": "i1", "type": "image", "data": {"file": {"url": "https://x.test/a.png"}, "caption": "Front"}},
    ],
}


def test_to_text_reads_every_block_kind_faithfully():
    assert to_text(SALEOR_DOC) == (
        "## Warm & dry\n\n"
        "Knitted from 180 gsm cotton. Pre-shrunk.\n\n"
        "- S-XL\n- Navy\n\n"
        "1. Wash cold\n  1. 30 °C\n2. Dry flat\n\n"
        "> Softest tee I own A shopper\n\n"
        "Front"
    )


def test_to_text_accepts_json_strings_plain_text_and_nothing():
    assert to_text(json.dumps(SALEOR_DOC)).startswith("## Warm & dry")
    assert to_text("  just text ") == "just text"
    assert to_text(None) == ""
    assert to_text({"blocks": []}) == ""


def test_to_text_rejects_a_non_document():
    with pytest.raises(ValueError, match="must be a list"):
        to_text({"blocks": "nope"})


def test_inline_text_strips_tags_and_decodes_entities():
    assert inline_text("<a href='x'>R&amp;D</a>&nbsp;lab") == "R&D lab"


def test_from_text_builds_paragraphs_headers_lists_and_quotes():
    doc = from_text("# Title\n\nFirst para\ncontinues.\n\n- one\n* two\n\n> said", time_ms=5)
    assert doc["time"] == 5 and doc["version"] == "2.24.3"
    assert [(b["type"], b["data"]) for b in doc["blocks"]] == [
        ("header", {"text": "Title", "level": 1}),
        ("paragraph", {"text": "First para continues."}),
        ("list", {"style": "unordered", "items": ["one", "two"]}),
        ("quote", {"text": "said", "caption": "", "alignment": "left"}),
    ]
    ids = [b["id"] for b in doc["blocks"]]
    assert len(set(ids)) == 4 and all(len(i) == 10 for i in ids)


def test_from_text_escapes_html_so_it_stays_text():
    doc = from_text("Use <script>alert(1)</script> & enjoy")
    assert doc["blocks"][0]["data"]["text"] == "Use &lt;script&gt;alert(1)&lt;/script&gt; &amp; enjoy"
    assert to_text(doc) == "Use <script>alert(1)</script> & enjoy"


def test_nested_lists_use_editorjs_nested_items():
    doc = from_text("- a\n  - b\n- c")
    items = doc["blocks"][0]["data"]["items"]
    assert [i["content"] for i in items] == ["a", "c"]
    assert items[0]["items"][0]["content"] == "b"


@pytest.mark.parametrize("text", [
    "Plain paragraph.",
    "## Header\n\nBody text, with 180 gsm.\n\n- XS\n- XXL",
    "1. first\n2. second\n  1. inner",
    "这款T恤采用有机棉。\n\n- 白色\n- 黑色",
    "> a quote",
])
def test_round_trip_text_editorjs_text(text):
    assert to_text(from_text(text)) == text


def test_round_trip_editorjs_text_editorjs_keeps_blocks():
    again = from_text(to_text(SALEOR_DOC), time_ms=1)
    assert [b["type"] for b in again["blocks"]] == [
        "header", "paragraph", "list", "list", "quote", "paragraph"]
    assert to_text(again) == to_text(SALEOR_DOC)


def test_same_text_same_ids():
    assert from_text("a\n\nb", time_ms=1) == from_text("a\n\nb", time_ms=1)
