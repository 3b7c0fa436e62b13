"""Product documents: what the encoder reads about a product.

One function, :func:`compose_text`, decides how a product's fields become the text
that is embedded, so every caller (backfill, product hooks, evaluation) encodes the
same product the same way and content hashes stay comparable.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# Long descriptions are cut before encoding: MiniLM-class models read 256 word
# pieces at most, and the name, category and attributes must fit in front.
MAX_DESCRIPTION_CHARS = 1500

_TAG_RE = re.compile(r"<[^>]+>")
_SPACE_RE = re.compile(r"\s+")


@dataclass(frozen=True)
class ProductDocument:
    """The text facts about one product that recommendations are built from."""

    product_id: int
    name: str
    description: str = ""
    category_path: Sequence[str] = ()
    attributes: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.product_id, int) or isinstance(self.product_id, bool):
            raise ValueError(
                f"product_id must be an integer, got {self.product_id!r}"
            )
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError(
                f"product {self.product_id}: name must be a non-empty string"
            )


def plain_text(description: str | Mapping[str, Any] | None) -> str:
    """Turn a description into plain text.

    Accepts plain text, HTML, or an Editor.js document (Saleor stores rich text as
    Editor.js JSON, either as a dict or a JSON string).
    """
    if description is None:
        return ""
    if isinstance(description, str):
        stripped = description.strip()
        if stripped.startswith("{") and '"blocks"' in stripped:
            try:
                return plain_text(json.loads(stripped))
            except json.JSONDecodeError:
                pass
        return _clean(description)
    if isinstance(description, Mapping):
        parts = [_block_text(block) for block in description.get("blocks") or []]
        return _clean(" ".join(part for part in parts if part))
    raise ValueError(
        "description must be text, HTML or an Editor.js document (dict), "
        f"got {type(description).__name__}"
    )


def _block_text(block: Any) -> str:
    if not isinstance(block, Mapping):
        return ""
    data = block.get("data") or {}
    if not isinstance(data, Mapping):
        return ""
    pieces: list[str] = []
    for key in ("text", "caption"):
        if isinstance(data.get(key), str):
            pieces.append(data[key])
    for item in data.get("items") or []:
        if isinstance(item, str):
            pieces.append(item)
        elif isinstance(item, Mapping) and isinstance(item.get("content"), str):
            pieces.append(item["content"])
    return " ".join(pieces)


def _clean(text: str) -> str:
    text = _TAG_RE.sub(" ", text)
    return _SPACE_RE.sub(" ", html.unescape(text)).strip()


def compose_text(document: ProductDocument) -> str:
    """The single text that represents a product to the encoder.

    Name first, then category path and attributes, then the description, so the
    fields that identify a product survive the model's length limit.
    """
    parts = [_clean(document.name) + "."]
    categories = [_clean(c) for c in document.category_path if c and c.strip()]
    if categories:
        parts.append("Category: " + " > ".join(categories) + ".")
    attributes = []
    for name, values in sorted(document.attributes.items()):
        cleaned = [_clean(str(v)) for v in values if str(v).strip()]
        if cleaned:
            attributes.append(f"{_clean(name)}: {', '.join(cleaned)}")
    if attributes:
        parts.append("; ".join(attributes) + ".")
    description = plain_text(document.description)
    if description:
        parts.append(description[:MAX_DESCRIPTION_CHARS])
    return " ".join(parts)


def content_hash(text: str) -> str:
    """A stable fingerprint of the composed text; unchanged hash means no re-encoding."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
