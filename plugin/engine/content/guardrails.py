"""Guardrails: a rewrite never invents, changes or drops a fact.

:func:`check` compares a candidate description with its source (the current
description) and the product's attributes and returns every violation with a rule
name and a detail a merchant can read. A rewrite must keep every fact the source
states (numbers with units, percentages, sizes, model codes, materials,
certifications, attribute values); attributes the source does not mention may be left
out, since the page shows them anyway, but whatever the rewrite says must agree with
the source or the attributes, colours included.

Rules: ``empty``, ``length``, ``language``, ``markup``, ``dropped_fact``,
``changed_fact``, ``invented_number``, ``invented_fact``, ``invented_price``,
``invented_discount``, ``invented_warranty``, ``invented_certification``,
``health_claim``, ``superlative``, ``invented_claim``, ``copied_text``,
``prompt_injection``, ``assistant_text``, ``repeated_text``, ``ungrounded`` (words the
source, name, category and attributes never use), ``dropped_content`` (the source's
proper names and claims left out).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import claims, grounding, language
from .facts import (
    Quantity,
    certifications,
    code_key,
    codes,
    colours,
    materials,
    mentions,
    normalize,
    quantities,
    sizes,
)
from .text import copied_sentences, sentences, shared_runs

RULES = ("empty", "length", "language", "markup", "dropped_fact", "changed_fact",
         "invented_number", "invented_fact", "invented_price", "invented_discount",
         "invented_warranty", "invented_certification", "health_claim", "superlative",
         "invented_claim", "copied_text", "prompt_injection", "assistant_text",
         "repeated_text", "ungrounded", "dropped_content")
# Characters: a description shorter than a sentence or longer than a long page; a very
# short source lowers the floor to half its own length (see :func:`default_bounds`).
DEFAULT_BOUNDS = (30, 5000)

Attributes = Mapping[str, Sequence[str] | str]


@dataclass(frozen=True)
class Violation:
    """One broken rule: its name, what a merchant reads, and the offending words."""

    rule: str
    detail: str
    evidence: str = field(default="", compare=False)


@dataclass(frozen=True)
class GuardrailReport:
    """The verdict on one candidate."""

    accepted: bool
    violations: list[Violation]
    language: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """``{"accepted": bool, "violations": [{"rule", "detail"}]}`` (the CLI's JSON)."""
        return {
            "accepted": self.accepted,
            "violations": [{"rule": v.rule, "detail": v.detail} for v in self.violations],
        }


def attribute_values(attributes: Attributes | None) -> dict[str, list[str]]:
    """Attributes as name -> list of non-empty string values (a single value becomes a list)."""
    result: dict[str, list[str]] = {}
    for name, values in (attributes or {}).items():
        listed = [values] if isinstance(values, str | int | float) else list(values or [])
        result[str(name)] = [str(v).strip() for v in listed if str(v).strip()]
    return result


def check(
    source: str,
    candidate: str,
    attributes: Attributes | None = None,
    language: str | None = None,
    *,
    other_products: Sequence[str] = (),
    bounds: tuple[int, int] | None = None,
    context: Sequence[str] = (),
) -> GuardrailReport:
    """Check ``candidate`` (a rewrite of ``source``) against every rule.

    ``source`` and ``candidate`` are plain text (see :func:`.editorjs.to_text`);
    ``attributes`` maps attribute names to a value or a list of values; ``language``
    is the requested language code ("en", "zh", "ZH_HANS"; None: the source's);
    ``other_products`` are other products' descriptions that must not be copied;
    ``bounds`` the allowed length in characters (default: :func:`default_bounds`);
    ``context`` other text about the
    product that supports claims but need not be repeated (its name, category).
    """
    attrs = attribute_values(attributes)
    text = candidate.strip()
    if not text:
        return GuardrailReport(False, [Violation("empty", "the rewrite is empty")])
    injected = claims.injected_sentences(source)
    clean_source = _without(source, injected)
    support = "\n".join([clean_source, *context, *_attribute_lines(attrs)])
    found: list[Violation] = []
    detected = language_of(text)
    found += _length(text, bounds or default_bounds(source))
    found += _language(text, detected, language, source)
    found += _facts(clean_source, text, support, attrs)
    for finding in (
        *claims.markup(text),
        *claims.unsupported_claims(text, support),
        *claims.invented_origins(text, support),
        *claims.invented_names(text, support),
        *claims.assistant_talk(text, support),
        *claims.obeyed_injections(text, injected, clean_source),
        *grounding.ungrounded(text, support),
    ):
        found.append(Violation(*finding))
    # A dropped attribute value or material is already a dropped_fact.
    reported = [v.evidence for v in found if v.rule == "dropped_fact"]
    found += [Violation(*f) for f in grounding.dropped_content(clean_source, text)
              if not any(mentions(r, f[2]) for r in reported)]
    found += _repeated(text)
    found += _odd_numerals(text, support)
    copies = shared_runs(text, other_products, exclude=source)
    copies += [s for s in copied_sentences(text, other_products, exclude=source)
               if not any(s in run for run in copies)]
    for run in copies:
        found.append(Violation("copied_text", f'text copied from another product: "{run}"', run))
    unique = list(dict.fromkeys(found))
    return GuardrailReport(not unique, unique, detected)


def default_bounds(source: str) -> tuple[int, int]:
    """``DEFAULT_BOUNDS``, with the floor at most half the source's length and the
    ceiling at least three times it."""
    low, high = DEFAULT_BOUNDS
    size = len(source.strip())
    return min(low, max(1, size // 2)), max(high, 3 * size)


def language_of(text: str) -> str | None:
    """The detected language code of a text (None: too short to tell)."""
    return language.detect(text)


def _without(source: str, injected: Sequence[str]) -> str:
    for sentence in injected:
        source = source.replace(sentence, " ")
    return source


def _attribute_lines(attrs: Mapping[str, list[str]]) -> list[str]:
    return [f"{name}: {', '.join(values)}." for name, values in attrs.items()]


def _odd_numerals(text: str, support: str) -> Iterator[Violation]:
    """Numerals outside plain digits (⅛, ½, ², ①) the source does not use: the fact
    rules read ASCII digits, so these would otherwise slip through as new numbers."""
    for char in dict.fromkeys(text):
        if unicodedata.category(char) == "No" and char not in support:
            yield Violation("invented_number", f'a number the source does not give: "{char}"', char)


def _repeated(text: str) -> Iterator[Violation]:
    """A sentence said twice (small models loop): shoppers read it as a broken page."""
    seen: set[str] = set()
    for sentence in sentences(text):
        key = " ".join(sentence.lower().split()).rstrip(".!?。！？")
        if len(key) >= 12 and key in seen:
            yield Violation("repeated_text", f'a sentence is repeated: "{sentence.strip()}"')
            return
        seen.add(key)


def _length(text: str, bounds: tuple[int, int]) -> Iterator[Violation]:
    low, high = bounds
    if len(text) < low:
        yield Violation("length", f"too short: {len(text)} characters, at least {low} expected")
    elif len(text) > high:
        yield Violation("length", f"too long: {len(text)} characters, at most {high} allowed")


def _language(text: str, detected: str | None, requested: str | None,
              source: str) -> Iterator[Violation]:
    wanted = language.normalize_code(requested) or language.detect(source)
    if wanted is None or detected is None or wanted not in language.SUPPORTED:
        return
    if detected != wanted:
        yield Violation("language", f"written in {_name(detected)}, {_name(wanted)} was requested")


def _name(code: str) -> str:
    return language._LINGUA_NAMES.get(code, code).capitalize()


def _facts(source: str, candidate: str, support: str,
           attrs: Mapping[str, list[str]]) -> Iterator[Violation]:
    yield from _quantities(quantities(source), quantities(candidate), quantities(support),
                           quantities(candidate, include_one=True))
    yield from _codes(codes(source), codes(candidate), codes(support))
    for kind, find in (("size", sizes), ("material", materials),
                       ("certification", certifications)):
        yield from _terms(kind, find(source), find(candidate), support, candidate)
    # Only invented colours: a source's passing colour ("red berries") may go.
    yield from _terms("colour", [], colours(candidate), support, candidate)
    reported = {s.upper() for s in sizes(source)}
    reported |= {m.upper() for m in materials(source) + certifications(source)}
    for name, values in attrs.items():
        for value in values:
            if len(value) >= 3 and value.upper() not in reported and mentions(source, value) \
                    and not mentions(candidate, value):
                yield Violation("dropped_fact", f'dropped fact: "{value}" ({name})', value)


def _quantities(source: list[Quantity], candidate: list[Quantity], support: list[Quantity],
                stated: list[Quantity]) -> Iterator[Violation]:
    """``stated``: the candidate's quantities counting "one" too (it may state a fact)."""
    explained: set[int] = set()
    for fact in source:
        if any(fact.same_fact(c) or _bare_match(fact, c) for c in stated):
            continue
        changed = _changed(fact, candidate, support)
        if changed is not None:
            explained.add(id(changed))
            what = "unit changed" if changed.value == fact.value else "number changed"
            yield Violation("changed_fact", f'{what}: "{fact.text}" became "{changed.text}"',
                            changed.text)
        else:
            yield Violation("dropped_fact", f'dropped fact: "{fact.text}"', fact.text)
    for mention in candidate:
        if id(mention) in explained or any(_supports(s, mention) for s in support):
            continue
        yield Violation("invented_number", f'invented number: "{mention.text}"', mention.text)


def _bare_match(fact: Quantity, mention: Quantity) -> bool:
    return fact.unit is None and mention.value == fact.value


def _supports(known: Quantity, mention: Quantity) -> bool:
    if known.same_fact(mention):
        return True
    # A bare number ("2 pockets") is supported by the same number anywhere in the source.
    return mention.unit is None and known.value == mention.value


def _changed(fact: Quantity, candidate: list[Quantity],
             support: list[Quantity]) -> Quantity | None:
    if fact.unit is None:
        return None
    for mention in candidate:
        if mention.unit is None or any(_supports(s, mention) for s in support):
            continue
        if mention.value == fact.value or mention.unit.dimension == fact.unit.dimension:
            return mention
    return None


def _codes(source: list[str], candidate: list[str], support: list[str]) -> Iterator[Violation]:
    known = {code_key(c) for c in support}
    strangers = [c for c in candidate if code_key(c) not in known]
    written = {code_key(c) for c in candidate}
    for code in source:
        if code_key(code) in written:
            continue
        if strangers:
            yield Violation("changed_fact", f'model code changed: "{code}" became "{strangers[0]}"',
                            strangers[0])
            strangers = strangers[1:]
        else:
            yield Violation("dropped_fact", f'dropped fact: "{code}"', code)
    for code in strangers:
        yield Violation("invented_fact", f'model code not in the source: "{code}"', code)


def _terms(kind: str, source: list[str], candidate: list[str], support: str,
           candidate_text: str) -> Iterator[Violation]:
    for term in source:
        if not _said(kind, term, candidate_text):
            yield Violation("dropped_fact", f'dropped fact: "{term}"', term)
    for term in candidate:
        if not _said(kind, term, support):
            rule = "invented_certification" if kind == "certification" else "invented_fact"
            yield Violation(rule, f'{kind} not in the source: "{term}"', term)


def _said(kind: str, term: str, text: str) -> bool:
    if kind == "size":
        return term.upper() in {s.upper() for s in sizes(text)} or f"size {term}" in text
    if kind == "certification":
        return normalize(term) in {normalize(c) for c in certifications(text)}
    return mentions(text, term)
