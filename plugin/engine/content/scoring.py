"""A description's score from 0 to 100, its parts, and what to fix.

Pure and fast (no model inside): the caller passes the description's vector and the
audience's preference vector. The total weighs

- alignment 35%: cosine of the two vectors; a cosine of ``FULL_ALIGNMENT`` or more
  (about as close as two descriptions of one product) counts 1, 0 or less counts 0,
  linear between; without an audience it is neutral (0.5);
- completeness 35%: the share of the product's facts the text states (category,
  each attribute, and every number with its unit, material, code and certification
  of the product's description);
- readability 15%: sentence length for the language (English and other
  space-separated languages: 12-22 words a sentence; Chinese: 12-40 characters
  between 。！？);
- length 15%: within the target (English: 50-200 words; Chinese: 80-400
  characters), falling off linearly outside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .facts import (
    Fact,
    ProductFacts,
    code_key,
    codes,
    mentions,
    product_facts,
    quantities,
    quantity_key,
    sizes,
)
from .language import normalize_code
from .text import is_han, sentences, tokens

WEIGHTS = {"alignment": 0.35, "completeness": 0.35, "readability": 0.15, "length": 0.15}
FULL_ALIGNMENT = 0.8
NEUTRAL_ALIGNMENT = 0.5
SENTENCE_WORDS = (12, 22)
SENTENCE_HAN = (12, 40)
TARGET_WORDS = (50, 200)
TARGET_HAN = (80, 400)


@dataclass(frozen=True)
class ContentScore:
    """A total from 0 to 100, its parts from 0 to 1, and plain-language suggestions."""

    total: float
    alignment: float
    completeness: float
    readability: float
    length: float
    suggestions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def score(
    text: str,
    facts: ProductFacts,
    *,
    description_vector: Sequence[float] | np.ndarray | None,
    audience_vector: Sequence[float] | np.ndarray | None,
    language: str | None = None,
    product_fact_list: Sequence[Fact] | None = None,
    target: tuple[int, int] | None = None,
) -> ContentScore:
    """Score ``text`` as the description of the product ``facts`` describes.

    ``language`` picks the readability and length rules ("zh": characters; None: the
    product's language, else guessed from the script). ``product_fact_list`` may be
    passed precomputed (:func:`.facts.product_facts`) when scoring many candidates of
    one product; ``target`` overrides the length target (words, or characters for
    Chinese).
    """
    lang = normalize_code(language) or normalize_code(facts.language) or _script_language(text)
    suggestions: list[str] = []
    notes: list[str] = []
    alignment = _alignment(description_vector, audience_vector, suggestions, notes)
    all_facts = product_facts(facts) if product_fact_list is None else product_fact_list
    completeness = _completeness(text, all_facts, suggestions)
    sentence_list = sentences(text)
    readability = _readability(sentence_list, lang, suggestions)
    length = _length(text, lang, target, suggestions)
    parts = {"alignment": alignment, "completeness": completeness,
             "readability": readability, "length": length}
    total = 100.0 * sum(WEIGHTS[name] * value for name, value in parts.items())
    return ContentScore(round(total, 1), round(alignment, 3), round(completeness, 3),
                        round(readability, 3), round(length, 3), suggestions, notes)


def _script_language(text: str) -> str:
    toks = tokens(text)
    han = sum(1 for t in toks if is_han(t))
    return "zh" if toks and han >= 0.3 * len(toks) else "en"


def _alignment(description_vector, audience_vector, suggestions: list[str],
               notes: list[str]) -> float:
    if description_vector is None or audience_vector is None:
        notes.append("No audience vector yet: alignment counted as neutral.")
        return NEUTRAL_ALIGNMENT
    a = np.asarray(description_vector, dtype=np.float32)
    b = np.asarray(audience_vector, dtype=np.float32)
    norms = float(np.linalg.norm(a) * np.linalg.norm(b))
    cosine = float(a @ b) / norms if norms > 0 else 0.0
    value = min(1.0, max(0.0, cosine / FULL_ALIGNMENT))
    if value < 0.6:
        suggestions.append(
            "Speak to the shoppers who buy this: the text is far from what they look at "
            f"(alignment {value:.2f})."
        )
    return value


def _completeness(text: str, all_facts: Sequence[Fact], suggestions: list[str]) -> float:
    if not all_facts:
        return 1.0
    stated_quantities = {quantity_key(q) for q in quantities(text)}
    stated_codes = {code_key(c) for c in codes(text)}
    stated_sizes = {s.upper() for s in sizes(text)}
    attributes: dict[str, list[tuple[str, bool]]] = {}
    credit = 0.0
    units = 0
    for fact in all_facts:
        if fact.kind == "attribute":
            name = fact.group or fact.key.split(":", 1)[0]
            said = _said(fact, text, stated_quantities, stated_codes, stated_sizes)
            attributes.setdefault(name, []).append((fact.text, said))
            continue
        units += 1
        if _said(fact, text, stated_quantities, stated_codes, stated_sizes):
            credit += 1
        else:
            suggestions.append(_mention(fact))
    for name, values in attributes.items():
        units += 1
        said = [v for v, ok in values if ok]
        credit += _attribute_credit(values)
        if len(said) < len(values) and _attribute_credit(values) < 1:
            missing = [v for v, ok in values if not ok]
            suggestions.append(f"Mention the {name.lower()}: {', '.join(missing[:6])}")
    return credit / units if units else 1.0


def _attribute_credit(values: list[tuple[str, bool]]) -> float:
    said = [ok for _, ok in values]
    # A range ("XS to XXL") names the first and last value and covers the rest.
    if len(said) > 2 and said[0] and said[-1]:
        return 1.0
    return sum(said) / len(said)


def _said(fact: Fact, text: str, stated_quantities: set[str], stated_codes: set[str],
          stated_sizes: set[str]) -> bool:
    if fact.kind == "quantity":
        return fact.key in stated_quantities
    if fact.kind == "code":
        return fact.key in stated_codes
    if fact.kind == "size" or fact.kind == "attribute" and fact.text.upper() in {
            "XS", "S", "M", "L", "XL", "XXL", "XXXL", "2XL", "3XL", "4XL"}:
        return fact.text.upper() in stated_sizes
    if fact.kind == "category":
        stem = fact.text.lower().rstrip("s") if fact.text.isascii() else fact.text
        return mentions(text, stem) or mentions(text, fact.text)
    return mentions(text, fact.text)


def _mention(fact: Fact) -> str:
    labels = {"quantity": "Mention", "material": "Mention the material:",
              "certification": "Mention the certification:", "code": "Mention the model code:",
              "size": "Mention the size:", "category": "Say what it is:"}
    return f"{labels.get(fact.kind, 'Mention')} {fact.text}"


def _readability(sentence_list: list[str], lang: str, suggestions: list[str]) -> float:
    if not sentence_list:
        return 0.0
    if lang == "zh":
        lengths = [sum(1 for t in tokens(s) if is_han(t)) + 0.5 * sum(
            1 for t in tokens(s) if not is_han(t)) for s in sentence_list]
        low, high = SENTENCE_HAN
        unit = "characters"
    else:
        lengths = [float(len(tokens(s))) for s in sentence_list]
        low, high = SENTENCE_WORDS
        unit = "words"
    average = sum(lengths) / len(lengths)
    value = _band(average, low, high, slack=high)
    longest = max(lengths)
    if longest > 2 * high:
        value *= 0.8
    if average > high:
        suggestions.append(f"Sentences average {average:.0f} {unit}; aim for {low}-{high}.")
    elif average < low / 2:
        suggestions.append(f"Sentences average {average:.0f} {unit}; join the shortest ones.")
    elif longest > 2 * high:
        suggestions.append(f"One sentence has {longest:.0f} {unit}; split it.")
    return value


def _length(text: str, lang: str, target: tuple[int, int] | None,
            suggestions: list[str]) -> float:
    toks = tokens(text)
    if lang == "zh":
        size = float(sum(1 for t in toks if is_han(t)) + sum(1 for t in toks if not is_han(t)))
        low, high = target or TARGET_HAN
        unit = "characters"
    else:
        size = float(len(toks))
        low, high = target or TARGET_WORDS
        unit = "words"
    if size < low:
        suggestions.append(f"Too short: {size:.0f} {unit}; aim for {low}-{high}.")
    elif size > high:
        suggestions.append(f"Too long: {size:.0f} {unit}; aim for {low}-{high}.")
    return _band(size, low, high, slack=high)


def _band(value: float, low: float, high: float, *, slack: float) -> float:
    """1 inside [low, high]; below it ``value / low``; above it falling linearly to 0 at
    ``high + slack``."""
    if value < low:
        return max(0.0, value / low) if low else 1.0
    if value > high:
        return max(0.0, 1.0 - (value - high) / max(slack, 1.0))
    return 1.0
