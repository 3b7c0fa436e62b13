"""Language-neutral tokens and sentences: Latin words and single Han characters.

Chinese has no spaces between words, so each Han character is a token (weighted half
a word where lengths are compared) and sentences end at 。！？ as well as .!?.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

_LATIN = r"[^\W_\u3400-\u9fff\uf900-\ufaff]+"
_TOKEN_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|" + _LATIN + r"(?:['’.-]" + _LATIN + r")*")
_HAN_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_BOUNDARY_RE = re.compile(r"[.!?]+[\"'”’)]*\s+|[。！？]+[\"'”’)]*\s*|\s*\n\s*")
# A "." after these does not end a sentence.
_ABBREVIATION_RE = re.compile(r"\b(?:e\.g|i\.e|etc|approx|incl|no|vs|mr|mrs|dr|st|ca)\.$",
                              re.IGNORECASE)

HAN_WEIGHT = 0.5


def tokens(text: str) -> list[str]:
    """Lower-cased words and Han characters, in order."""
    return [t.lower() for t in _TOKEN_RE.findall(text)]


def is_han(token: str) -> bool:
    """Whether a token is one Han character."""
    return bool(_HAN_RE.fullmatch(token))


def weight(token_list: Iterable[str]) -> float:
    """Length in word equivalents: a Latin word counts 1, a Han character one half."""
    return sum(HAN_WEIGHT if is_han(t) else 1.0 for t in token_list)


def sentences(text: str) -> list[str]:
    """The text's sentences (and list items, lines), stripped, in order."""
    found: list[str] = []
    start = 0
    for match in _BOUNDARY_RE.finditer(text):
        if "\n" not in match.group() and _ABBREVIATION_RE.search(text[start:match.start() + 1]):
            continue
        piece = text[start:match.end()].strip()
        if piece:
            found.append(piece)
        start = match.end()
    if text[start:].strip():
        found.append(text[start:].strip())
    return found


def shared_runs(candidate: str, others: Sequence[str], exclude: str = "", *,
                seed: int = 4, min_weight: float = 8.0) -> list[str]:
    """Spans of ``candidate`` at least ``min_weight`` word-equivalents long that also
    appear in one of ``others`` but not in ``exclude`` (the product's own text)."""
    words = tokens(candidate)
    if len(words) < seed:
        return []
    own = _ngrams(tokens(exclude), seed)
    theirs: set[tuple[str, ...]] = set()
    for other in others:
        theirs |= _ngrams(tokens(other), seed)
    theirs -= own
    hits = [tuple(words[i:i + seed]) in theirs for i in range(len(words) - seed + 1)]
    runs: list[str] = []
    start = None
    for index, hit in enumerate([*hits, False]):
        if hit and start is None:
            start = index
        elif not hit and start is not None:
            span = words[start:index - 1 + seed]
            if weight(span) >= min_weight:
                runs.append(_join(span))
            start = None
    return runs


def _ngrams(words: Sequence[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def _join(span: Sequence[str]) -> str:
    out = ""
    for token in span:
        out += token if (is_han(token) or not out or is_han(out[-1])) else " " + token
    return out


def copied_sentences(candidate: str, others: Sequence[str], exclude: str = "", *,
                     min_weight: float = 5.0) -> list[str]:
    """Whole sentences of ``others`` (at least ``min_weight`` word-equivalents) that
    ``candidate`` repeats and ``exclude`` (the product's own text) does not."""
    words = " " + " ".join(tokens(candidate)) + " "
    own = " " + " ".join(tokens(exclude)) + " "
    found = []
    for other in others:
        for sentence in sentences(other):
            parts = tokens(sentence)
            joined = " " + " ".join(parts) + " "
            if weight(parts) >= min_weight and joined in words and joined not in own:
                found.append(_join(parts))
    return list(dict.fromkeys(found))
