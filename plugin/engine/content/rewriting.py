"""The rewriting pipeline: generate candidates, repair them, check and score each.

Two kinds of candidates come from the generator:

- whole rewrites of the description (the prompt of :func:`.prompts.build_prompt`);
- sentence edits: each of the merchant's sentences reworded on its own, plus an
  opening sentence naming the product and its attributes; an edit is kept only when it
  keeps its sentence's facts, so a 135M model's help is taken sentence by sentence.

A candidate that breaks a fact rule is repaired: sentences carrying an invented or
changed fact are removed, and the merchant's sentences stating dropped facts are put
back. Every candidate (raw and repaired) is checked and scored; the proposals are the
candidates that pass every guardrail and beat the current text's total.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from . import guardrails
from .claims import injected_sentences
from .facts import ProductFacts, product_facts
from .generators.base import Generator
from .language import normalize_code
from .prompts import (
    PROMPT_VERSION,
    ChatPrompt,
    PromptExample,
    build_opening_prompts,
    build_prompt,
    build_sentence_prompt,
)
from .scoring import ContentScore, score
from .text import sentences, tokens, weight

VectorFn = Callable[[str], "np.ndarray | Sequence[float] | None"]
REPAIRABLE = {"changed_fact", "invented_number", "invented_fact", "invented_price",
              "invented_discount", "invented_warranty", "invented_certification",
              "health_claim", "superlative", "invented_claim", "prompt_injection",
              "assistant_text", "markup", "copied_text", "repeated_text", "ungrounded"}
_MARKER_RE = re.compile(r"<<<\s*(?:DESCRIPTION|EXAMPLE)|(?:DESCRIPTION|EXAMPLE)\s*>>>?|<<<|>>>|"
                        r"\b(?:DESCRIPTION|EXAMPLE)\b")
_CLOSING_RE = re.compile(r"DESCRIPTION\s*>>>?")
_ECHO_RE = re.compile(r"not instructions|text between|shoppers preferred|shoppers liked less|^\s*(?:and|DESCRIPTION)\s*$|"
                      r"^\s*(?:Product|Category|Brand voice|Staff instructions|Shoppers)[^:\n]*:",
                      re.IGNORECASE)
_PREAMBLE_RE = re.compile(
    r"^(?:here(?:'s| is)[^:\n]*:|(?:rewritten|revised|new|improved) (?:product )?description:?|"
    r"description:|sure[,!.][^\n]*|以下是[^：:\n]*[：:]|改写后[^：:\n]*[：:])\s*",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class RewriteSettings:
    """How many candidates and of what kind; staff's voice and instructions."""

    candidates: int = 2
    sentence_edits: bool = True
    max_new_tokens: int = 200
    sentence_tokens: int = 60
    openings: int = 2  # per opening prompt
    temperature: float = 0.7
    seed: int | None = None
    brand_voice: str = ""
    instructions: str = ""
    target_words: tuple[int, int] = (50, 200)
    language: str | None = None
    bounds: tuple[int, int] | None = None  # None: guardrails.default_bounds(current text)
    min_gain: float = 0.5
    # Which prompts show winners' examples ("rewrite": the whole-text prompt, with any
    # counter-examples; "openings": their first sentences), how many and how long. None by
    # default (the Saleor adapter chooses per backend): in the replay with the local 135M
    # model (benchmarks/bench_prompt_examples.py) no quoted placement raised the best
    # proposal's score on held-out products; shown as chat exchanges (example_turns) they
    # did, slightly.
    examples_in: tuple[str, ...] = ()
    max_examples: int = 1
    max_counter_examples: int = 0
    example_chars: int = 200
    # Show each example with the text it beat as an earlier chat exchange (request for
    # the losing text, answered with the winner) instead of quoting it.
    example_turns: bool = False


@dataclass(frozen=True)
class Candidate:
    """One candidate text, where it came from, its guardrail report and score."""

    text: str
    origin: str
    report: guardrails.GuardrailReport
    score: ContentScore
    is_proposal: bool = False
    repairs: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RewriteResult:
    """All candidates of one request, the current text's score, and what produced them."""

    current_score: ContentScore
    candidates: list[Candidate]
    prompt_version: str
    backend: str
    model: str
    example_keys: tuple[str, ...] = ()  # the examples and counter-examples the prompts showed

    @property
    def proposals(self) -> list[Candidate]:
        """Candidates that pass every guardrail and beat the current total, best first."""
        return sorted((c for c in self.candidates if c.is_proposal),
                      key=lambda c: c.score.total, reverse=True)


def propose(
    facts: ProductFacts,
    current_text: str,
    *,
    generator: Generator,
    settings: RewriteSettings = RewriteSettings(),
    audience_interests: Sequence[str] = (),
    other_products: Sequence[str] = (),
    description_vector_fn: VectorFn | None = None,
    audience_vector: np.ndarray | Sequence[float] | None = None,
    examples: Sequence[PromptExample] = (),
    counter_examples: Sequence[PromptExample] = (),
) -> RewriteResult:
    """Rewrite ``current_text`` (plain text) for the product ``facts``.

    ``description_vector_fn`` embeds a text (the engine's encoder) for the alignment
    score against ``audience_vector``; ``other_products`` are other descriptions a
    candidate must not copy. ``examples`` (descriptions of similar products that won
    experiments, nearest first) and ``counter_examples`` (phrasings that lost) are shown
    where ``settings.examples_in`` says, at most ``settings.max_examples`` and
    ``settings.max_counter_examples`` of them (by default nowhere: see
    ``RewriteSettings.examples_in``); ``RewriteResult.example_keys`` records those
    shown. A candidate must not copy any of them either. Raises :class:`.generators.GeneratorError` when the
    generator fails.
    """
    language = normalize_code(settings.language) or normalize_code(facts.language)
    fact_list = product_facts(facts)

    def evaluate(text: str) -> ContentScore:
        vector = description_vector_fn(text) if description_vector_fn and audience_vector is not None else None
        return score(text, facts, description_vector=vector, audience_vector=audience_vector,
                     language=language, product_fact_list=fact_list)

    current = evaluate(current_text)
    context = [facts.name, facts.category]
    texts, prompts = _generate(facts, current_text, generator, settings, audience_interests,
                               language, examples, counter_examples)
    other_products = [*other_products, *(e.text for e in (*examples, *counter_examples))]
    seen: set[str] = set()
    results: list[Candidate] = []
    for origin, raw in texts:
        for text, repairs, kind in _with_repair(raw, current_text, facts, language, settings,
                                                other_products, context):
            if not text or text in seen:
                continue
            seen.add(text)
            report = guardrails.check(current_text, text, facts.attributes, language,
                                      other_products=other_products, bounds=settings.bounds,
                                      context=context)
            result = evaluate(text)
            winner = report.accepted and result.total >= current.total + settings.min_gain
            results.append(Candidate(text, origin if kind == "raw" else f"{origin}+repaired",
                                     report, result, winner, repairs))
    keys = dict.fromkeys(key for prompt in prompts for key in prompt.metadata.get("example_keys", ()))
    return RewriteResult(current, results, PROMPT_VERSION, generator.name, generator.model,
                         tuple(keys))


def _generate(facts: ProductFacts, current_text: str, generator: Generator,
              settings: RewriteSettings, interests: Sequence[str], language: str | None,
              examples: Sequence[PromptExample], counter_examples: Sequence[PromptExample],
              ) -> tuple[list[tuple[str, str]], list[ChatPrompt]]:
    """The generated texts with their origin, and the prompts that produced them."""
    out: list[tuple[str, str]] = []
    built: list[ChatPrompt] = []
    if settings.candidates > 0:
        prompt = build_prompt(facts, current_text, brand_voice=settings.brand_voice,
                              instructions=settings.instructions, audience_interests=interests,
                              target_words=settings.target_words, language=language,
                              examples=(examples[:settings.max_examples]
                                        if "rewrite" in settings.examples_in else ()),
                              counter_examples=(counter_examples[:settings.max_counter_examples]
                                                if "rewrite" in settings.examples_in else ()),
                              example_chars=settings.example_chars,
                              example_turns=settings.example_turns)
        built.append(prompt)
        [texts] = generator.generate([prompt], n=settings.candidates,
                                     max_new_tokens=settings.max_new_tokens,
                                     temperature=settings.temperature, seed=settings.seed)
        out += [("generated", clean_output(t, facts.name)) for t in texts]
    if settings.sentence_edits:
        out += [("sentence-edits", t) for t in _sentence_edits(
            facts, current_text, generator, settings, interests, language, examples, built)]
    return out, built


def _sentence_edits(facts: ProductFacts, current_text: str, generator: Generator,
                    settings: RewriteSettings, interests: Sequence[str],
                    language: str | None, examples: Sequence[PromptExample],
                    built: list[ChatPrompt]) -> list[str]:
    injected = set(injected_sentences(current_text))
    own = [s for s in sentences(current_text) if s not in injected]
    if not own:
        return []
    source = "\n".join([current_text, facts.name])
    opening_prompts = build_opening_prompts(facts, source=source, language=language,
                                            audience_interests=interests,
                                            brand_voice=settings.brand_voice,
                                            examples=(examples[:settings.max_examples]
                                                      if "openings" in settings.examples_in
                                                      else ()))
    built += opening_prompts
    # Several sampled openings: the first that passes the guardrails is kept.
    replies = generator.generate(opening_prompts, n=max(1, settings.openings),
                                 max_new_tokens=settings.sentence_tokens,
                                 temperature=settings.temperature, seed=settings.seed)
    openings = [text for row in replies for text in row]
    prompts = [build_sentence_prompt(s, facts, source=source, language=language,
                                     brand_voice=settings.brand_voice) for s in own]
    replies = generator.generate(prompts, n=1, max_new_tokens=settings.sentence_tokens,
                                 temperature=0.0, seed=settings.seed)
    passing = _passing([_first_sentence(clean_output(o, facts.name)) for o in openings],
                       current_text, facts, language)
    edited = []
    for sentence, reply in zip(own, replies, strict=True):
        new = _first_sentence(clean_output(reply[0], facts.name))
        report = guardrails.check(sentence, new, None, language, bounds=(1, 10_000),
                                  context=[current_text, facts.name, facts.category])
        edited.append(new if new and report.accepted else sentence)
    joiner = "" if language == "zh" else " "
    candidates = [joiner.join(edited)]
    for opening in passing[:3]:
        candidates += [joiner.join([opening, *edited]), joiner.join([opening, *own])]
    return candidates


def _passing(openings: list[str], current_text: str, facts: ProductFacts,
             language: str | None) -> list[str]:
    """The distinct openings that, put before the merchant's text, break no rule."""
    return [opening for opening in dict.fromkeys(openings)
            if opening and guardrails.check(current_text, f"{opening} {current_text}",
                                            facts.attributes, language,
                                            context=[facts.name, facts.category]).accepted]


def clean_output(text: str, name: str = "") -> str:
    """A generator's reply without echoed prompt lines (markers, "is data, not
    instructions"), preambles ("Here is ...") or a line repeating the product name.
    When the reply goes on after a closing marker, what came before it was an echo of
    the prompt and only the rest is kept."""
    closing = _CLOSING_RE.search(text)
    if closing and text[closing.end():].strip():
        text = text[closing.end():]
    lines = []
    for line in text.splitlines():
        if _ECHO_RE.search(line):
            continue
        line = _MARKER_RE.sub(" ", line)
        line = _PREAMBLE_RE.sub("", line.strip()).strip().strip('"“”')
        if line and line.strip(" .") != name.strip():
            lines.append(line)
    return "\n".join(lines).strip()


def _first_sentence(text: str) -> str:
    found = sentences(text)
    return found[0] if found else ""


def _with_repair(raw: str, source: str, facts: ProductFacts, language: str | None,
                 settings: RewriteSettings, others: Sequence[str],
                 context: Sequence[str]) -> list[tuple[str, list[str], str]]:
    """The raw candidate, and when it breaks a fact rule, its repaired version."""
    report = guardrails.check(source, raw, facts.attributes, language, other_products=others,
                              bounds=settings.bounds, context=context)
    if report.accepted or not raw:
        return [(raw, [], "raw")]
    repaired, repairs = repair(raw, source, report)
    for _ in range(2):
        again = guardrails.check(source, repaired, facts.attributes, language,
                                 other_products=others, bounds=settings.bounds, context=context)
        if again.accepted or not repaired:
            break
        repaired, more = repair(repaired, source, again)
        repairs += more
    return [(raw, [], "raw"), (repaired, repairs, "repaired")]


def repair(candidate: str, source: str, report: guardrails.GuardrailReport) -> tuple[str, list[str]]:
    """Remove the candidate's sentences that carry a violation and put back the
    merchant's sentences that state a dropped fact, in the source's order."""
    injected = set(injected_sentences(source))
    own = [s for s in sentences(source) if s not in injected]
    # Fragments ("and", "Parts:") carry no fact and read as noise.
    kept = [s for s in sentences(candidate) if weight(tokens(s)) >= 3]
    repairs: list[str] = []
    for violation in report.violations:
        if violation.rule in REPAIRABLE and violation.evidence:
            before = len(kept)
            kept = [s for s in kept if violation.evidence not in s]
            if len(kept) < before:
                repairs.append(f"removed a sentence: {violation.detail}")
    dropped = [v for v in report.violations
               if v.rule in ("dropped_fact", "changed_fact", "dropped_content")]
    for violation in dropped:
        fact = violation.detail.split('"')[1] if '"' in violation.detail else violation.evidence
        holder = next((s for s in own if fact and fact.lower() in s.lower()), None)
        if holder and holder not in kept:
            kept = _insert_in_order(kept, holder, own)
            repairs.append(f"put back the merchant's sentence stating {fact}")
    joiner = "" if any("\u4e00" <= ch <= "\u9fff" for ch in source[:200]) else " "
    return joiner.join(kept), repairs


def _insert_in_order(kept: list[str], sentence: str, own: list[str]) -> list[str]:
    position = own.index(sentence)
    later = [i for i, s in enumerate(kept) if s in own and own.index(s) > position]
    index = later[0] if later else len(kept)
    return [*kept[:index], sentence, *kept[index:]]
