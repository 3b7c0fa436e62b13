"""``saleor-personalization check-rewrite``: the guardrails on two files, for merchants'
own review pipelines."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

EXIT_UNREADABLE = 2


class UnreadableInput(Exception):
    """An input file is missing or not what it should be (exit code 2)."""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "check-rewrite",
        help="check a rewritten description against the original's facts",
        description="Checks that CANDIDATE keeps every fact of SOURCE and invents none "
        "(numbers, units, codes, materials, certifications, claims, language, markup, "
        "hidden instructions). Exit 0 whether accepted or not, 2 on unreadable input.",
    )
    parser.add_argument("--source", required=True, type=Path, metavar="FILE",
                        help="the current description: plain text or Editor.js JSON")
    parser.add_argument("--candidate", required=True, type=Path, metavar="FILE",
                        help="the rewrite: plain text or Editor.js JSON")
    parser.add_argument("--attributes", type=Path, metavar="JSON_FILE",
                        help="a JSON object of attribute name to a value or a list of values")
    parser.add_argument("--language", metavar="CODE",
                        help="the language the rewrite must be in (en, zh, ...; default: "
                        "the source's)")
    parser.add_argument("--min-chars", type=int, default=None, help="shortest allowed rewrite")
    parser.add_argument("--max-chars", type=int, default=None, help="longest allowed rewrite")
    parser.add_argument("--json", action="store_true",
                        help='print {"accepted": ..., "violations": [{"rule", "detail"}]}')
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import sys

    from ..engine.content.guardrails import check, default_bounds

    try:
        source = read_description(args.source)
        candidate = read_description(args.candidate)
        attributes = read_attributes(args.attributes) if args.attributes else None
    except UnreadableInput as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    low, high = default_bounds(source)
    bounds = (args.min_chars if args.min_chars is not None else low,
              args.max_chars if args.max_chars is not None else high)
    report = check(source, candidate, attributes, args.language, bounds=bounds)
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False))
        return 0
    if report.accepted:
        print("accepted: the rewrite keeps every fact and breaks no rule")
    else:
        print(f"rejected: {len(report.violations)} problem(s)")
        for violation in report.violations:
            print(f"  - {violation.rule}: {violation.detail}")
    return 0


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise UnreadableInput(f"{path}: cannot read: {reason}") from exc


def read_description(path: Path) -> str:
    """A description file as plain text: Editor.js JSON is converted, other text kept."""
    from ..engine.content.editorjs import to_text

    raw = _read(path)
    if raw.lstrip().startswith("{"):
        try:
            document = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise UnreadableInput(f"{path}: not valid JSON: {exc}") from exc
        if not isinstance(document, dict) or not isinstance(document.get("blocks"), list):
            raise UnreadableInput(f"{path}: JSON but not an Editor.js document (no \"blocks\" list)")
        try:
            return to_text(document)
        except ValueError as exc:
            raise UnreadableInput(f"{path}: {exc}") from exc
    return raw


def read_attributes(path: Path) -> dict[str, list[str]]:
    """A JSON object of attribute name -> value or list of values."""
    try:
        data: Any = json.loads(_read(path))
    except json.JSONDecodeError as exc:
        raise UnreadableInput(f"{path}: not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise UnreadableInput(f"{path}: expected a JSON object of attribute name to values")
    result: dict[str, list[str]] = {}
    for name, values in data.items():
        if isinstance(values, list) and all(isinstance(v, str | int | float) for v in values):
            result[str(name)] = [str(v) for v in values]
        elif isinstance(values, str | int | float) and not isinstance(values, bool):
            result[str(name)] = [str(values)]
        else:
            raise UnreadableInput(
                f"{path}: attribute {name!r} must be a value or a list of values")
    return result
