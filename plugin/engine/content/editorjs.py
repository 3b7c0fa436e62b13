"""Saleor's Editor.js descriptions to plain text and back.

:func:`to_text` keeps the block structure as light plain-text marks (blank lines
between blocks, ``# `` for headers, ``- `` or ``1. `` for list items, ``> `` for
quotes), and :func:`from_text` reads the same marks back, so
``from_text(to_text(doc))`` keeps paragraphs, headers, lists and quotes.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import time
from collections.abc import Mapping
from typing import Any

EDITORJS_VERSION = "2.24.3"

_BREAK_RE = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TAG_RE = re.compile(r"<[^>]*>")
_SPACE_RE = re.compile(r"[ \t\r\f\v\u00a0]+")
_HEADER_RE = re.compile(r"^(#{1,6})\s+(.*)$")
_BULLET_RE = re.compile(r"^(\s*)[-*\u2022]\s+(.*)$")
_ORDERED_RE = re.compile(r"^(\s*)\d{1,3}[.)]\s+(.*)$")
_QUOTE_RE = re.compile(r"^>\s?(.*)$")


def inline_text(value: Any) -> str:
    """Editor.js inline HTML (``<b>``, ``<a>``, entities) as plain text on one line."""
    if not isinstance(value, str):
        return ""
    text = _TAG_RE.sub("", _BREAK_RE.sub(" ", value))
    return _SPACE_RE.sub(" ", html.unescape(text).replace("\n", " ")).strip()


def to_text(description: Mapping[str, Any] | str | None) -> str:
    """A description (Editor.js dict or JSON string, or plain text) as plain text.

    Blocks are separated by blank lines; headers start with ``#`` marks (one per
    level), list items with ``- `` (ordered: ``1. ``) indented two spaces per nesting
    level, quotes with ``> ``. Inline tags are removed and entities decoded. Text
    that is not Editor.js JSON is returned stripped; a malformed document raises
    ``ValueError``.
    """
    if description is None:
        return ""
    if isinstance(description, str):
        stripped = description.strip()
        if not stripped.startswith("{"):
            return stripped
        try:
            description = json.loads(stripped)
        except json.JSONDecodeError:
            return stripped
    if not isinstance(description, Mapping):
        raise ValueError(
            f"an Editor.js description must be an object, got {type(description).__name__}"
        )
    blocks = description.get("blocks") or []
    if not isinstance(blocks, list):
        raise ValueError("an Editor.js description's blocks must be a list")
    parts = [_block_to_text(block) for block in blocks]
    return "\n\n".join(part for part in parts if part)


def _block_to_text(block: Any) -> str:
    if not isinstance(block, Mapping) or not isinstance(block.get("data"), Mapping):
        return ""
    kind, data = block.get("type"), block["data"]
    if kind == "header":
        text = inline_text(data.get("text"))
        level = data.get("level") if isinstance(data.get("level"), int) else 2
        return f"{'#' * min(max(level, 1), 6)} {text}" if text else ""
    if kind == "list":
        ordered = data.get("style") == "ordered"
        return "\n".join(_list_lines(data.get("items") or [], ordered, depth=0))
    if kind == "quote":
        text = inline_text(data.get("text"))
        caption = inline_text(data.get("caption"))
        return "> " + " ".join(part for part in (text, caption) if part) if text else ""
    if kind == "table":
        rows = data.get("content") or []
        cells = [inline_text(cell) for row in rows if isinstance(row, list) for cell in row]
        return " ".join(cell for cell in cells if cell)
    if kind in ("image", "embed"):
        # Only the caption is prose; URLs are not part of the description's text.
        return inline_text(data.get("caption"))
    return inline_text(data.get("text"))


def _list_lines(items: list[Any], ordered: bool, depth: int) -> list[str]:
    lines: list[str] = []
    number = 0
    for item in items:
        children: list[Any] = []
        if isinstance(item, Mapping):
            text = inline_text(item.get("content"))
            children = item.get("items") or []
        else:
            text = inline_text(item)
        if text:
            number += 1
            mark = f"{number}." if ordered else "-"
            lines.append(f"{'  ' * depth}{mark} {text}")
        if isinstance(children, list) and children:
            lines.extend(_list_lines(children, ordered, depth + 1))
    return lines


def from_text(text: str, *, time_ms: int | None = None) -> dict[str, Any]:
    """Plain text as an Editor.js document Saleor's description cleaning accepts.

    Blank-line-separated paragraphs become paragraph blocks; lines starting with
    ``- ``, ``* `` or ``1. `` become a list (indentation nests items), ``# `` a
    header (``##`` level 2, ...), ``> `` a quote. Text is HTML-escaped, block ids are
    derived from the content (the same text gives the same ids), and ``time`` is the
    current time unless ``time_ms`` is given.
    """
    blocks: list[dict[str, Any]] = []
    for chunk in re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip()):
        blocks.extend(_chunk_blocks(chunk))
    for index, block in enumerate(blocks):
        block["id"] = _block_id(index, block)
    return {
        "time": int(time.time() * 1000) if time_ms is None else time_ms,
        "blocks": [{"id": b["id"], "type": b["type"], "data": b["data"]} for b in blocks],
        "version": EDITORJS_VERSION,
    }


def _chunk_blocks(chunk: str) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    paragraph: list[str] = []
    list_lines: list[tuple[int, str, bool]] = []

    def flush_paragraph() -> None:
        if paragraph:
            blocks.append(_text_block("paragraph", " ".join(paragraph)))
            paragraph.clear()

    def flush_list() -> None:
        if list_lines:
            blocks.append(_list_block(list_lines))
            list_lines.clear()

    for raw in chunk.split("\n"):
        line = raw.rstrip()
        if not line.strip():
            continue
        bullet = _BULLET_RE.match(line) or _ORDERED_RE.match(line)
        if bullet and bullet.group(2).strip():
            flush_paragraph()
            ordered = bool(_ORDERED_RE.match(line))
            list_lines.append((len(bullet.group(1).expandtabs(2)), bullet.group(2), ordered))
            continue
        flush_list()
        header = _HEADER_RE.match(line.strip())
        quote = _QUOTE_RE.match(line.strip())
        if header and header.group(2).strip():
            flush_paragraph()
            blocks.append(_text_block("header", header.group(2), level=len(header.group(1))))
        elif quote and quote.group(1).strip():
            flush_paragraph()
            blocks.append(_text_block("quote", quote.group(1)))
        else:
            paragraph.append(line.strip())
    flush_paragraph()
    flush_list()
    return blocks


def _escape(text: str) -> str:
    return html.escape(_SPACE_RE.sub(" ", text).strip(), quote=False)


def _text_block(kind: str, text: str, level: int | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"text": _escape(text)}
    if kind == "header":
        data["level"] = level or 2
    if kind == "quote":
        data.update(caption="", alignment="left")
    return {"type": kind, "data": data}


def _list_block(lines: list[tuple[int, str, bool]]) -> dict[str, Any]:
    style = "ordered" if lines[0][2] else "unordered"
    base = min(indent for indent, _, _ in lines)
    if all(indent == base for indent, _, _ in lines):
        # The flat (legacy) form: what the dashboard's list tool reads everywhere.
        return {"type": "list", "data": {"style": style, "items": [_escape(t) for _, t, _ in lines]}}
    root: list[dict[str, Any]] = []
    stack: list[tuple[int, list[dict[str, Any]]]] = [(base - 1, root)]
    for indent, text, _ in lines:
        while len(stack) > 1 and indent <= stack[-1][0]:
            stack.pop()
        node: dict[str, Any] = {"content": _escape(text), "meta": {}, "items": []}
        stack[-1][1].append(node)
        stack.append((indent, node["items"]))
    return {"type": "list", "data": {"style": style, "meta": {}, "items": root}}


def _block_id(index: int, block: dict[str, Any]) -> str:
    payload = json.dumps([index, block["type"], block["data"]], sort_keys=True)
    return hashlib.sha1(payload.encode("utf-8")).hexdigest()[:10]
