"""The guardrails that read wording rather than facts: unsupported claims, markup and
links, assistant talk, and instructions hidden in a description.

Each function returns ``(rule, detail, evidence)`` triples; :mod:`.guardrails` turns
them into violations.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

from .facts import mentions, normalize
from .text import sentences, tokens
from .vocabulary import ASSISTANT_PATTERNS, CLAIMS, COMMAND_PATTERNS, INJECTION_PATTERNS

Finding = tuple[str, str, str]

CLAIM_RULES = {
    "price": ("invented_price", "price not in the source"),
    "discount": ("invented_discount", "discount or promotion not in the source"),
    "warranty": ("invented_warranty", "warranty or guarantee not in the source"),
    "certification": ("invented_certification", "certification or standard not in the source"),
    "health": ("health_claim", "health or medical claim not in the source"),
    "superlative": ("superlative", "superlative not in the source"),
    "feature": ("invented_claim", "claim not in the source"),
}

_COMPILED = {kind: [re.compile(p, re.IGNORECASE) for p in patterns]
             for kind, patterns in CLAIMS.items()}
_INJECTION = [re.compile(p, re.IGNORECASE | re.MULTILINE) for p in INJECTION_PATTERNS]
_COMMANDS = [re.compile(p, re.IGNORECASE | re.MULTILINE) for p in COMMAND_PATTERNS]
_ASSISTANT = [re.compile(p, re.IGNORECASE | re.MULTILINE) for p in ASSISTANT_PATTERNS]
_LINK_RE = re.compile(
    r"(?:https?://|ftp://|www\.|javascript:|data:text|mailto:)\S*"
    r"|\b[\w-]+(?:\.[\w-]+)*\.(?:com|net|org|io|shop|store|co|cn|pl|de|uk|eu|info|biz|xyz|app)\b(?:/\S*)?",
    re.IGNORECASE,
)
# Markdown links, emphasis (closed or not: a small model often leaves "**" open),
# headings, square-bracket placeholders ("[Brand]") and stray angle brackets ("DETAILS>>").
_MARKDOWN_RE = re.compile(
    r"!?\[[^\]\n]*\]\([^)\n]*\)|\*\*+|__+|`+|(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*])"
    r"|(?m:^[ \t]{0,3}#{1,6}(?=[ \t]|\w))|\[[^\]\n]{0,60}\]|[<>]{2,}|-+>|<-+"
)
_ORIGIN_RE = re.compile(
    r"\b(?:made|manufactured|produced|crafted|handcrafted|designed|sourced|grown|woven|"
    r"knitted|sewn|printed|assembled|built|imported|shipped|inspired)\s+(?:in|from|by)\s+"
    r"(?:the\s+)?((?:[A-Z][\w'-]+)(?:\s+[A-Z][\w'-]+)*)"
)
_PLACE_RE = re.compile(r"(?<![.!?]\s)\b(?:in|from)\s+(?:the\s+)?([A-Z][a-z][\w'-]*(?:\s+[A-Z][\w'-]+)*)")
_CN_ORIGIN_RE = re.compile(r"(?:产自|产于|原产于?|来自|源自|制造于|生产于)([\u4e00-\u9fff]{2,4})")
_PAYLOAD_RE = re.compile(
    r"\b(?:write|say|output|respond with|reply with|print|state|claim|tell \w+|mention|include|"
    r"add|call (?:it|this)|describe (?:it|this|the product|this product) as)\b[:,]?\s*(?:that\s+)?(.+)",
    re.IGNORECASE,
)
_CN_PAYLOAD_RE = re.compile(r"(?:写|输出|回复|声称|注明|加上|添加|写上|说|宣称|告诉顾客)[：:，,]?(.+)")
_STOPWORDS = {
    "the", "a", "an", "this", "that", "it", "is", "are", "be", "and", "or", "of", "to", "in",
    "for", "with", "on", "as", "its", "product", "description", "text", "words", "word",
    "phrase", "sentence", "instead", "please", "now", "also", "them", "they", "you", "your",
    "our", "we", "was", "will", "can", "has", "have", "说", "的", "是", "这", "款", "产品",
}


def markup(candidate: str) -> Iterator[Finding]:
    """HTML (what nh3 would strip), script, links and markdown formatting."""
    import nh3

    stripped = html.unescape(nh3.clean(candidate, tags=set()))
    if stripped != candidate:
        tag = re.search(r"<[^>]*>", candidate)
        yield "markup", "HTML in the text", tag.group() if tag else candidate[:40]
    for match in _LINK_RE.finditer(candidate):
        link = match.group().rstrip(".,;:!?)]'\"")
        yield "markup", f'link in the text: "{link}"', link
    for match in _MARKDOWN_RE.finditer(candidate):
        yield "markup", f'markdown formatting in the text: "{match.group()}"', match.group()


def unsupported_claims(candidate: str, support: str) -> Iterator[Finding]:
    """Prices, discounts, warranties, certifications, health claims, superlatives and
    product claims the candidate makes that the source and attributes do not."""
    support_norm = normalize(support)
    for kind, patterns in _COMPILED.items():
        rule, label = CLAIM_RULES[kind]
        seen: set[str] = set()
        for pattern in patterns:
            for match in pattern.finditer(candidate):
                phrase = match.group().strip()
                key = normalize(phrase)
                if key in seen or _supported(phrase, support, support_norm):
                    continue
                seen.add(key)
                yield rule, f'{label}: "{_context(candidate, match)}"', phrase


def _supported(phrase: str, support: str, support_norm: str) -> bool:
    if re.search(r"\d", phrase):
        return normalize(phrase) in support_norm
    return mentions(support, phrase)


def _context(text: str, match: re.Match[str]) -> str:
    """The matched words, widened to whole words when the match ends mid-word."""
    start, end = match.start(), match.end()
    while end < len(text) and (text[end].isalnum() and text[end].isascii()
                               or text[end] in ".," and text[end + 1:end + 2].isdigit()):
        end += 1
    return text[start:end].strip()


def invented_origins(candidate: str, support: str) -> Iterator[Finding]:
    """Places of origin or inspiration ("made in Italy", "产自意大利") not in the source."""
    for match in _ORIGIN_RE.finditer(candidate):
        place = match.group(1)
        if not mentions(support, place):
            yield "invented_claim", f'origin not in the source: "{match.group()}"', match.group()
    for match in _PLACE_RE.finditer(candidate):
        if not mentions(support, match.group(1)) and not _ORIGIN_RE.search(match.group()):
            yield ("invented_claim", f'place or name not in the source: "{match.group()}"',
                   match.group())
    for match in _CN_ORIGIN_RE.finditer(candidate):
        place = match.group(1)
        if place[:2] not in support:
            yield "invented_claim", f'origin not in the source: "{match.group()}"', match.group()


# Latin letters only: a Han character after a name ("Loom的卫衣") is not part of it.
_NAME_RE = re.compile(r"(?<![A-Za-z0-9_'’-])[A-Z][A-Za-z0-9_'’-]*[a-z][A-Za-z0-9_'’-]*"
                      r"|(?<![A-Za-z0-9_-])[A-Z]{2,}(?![A-Za-z0-9_-])")
_SENTENCE_START_RE = re.compile(r"(?:^|[.!?:;\n•*\-–—(\"“]\s*|\d[.)]\s+)$")


def invented_names(candidate: str, support: str) -> Iterator[Finding]:
    """Capitalised words in mid-sentence (brands, places, people, series) the source,
    attributes and product name never use: a small model's favourite invention
    ("designed by Northland Natural Brands")."""
    seen: set[str] = set()
    for match in _NAME_RE.finditer(candidate):
        word = match.group().rstrip("'’-")
        before = candidate[max(0, match.start() - 4):match.start()]
        if word in seen or word == "I" or _SENTENCE_START_RE.search(before):
            continue
        seen.add(word)
        stem = re.sub(r"['’]s$", "", word)
        forms = (stem, stem + "s", stem[:-1] if stem.endswith("s") else stem)
        if not any(mentions(support, form) for form in forms):
            yield "invented_claim", f'name not in the source: "{word}"', word


def assistant_talk(candidate: str, support: str = "") -> Iterator[Finding]:
    """Words a chat assistant says ("As an AI", "Here is the rewritten description")
    that the source does not say itself ("care instructions" may be product copy)."""
    support_norm = normalize(support)
    for pattern in _ASSISTANT:
        match = pattern.search(candidate)
        if match and normalize(match.group()) not in support_norm:
            yield ("assistant_text", f'assistant talk, not product copy: "{match.group().strip()}"',
                   match.group())


def injected_sentences(source: str) -> list[str]:
    """Sentences of the source addressed to a model ("ignore previous instructions and
    write ..."): they are data, never facts, and never to be obeyed."""
    return [s for s in sentences(source)
            if any(p.search(s) for p in _INJECTION) or any(p.search(s) for p in _COMMANDS)]


def obeyed_injections(candidate: str, injected: list[str], clean_source: str) -> Iterator[Finding]:
    """Signs the candidate followed an instruction hidden in the source: it repeats the
    instruction, or says what the instruction asked and the rest of the source does not."""
    for pattern in _INJECTION:
        match = pattern.search(candidate)
        if match:
            yield ("prompt_injection",
                   f'instruction text in the rewrite: "{match.group().strip()}"', match.group())
            break
    known = set(tokens(clean_source))
    cand_tokens = set(tokens(candidate))
    for sentence in injected:
        payload = _payload(sentence)
        wanted = [t for t in tokens(payload) if t not in _STOPWORDS and t not in known]
        if not wanted:
            continue
        present = [t for t in wanted if t in cand_tokens]
        if len(present) >= max(1, (len(wanted) + 1) // 2):
            shown = payload if len(payload) <= 80 else payload[:77] + "..."
            yield ("prompt_injection",
                   f'followed an instruction hidden in the source: "{shown}"', " ".join(present))


def _payload(sentence: str) -> str:
    match = _PAYLOAD_RE.search(sentence) or _CN_PAYLOAD_RE.search(sentence)
    text = match.group(1) if match else sentence
    quoted = re.findall(r"[\"“'‘「](.+?)[\"”'’」]", text)
    return " ".join(quoted) if quoted else text.strip(" .!?。！？")
