"""Grounding: a rewrite says only what the product's own text says.

The fact rules catch numbers, codes, materials and named claims; a small model also
invents plain words ("recognized by top brands", "made from the leaves of the fritellus
plant", "sold out") that no list can foresee, and with an empty or one-line source
nothing else holds a draft to the product. Here every content word of a candidate
sentence must come from the support (the source, the product's name, category and
attribute names and values) or from a short list of generic words
(:data:`.vocabulary.GENERIC_WORDS`); a sentence with too many other words is reported
with them. In the other direction, a rewrite must keep the source's distinctive words:
proper names and adjectives ("English apples") and the claims the source makes ("best
for ...", "waterproof").

Chinese is read character by character (as :mod:`.text` does): a Han character counts
half a word, and the generic list is a set of characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .facts import mentions
from .text import is_han, sentences, tokens
from .vocabulary import CLAIMS, GENERIC_HAN, GENERIC_WORDS

Finding = tuple[str, str, str]

# A sentence is ungrounded when its unsupported words weigh at least MIN_UNSUPPORTED
# word-equivalents and make up more than MAX_UNSUPPORTED_SHARE of its content words
# (calibrated on the adversarial set's faithful rewrites and the populatedb benchmark:
# benchmarks/recheck_guardrails.py).
MIN_UNSUPPORTED = 2.0
MAX_UNSUPPORTED_SHARE = 0.34
_SUFFIXES = ("ations", "ation", "ities", "ity", "ness", "ments", "ment", "ings", "ing",
             "ies", "ied", "ers", "er", "est", "ed", "es", "ly", "s", "e", "y")
_CLAIM_RES = [re.compile(p, re.IGNORECASE) for kind, patterns in CLAIMS.items()
              if kind in ("superlative", "feature", "health") for p in patterns]
_NAME_RE = re.compile(r"(?<![\w'’-])[A-Z][a-z][\w'’-]*")
_SENTENCE_START_RE = re.compile(r"(?:^|[.!?:;\n•*\-–—(\"“]\s*|\d[.)]\s+)$")
_DETERMINER_RE = re.compile(r"\b(?:the|a|an|our|this|these|your|my)\s+$", re.IGNORECASE)
_UNSTATED = re.compile(r"^\d")


def stem(word: str) -> str:
    """A crude, language-free English stem: "knitted" ~ "knit", "colours" ~ "colour"."""
    word = re.sub(r"['’]s$", "", word.lower())
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    if len(word) >= 4 and word[-1] == word[-2]:
        word = word[:-1]  # "knitt" -> "knit"
    return word


def _parts(token: str) -> list[str]:
    """A token and its hyphen or apostrophe parts ("double-sided", "it’s")."""
    pieces = [p for p in re.split(r"[-'’.]", token) if p]
    return [token, *pieces] if len(pieces) > 1 else [token]


def _vocabulary(support: str) -> set[str]:
    known: set[str] = set()
    for token in tokens(support):
        for part in _parts(token):
            known.add(part)
            known.add(stem(part))
    return known


_GENERIC_STEMS = frozenset(stem(w) for w in GENERIC_WORDS)


def _generic(word: str) -> bool:
    if is_han(word):
        return word in GENERIC_HAN
    return word in GENERIC_WORDS or stem(word) in _GENERIC_STEMS or bool(_UNSTATED.match(word))


def _supported(token: str, known: set[str]) -> bool:
    if is_han(token):
        return token in known
    options = _parts(token)
    # A compound is supported when the whole or every part is.
    whole = options[0]
    if whole in known or stem(whole) in known or _generic(whole):
        return True
    rest = options[1:]
    return bool(rest) and all(p in known or stem(p) in known or _generic(p) for p in rest)


def unsupported_words(sentence: str, known: set[str]) -> tuple[list[str], float, float]:
    """The sentence's content words the support lacks, their weight and the weight of
    all its content words (Latin words 1, Han characters 0.5)."""
    missing: list[str] = []
    unsupported = content = 0.0
    for token in tokens(sentence):
        if _generic(token):
            continue
        size = 0.5 if is_han(token) else 1.0
        content += size
        if not _supported(token, known):
            unsupported += size
            missing.append(token)
    return list(dict.fromkeys(missing)), unsupported, content


def ungrounded(candidate: str, support: str) -> Iterator[Finding]:
    """Sentences of the candidate made mostly of words the source, name, category and
    attributes never use. Evidence is the sentence, so a repair can drop it."""
    known = _vocabulary(support)
    for sentence in sentences(candidate):
        missing, unsupported, content = unsupported_words(sentence, known)
        if unsupported >= MIN_UNSUPPORTED and unsupported > MAX_UNSUPPORTED_SHARE * content:
            shown = ", ".join(f'"{w}"' for w in missing[:8])
            more = f" and {len(missing) - 8} more" if len(missing) > 8 else ""
            yield ("ungrounded",
                   f"words the source and attributes do not support: {shown}{more}", sentence)


def distinctive_terms(source: str) -> list[str]:
    """What a reader would miss if a sentence went: proper names and adjectives in
    mid-sentence ("English", "Newton’s") and the claims the source makes ("best",
    "the darkest", "waterproof", "防水")."""
    found: list[str] = []
    for match in _NAME_RE.finditer(source):
        before = source[max(0, match.start() - 4):match.start()]
        # "The Summit bottle", "our Aria headphones": the product's or brand's own name,
        # which the page's title states anyway.
        if _DETERMINER_RE.search(source[max(0, match.start() - 8):match.start()]):
            continue
        if not _SENTENCE_START_RE.search(before):
            found.append(re.sub(r"['’]s$", "", match.group().rstrip("'’-")))
    for pattern in _CLAIM_RES:
        for match in pattern.finditer(source):
            found.append(re.sub(r"^(?:the|a)\s+", "", match.group().strip(), flags=re.I))
    return list(dict.fromkeys(t for t in found if t))


def dropped_content(source: str, candidate: str) -> Iterator[Finding]:
    """Distinctive words of the source the candidate no longer says (numbers, codes,
    materials and attribute values are the fact rules' to report)."""
    said = _vocabulary(candidate)
    for term in distinctive_terms(source):
        if mentions(candidate, term):
            continue
        words = tokens(term)
        if words and all(w in said or stem(w) in said for w in words):
            continue
        yield "dropped_content", f'dropped what the source says: "{term}"', term
