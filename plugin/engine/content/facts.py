"""The facts a product's text and attributes state, in English and Chinese.

Numbers with their units ("180 gsm", "500 毫升", "two pockets"), percentages, sizes,
model codes, materials and certifications are found by pattern and vocabulary, not
by a model, so the same text always yields the same facts and Chinese needs no word
segmentation.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from . import units
from .vocabulary import CERTIFICATIONS, COLOURS, MATERIALS

_NUMBER_RE = re.compile(r"(?<![A-Za-z0-9_.])(\d{1,3}(?:,\d{3})+|\d+)(?:([.,])(\d+))?")
_UNIT_RE = re.compile(r"\s?(" + units.unit_pattern() + r")", re.IGNORECASE)
_CONNECTOR_RE = re.compile(r"^\s*(?:-|–|—|to|~|～|x|×|\*|/|至|到|or|and)\s*$", re.IGNORECASE)
_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}
_CN_SCALES = {"十": 10, "百": 100, "千": 1000, "万": 10000}
_CN_NUMBER_RE = re.compile(r"[零一二两三四五六七八九十百千万]+")
_WORD_NUMBERS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90, "hundred": 100, "thousand": 1000, "dozen": 12,
}
_WORD_NUMBER_RE = re.compile(r"\b(" + "|".join(_WORD_NUMBERS) + r")\b", re.IGNORECASE)
_NOUN_RE = re.compile(r"[ -]([A-Za-z][A-Za-z-]{1,20})")
_NOT_NOUNS = {
    "and", "or", "to", "of", "the", "a", "an", "in", "on", "at", "for", "with", "by",
    "is", "are", "was", "it", "its", "as", "so", "than", "from", "per", "into", "times",
}
_TOKEN_RE = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9]+(?:[-/][A-Za-z0-9]+)*(?![A-Za-z0-9_])")
_LATIN_WORD_RE = re.compile(r"[A-Za-z0-9]+")
_DIGIT_RE = re.compile(r"[0-9]")
_UPPER_RE = re.compile(r"[A-Z]")
_ORDINAL_RE = re.compile(r"^\d+(?:st|nd|rd|th)$", re.IGNORECASE)
_NUMBER_NOUN_RE = re.compile(r"^\d+(?:-[A-Za-z]+)+$")
_SIZE_RE = re.compile(r"(?<![A-Za-z0-9_-])(X{0,3}S|X{1,4}L|\dXL|\dXS|M|L)(?![A-Za-z0-9_-])")
_SIZE_RANGE_RE = re.compile(
    r"(?<![A-Za-z0-9_-])(X{0,3}S|X{0,4}L|\dX[LS]|M)\s?(?:-|–|to|至|到)\s?"
    r"(X{0,3}S|X{0,4}L|\dX[LS]|M)(?![A-Za-z0-9_-])"
)
_STANDARD_RE = re.compile(r"\b(ISO|EN|ASTM|IEC|GB/T|GB|DIN|BS|UPF|SPF)\s?(\d{2,6}(?:[-:]\d+)*)\b")
_SIZE_CONTEXT_RE = re.compile(r"(?:\bsizes?\b|尺码|码数|尺寸)", re.IGNORECASE)


@dataclass(frozen=True)
class ProductFacts:
    """What a product states about itself, as the pipeline and scoring read it.

    ``attributes`` maps an attribute's name to its values; ``description`` is plain
    text (see :func:`..editorjs.to_text`); ``language`` an ISO 639-1 code or None.
    """

    name: str
    category: str = ""
    attributes: Mapping[str, Sequence[str]] = field(default_factory=dict)
    description: str = ""
    language: str | None = None


@dataclass(frozen=True)
class Quantity:
    """A number in a text, with its unit when it has one (``unit`` None: a bare count)."""

    value: float
    unit: units.Unit | None
    text: str
    start: int
    end: int
    noun: str = ""

    @property
    def base(self) -> float:
        """The value in the dimension's base unit (1.5 l and 1500 ml are equal)."""
        return self.value * (self.unit.factor if self.unit else 1.0)

    def same_fact(self, other: Quantity) -> bool:
        """Whether two quantities state the same thing (units compared by dimension)."""
        if self.unit is None or other.unit is None:
            return self.unit is None and other.unit is None and self.value == other.value
        return (self.unit.dimension == other.unit.dimension
                and abs(self.base - other.base) <= 1e-6 * max(1.0, abs(self.base)))


@dataclass(frozen=True)
class Fact:
    """One fact: its kind (quantity, size, code, material, certification, attribute,
    category), how the text says it, a key that compares equal across spellings, and
    for an attribute value the attribute's name (``group``)."""

    kind: str
    text: str
    key: str
    group: str = ""


def normalize(text: str) -> str:
    """Lower-case, width-folded (NFKC), single-spaced text for containment checks."""
    text = unicodedata.normalize("NFKC", text).lower()
    return re.sub(r"[\s\u00a0]+", " ", text.replace("’", "'")).strip()


def mentions(text: str, term: str) -> bool:
    """Whether ``text`` states ``term``: case- and width-insensitive; word-bounded for
    Latin terms ("cotton" is in "organic cotton", "ton" is not)."""
    needle = normalize(term)
    if not needle:
        return False
    haystack = normalize(text)
    if not needle[0].isascii() or not needle[-1].isascii():
        return needle in haystack
    return _word_re(needle).search(haystack) is not None


@lru_cache(maxsize=4096)
def _word_re(needle: str) -> re.Pattern[str]:
    return re.compile(r"(?<![a-z0-9])" + re.escape(needle) + r"(?![a-z0-9])")


def _parse_digits(whole: str, sep: str | None, frac: str | None) -> float:
    whole = whole.replace(",", "")
    if sep == "," and frac is not None and len(frac) == 3:
        return float(whole + frac)
    return float(f"{whole}.{frac}") if frac is not None else float(whole)


def _parse_chinese(numeral: str) -> float | None:
    total, section, digit = 0, 0, None
    for char in numeral:
        if char in _CN_DIGITS:
            if digit is not None:
                return None
            digit = _CN_DIGITS[char]
        else:
            scale = _CN_SCALES[char]
            if scale == 10000:
                total = (total + section + (digit or 0)) * scale
                section = 0
            else:
                section += (1 if digit is None else digit) * scale
            digit = None
    return float(total + section + (digit or 0))


def _unit_after(text: str, end: int) -> tuple[units.Unit | None, int]:
    match = _UNIT_RE.match(text, end)
    if not match:
        return None, end
    spelling = match.group(1)
    tail = text[match.end():match.end() + 1]
    if spelling[-1].isascii() and spelling[-1].isalpha() and tail.isascii() and tail.isalpha():
        return None, end
    unit = units.lookup(spelling, attached=match.start(1) == end, followed_by=tail)
    if unit and unit.dimension == "multiple" and re.match(r"\s*\d", text[match.end():]):
        return None, end  # "30 x 20 cm": dimensions, not "30x"
    return (unit, match.end()) if unit else (None, end)


def quantities(text: str, *, include_one: bool = False) -> list[Quantity]:
    """Every number in ``text`` (digits, Chinese numerals before a unit, English number
    words) with its unit; a range or dimensions ("20-40 °C", "30 x 20 cm") give each
    number the shared unit. Numbers inside model codes are not quantities. "one" counts
    only with ``include_one`` (it is more often a pronoun than a number)."""
    spans = [m.span() for m in _code_matches(text)]
    spans += [m.span() for m in _STANDARD_RE.finditer(text)]
    spans += [m.span() for m in re.finditer(r"(?<![A-Za-z0-9])\dX[LS](?![A-Za-z0-9])", text)]
    masked = _mask(text, spans)
    found: list[Quantity] = []
    for match in _NUMBER_RE.finditer(masked):
        value = _parse_digits(match.group(1), match.group(2), match.group(3))
        found.append(_quantity(masked, value, match.start(), match.end()))
    for match in _CN_NUMBER_RE.finditer(masked):
        unit, end = _unit_after(masked, match.end())
        value = _parse_chinese(match.group())
        if unit is None or value is None or unit.dimension in {"count", "pairs", "sets", "packs"} and value == 1:
            continue
        found.append(Quantity(value, unit, masked[match.start():end], match.start(), end))
    for match in _WORD_NUMBER_RE.finditer(masked):
        found.append(_quantity(masked, float(_WORD_NUMBERS[match.group(1).lower()]),
                               match.start(), match.end()))
    if include_one:
        found += [_quantity(masked, 1.0, m.start(), m.end())
                  for m in re.finditer(r"\b(?:one|a single)\b", masked, re.IGNORECASE)]
    found.sort(key=lambda q: q.start)
    return _share_units(masked, found)


def _quantity(text: str, value: float, start: int, end: int) -> Quantity:
    unit, unit_end = _unit_after(text, end)
    if unit is not None:
        return Quantity(value, unit, text[start:unit_end].strip(), start, unit_end)
    noun = _NOUN_RE.match(text, end)
    if noun and noun.group(1).lower() not in _NOT_NOUNS:
        return Quantity(value, None, text[start:noun.end()].strip(), start, end, noun.group(1))
    return Quantity(value, None, text[start:end], start, end)


def _share_units(text: str, found: list[Quantity]) -> list[Quantity]:
    shared = list(found)
    for index in range(len(shared) - 2, -1, -1):
        current, following = shared[index], shared[index + 1]
        if current.unit is None and following.unit is not None and not current.noun:
            if _CONNECTOR_RE.match(text[current.end:following.start]):
                label = f"{text[current.start:current.end]} {following.unit.symbol}"
                shared[index] = Quantity(current.value, following.unit, label, current.start,
                                         current.end)
    return shared


def _mask(text: str, spans: Sequence[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        chars[start:end] = "#" * (end - start)
    return "".join(chars)


def _code_matches(text: str) -> list[re.Match[str]]:
    matches = []
    for match in _TOKEN_RE.finditer(text):
        token = match.group()
        if not (_DIGIT_RE.search(token) and _UPPER_RE.search(token)):
            continue
        if len(token) < 3 or _ORDINAL_RE.match(token) or _NUMBER_NOUN_RE.match(token):
            continue
        if re.fullmatch(r"\dX[LS]|X+[LS]", token):
            continue
        number = _NUMBER_RE.match(token)
        if number and _unit_after(token, number.end())[1] == len(token):
            continue
        matches.append(match)
    return matches


def codes(text: str) -> list[str]:
    """Model codes and part numbers: tokens that mix capitals and digits ("AB-1234",
    "X200", "WH-1000XM4"), not sizes, ordinals or numbers with units ("5V", "2XL")."""
    return [m.group() for m in _code_matches(text)]


def code_key(code: str) -> str:
    """A code compared without case, hyphens or spaces ("AB-1234" = "ab 1234")."""
    return re.sub(r"[\s\-/]", "", code).upper()


def sizes(text: str) -> list[str]:
    """Clothing sizes: XS, XL, XXL, 2XL ... anywhere; S, M, L only in a size context
    ("size L", "S-XL", "S, M, L")."""
    found: list[str] = []
    for match in _SIZE_RANGE_RE.finditer(text):
        found.extend(_size_span(match.group(1), match.group(2)))
    context = bool(_SIZE_CONTEXT_RE.search(text))
    for match in _SIZE_RE.finditer(text):
        token = match.group(1)
        if token in {"S", "M", "L"} and not (context or _in_size_list(text, match)):
            continue
        found.append(token)
    return list(dict.fromkeys(found))


_SIZE_ORDER = ("XXXS", "XXS", "XS", "S", "M", "L", "XL", "XXL", "XXXL", "XXXXL")
_SIZE_ALIASES = {"2XS": "XXS", "3XS": "XXXS", "2XL": "XXL", "3XL": "XXXL", "4XL": "XXXXL"}


def _size_span(first: str, last: str) -> list[str]:
    """A range "S-XL" as every size in it, endpoints first: S, XL, M, L."""
    order = [_SIZE_ALIASES.get(s, s) for s in (first, last)]
    if not all(s in _SIZE_ORDER for s in order):
        return [first, last]
    low, high = sorted(_SIZE_ORDER.index(s) for s in order)
    inner = [s for s in _SIZE_ORDER[low + 1:high]]
    return [first, last, *inner]


def _in_size_list(text: str, match: re.Match[str]) -> bool:
    around = text[max(0, match.start() - 6):match.end() + 6]
    return len(_SIZE_RE.findall(around)) >= 2


def materials(text: str) -> list[str]:
    """Materials named in the text, most specific first ("organic cotton" rather than
    also "cotton" for the same words)."""
    return _vocabulary_hits(text, MATERIALS)


def colours(text: str) -> list[str]:
    """Colours named in the text ("navy blue" rather than also "blue")."""
    return _vocabulary_hits(text, COLOURS)


def certifications(text: str) -> list[str]:
    """Certifications and standards named in the text (GOTS, OEKO-TEX, ISO 9001, CE, ...)."""
    found = _vocabulary_hits(text, CERTIFICATIONS)
    for match in _STANDARD_RE.finditer(text):
        found.append(f"{match.group(1)} {match.group(2)}")
    for match in re.finditer(r"\bIP(?:X\d|\d{2})\b", text):
        found.append(match.group())
    return list(dict.fromkeys(found))


@lru_cache(maxsize=8)
def _vocabulary_index(vocabulary: tuple[str, ...]) -> tuple[dict, dict, list[str], dict]:
    """Latin terms by their lower-case words, acronyms (CE, REACH: capitals only, as
    "reach for" is not the regulation) by their words, Han terms longest first, and per first word the term lengths (longest
    first) that start with it."""
    latin: dict[tuple[str, ...], str] = {}
    acronyms: dict[tuple[str, ...], str] = {}
    han: list[str] = []
    starts: dict[str, set[int]] = {}
    for term in vocabulary:
        if not term.isascii():
            han.append(term)
            continue
        if term.isupper():
            key = tuple(_LATIN_WORD_RE.findall(term))
            acronyms[key] = term
        else:
            key = tuple(_LATIN_WORD_RE.findall(term.lower()))
            latin.setdefault(key, term)
        starts.setdefault(key[0].lower(), set()).add(len(key))
    sizes = {word: sorted(lengths, reverse=True) for word, lengths in starts.items()}
    return latin, acronyms, sorted(han, key=len, reverse=True), sizes


def _vocabulary_hits(text: str, vocabulary: tuple[str, ...]) -> list[str]:
    """Terms of ``vocabulary`` in ``text``, in order, longest match first, without
    overlaps ("organic cotton" is not also "cotton")."""
    latin, acronyms, han, sizes = _vocabulary_index(vocabulary)
    prepared = unicodedata.normalize("NFKC", text)
    found: list[tuple[int, str]] = []
    spans = [(m.start(), m.group()) for m in _LATIN_WORD_RE.finditer(prepared)]
    lower = [w.lower() for _, w in spans]
    index = 0
    while index < len(spans):
        step = 1
        for size in sizes.get(lower[index], ()):
            words = tuple(lower[index:index + size])
            term = acronyms.get(tuple(w for _, w in spans[index:index + size])) or latin.get(words)
            if term:
                found.append((spans[index][0], term))
                step = size
                break
        index += step
    remaining = prepared
    for term in han:
        position = remaining.find(term)
        while position >= 0:
            found.append((position, term))
            remaining = remaining[:position] + "\0" * len(term) + remaining[position + len(term):]
            position = remaining.find(term, position + len(term))
    return list(dict.fromkeys(term for _, term in sorted(found)))


def extract_facts(text: str) -> list[Fact]:
    """The facts a text states: quantities, sizes, codes, materials, certifications."""
    facts = [Fact("quantity", q.text, quantity_key(q)) for q in quantities(text)]
    facts += [Fact("size", s, s.upper()) for s in sizes(text)]
    facts += [Fact("code", c, code_key(c)) for c in codes(text)]
    facts += [Fact("material", m, normalize(m)) for m in materials(text)]
    facts += [Fact("certification", c, normalize(c)) for c in certifications(text)]
    return _first_per_key(facts)


def _first_per_key(facts: list[Fact]) -> list[Fact]:
    seen: dict[tuple[str, str], Fact] = {}
    for fact in facts:
        seen.setdefault((fact.kind, fact.key), fact)
    return list(seen.values())


def quantity_key(quantity: Quantity) -> str:
    """A key equal for the same quantity in any spelling ("180gsm", "180 g/m²")."""
    if quantity.unit is None:
        return f"{quantity.value:g}"
    return f"{quantity.base:.6g} {quantity.unit.dimension}"


def product_facts(product: ProductFacts) -> list[Fact]:
    """Every fact of a product: its category, each attribute value, and what its
    description states."""
    facts: list[Fact] = []
    category = product.category.split(">")[-1].strip()
    if category:
        facts.append(Fact("category", category, normalize(category)))
    stated: set[str] = set()
    for name, values in product.attributes.items():
        for value in values:
            if str(value).strip():
                stated.add(normalize(str(value)))
                facts.append(Fact("attribute", str(value).strip(),
                                  f"{normalize(name)}:{normalize(str(value))}", str(name)))
    # A material or size the description names that is also an attribute value is one fact.
    facts.extend(f for f in extract_facts(product.description)
                 if f.kind == "quantity" or normalize(f.text) not in stated)
    return _first_per_key(facts)
