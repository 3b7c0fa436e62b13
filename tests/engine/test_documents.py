import pytest
from saleor_personalization.engine.documents import (
    ProductDocument,
    compose_text,
    content_hash,
    plain_text,
)


def test_compose_text_orders_identifying_fields_before_description():
    doc = ProductDocument(
        7,
        "Trail Runner 2",
        description="<p>Light &amp; grippy.</p>",
        category_path=["Shoes", "Running"],
        attributes={"Size": ["42", "43"], "Color": ["Blue"]},
    )
    assert compose_text(doc) == (
        "Trail Runner 2. Category: Shoes > Running. Color: Blue; Size: 42, 43. Light & grippy."
    )


def test_compose_text_with_name_only():
    assert compose_text(ProductDocument(1, "  Mug ")) == "Mug."


def test_plain_text_reads_editorjs_documents_as_saleor_stores_them():
    editorjs = {
        "blocks": [
            {"type": "header", "data": {"text": "Great <b>coffee</b>"}},
            {"type": "list", "data": {"items": ["Dark roast", {"content": "Whole beans"}]}},
            {"type": "image", "data": {"caption": "Bag"}},
        ]
    }
    assert plain_text(editorjs) == "Great coffee Dark roast Whole beans Bag"
    assert plain_text('{"blocks": [{"data": {"text": "JSON string"}}]}') == "JSON string"


def test_plain_text_rejects_other_types():
    with pytest.raises(ValueError, match="Editor.js"):
        plain_text(42)


def test_content_hash_changes_with_text_only():
    assert content_hash("a") == content_hash("a")
    assert content_hash("a") != content_hash("b")
    assert len(content_hash("a")) == 64


@pytest.mark.parametrize(
    "kwargs, message",
    [({"product_id": "7", "name": "x"}, "product_id"), ({"product_id": 7, "name": " "}, "name")],
)
def test_document_validation(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ProductDocument(**kwargs)
