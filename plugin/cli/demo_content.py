"""The demo's content steps: score the sample catalog's descriptions, rewrite the weakest
with the local model, and show the result beside the original with its guardrail report
and score change (``saleor-personalization demo``; ``--no-content`` skips them)."""

from __future__ import annotations

import argparse
import shutil
import sys
import textwrap
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import zip_longest
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    import numpy as np

    from ..engine.content.facts import ProductFacts
    from ..engine.content.generators.base import Generator
    from ..engine.content.rewriting import Candidate, RewriteResult
    from ..engine.content.scoring import ContentScore
    from ..engine.documents import ProductDocument
    from ..engine.recommender import Recommender
    from ..standalone.sample_shop import SampleShop

# Texts -> one vector per text (the engine's encoder in the demo).
VectorsFn = Callable[[Sequence[str]], "np.ndarray"]
TABLE_ROWS = 10
SIDE_BY_SIDE_WIDTH = 100
MAX_WIDTH = 160


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-content", action="store_true",
        help="skip the content steps (scoring descriptions, rewriting the weakest with the "
        "local model, which takes ~25 s to load the first time)",
    )


@dataclass(frozen=True)
class ScoredProduct:
    product_id: int
    facts: ProductFacts
    score: ContentScore


def run(shop: SampleShop, recommender: Recommender, *, out: TextIO | None = None) -> int:
    """The content steps on the demo's shop, after its recommendations; 1 when the
    local model could not run."""
    from ..engine.content.generators import GeneratorError, make_generator
    from ..engine.encoder import encode

    out = out or sys.stdout
    facts = sample_facts(shop.documents)
    audience, source = demo_audience(shop, recommender)
    section("Description scores (weakest first)", out)
    print(f"Audience vector: {source}", file=out)
    _progress(f"Scoring {len(facts)} descriptions")
    scored = score_catalog(facts, audience, encode)
    print_score_table(scored, out)
    weakest = scored[0]
    others = [facts[item.product_id].description
              for item in recommender.similar_products(weakest.product_id, 5)
              if item.product_id in facts]
    section(f"Rewriting the weakest description: {weakest.facts.name}", out)
    try:
        generator = make_generator("local")
        rewrite(weakest, generator, audience, encode, out=out, other_products=others)
    except GeneratorError as exc:
        print(f"The local model could not run: {exc}", file=out)
        print(f"error: generator: {exc}", file=sys.stderr)
        return 1
    return 0


def sample_facts(documents: Iterable[ProductDocument]) -> dict[int, ProductFacts]:
    """The sample products as the content engine reads them (category: the leaf, as in
    Saleor; description as plain text)."""
    from ..engine.content.editorjs import to_text
    from ..engine.content.facts import ProductFacts
    from ..engine.content.guardrails import attribute_values

    return {
        doc.product_id: ProductFacts(
            name=doc.name,
            category=doc.category_path[-1] if doc.category_path else "",
            attributes=attribute_values(doc.attributes),
            description=to_text(doc.description or None),
            language="en",
        )
        for doc in documents
    }


def demo_audience(shop: SampleShop, recommender: Recommender) -> tuple[np.ndarray | None, str]:
    """The mean of the demo shoppers' long-term preference vectors; without any, the
    mean of the catalog's product vectors."""
    store = recommender.store
    states = [store.load_profile(shopper.key) for shopper in shop.shoppers]
    preferences = [state.preference() for state in states if state is not None]
    return mean_vector(
        [p for p in preferences if p is not None],
        lambda: list(store.vectors([doc.product_id for doc in shop.documents]).values()),
    )


def mean_vector(
    preferences: Sequence[np.ndarray], catalog: Callable[[], Sequence[np.ndarray]]
) -> tuple[np.ndarray | None, str]:
    import numpy as np

    if preferences:
        return (np.mean(np.stack(preferences), axis=0).astype(np.float32),
                f"mean of {len(preferences)} shoppers' preference vectors")
    vectors = catalog()
    if vectors:
        return (np.mean(np.stack(vectors), axis=0).astype(np.float32),
                f"mean of {len(vectors)} product vectors (no shopper profiles)")
    return None, "none (alignment counted as neutral)"


def score_catalog(
    facts: Mapping[int, ProductFacts], audience: np.ndarray | None, vectors_fn: VectorsFn
) -> list[ScoredProduct]:
    """Every product's description scored, weakest first."""
    from ..engine.content.scoring import score

    described = [pid for pid, f in facts.items() if f.description]
    vectors = dict(zip(described, vectors_fn([facts[pid].description for pid in described])))
    scored = [
        ScoredProduct(pid, f, score(f.description, f, description_vector=vectors.get(pid),
                                    audience_vector=audience, language=f.language))
        for pid, f in facts.items()
    ]
    return sorted(scored, key=lambda s: (s.score.total, s.product_id))


def print_score_table(scored: Sequence[ScoredProduct], out: TextIO,
                      rows: int = TABLE_ROWS, width: int | None = None) -> None:
    import numpy as np

    width = width or terminal_width()
    head = f"  {'product':<40} {'total':>5} {'compl':>5} {'read':>5} {'len':>5}  "
    print(f"{head}first suggestion", file=out)
    room = max(20, width - len(head))
    for item in scored[:rows]:
        s = item.score
        suggestion = s.suggestions[0] if s.suggestions else "-"
        print(f"  {_clip(item.facts.name, 40):<40} {s.total:5.1f} {s.completeness:5.2f} "
              f"{s.readability:5.2f} {s.length:5.2f}  {_clip(suggestion, room)}", file=out)
    if len(scored) > rows:
        totals = [item.score.total for item in scored]
        print(f"  ... {len(scored) - rows} more; all {len(scored)}: mean {np.mean(totals):.1f}, "
              f"best {max(totals):.1f}", file=out)


def rewrite(
    weakest: ScoredProduct,
    generator: Generator,
    audience: np.ndarray | None,
    vectors_fn: VectorsFn,
    *,
    out: TextIO,
    other_products: Sequence[str] = (),
    width: int | None = None,
) -> RewriteResult:
    """Rewrite ``weakest``'s description with ``generator`` and print the outcome."""
    from ..engine.content.rewriting import RewriteSettings, propose

    settings = RewriteSettings(candidates=2)
    loading = " (loading it takes ~25 s the first time)" if generator.name == "local" else ""
    _progress(f"Rewriting with the {generator.name} model {generator.model}{loading}")
    started = time.perf_counter()
    result = propose(
        weakest.facts, weakest.facts.description, generator=generator, settings=settings,
        other_products=other_products,
        description_vector_fn=lambda text: vectors_fn([text])[0],
        audience_vector=audience,
    )
    print(f"{len(result.candidates)} candidates from {result.backend} ({result.model}, "
          f"prompt {result.prompt_version}) in {time.perf_counter() - started:.1f}s", file=out)
    print_rewrite(weakest.facts.description, result, settings.min_gain, out=out, width=width)
    return result


def print_rewrite(original: str, result: RewriteResult, min_gain: float, *, out: TextIO,
                  width: int | None = None) -> None:
    """The best candidate beside the original, its guardrail report and the score
    change; says plainly when no candidate passed."""
    width = width or terminal_width()
    changed = [c for c in result.candidates if not _same(c.text, original)]
    accepted = [c for c in changed if c.report.accepted]
    proposals = result.proposals
    print(f"{len(accepted)} of {len(changed)} changed candidates passed the guardrails; "
          f"{len(proposals)} also beat the original's score by {min_gain:g} or more.", file=out)
    if proposals:
        best, label = proposals[0], "proposal"
    elif accepted:
        best = max(accepted, key=lambda c: c.score.total)
        label = "passed, not better"
        print("No candidate improved the score enough to be proposed; the best one that "
              "passed the guardrails:", file=out)
    elif changed:
        best = min(changed, key=lambda c: (len(c.report.violations), -c.score.total))
        label = "REJECTED"
        print("No candidate passed the guardrails. The best rejected candidate, with its "
              "violations:", file=out)
    else:
        print("The model produced no text that differs from the original.", file=out)
        return
    print(file=out)
    print_side_by_side(
        f"Original ({result.current_score.total:.1f})", original,
        f"Rewritten: {best.origin}, {label} ({best.score.total:.1f})", best.text,
        out=out, width=width,
    )
    print(file=out)
    print_report(best, out)
    print_score_change(result.current_score, best.score, out)


def print_side_by_side(left_title: str, left: str, right_title: str, right: str, *,
                       out: TextIO, width: int) -> None:
    """Two texts in columns on a wide terminal, one after the other otherwise."""
    if width < SIDE_BY_SIDE_WIDTH:
        for title, text in ((left_title, left), (right_title, right)):
            print(f"{title}:", file=out)
            for line in _wrap(text, width - 2):
                print(f"  {line}", file=out)
        return
    column = (width - 5) // 2
    rows = zip_longest([left_title, "-" * len(left_title), *_wrap(left, column)],
                       [right_title, "-" * len(right_title), *_wrap(right, column)],
                       fillvalue="")
    for a, b in rows:
        print(f"  {a:<{column}} | {b}".rstrip(), file=out)


def print_report(candidate: Candidate, out: TextIO) -> None:
    report = candidate.report
    if report.accepted:
        print("Guardrails: accepted (no rule broken)", file=out)
    else:
        print(f"Guardrails: rejected ({len(report.violations)} violation(s))", file=out)
    for violation in report.violations:
        print(f"  - {violation.rule}: {violation.detail}", file=out)
    for repair in candidate.repairs:
        print(f"  repaired: {repair}", file=out)


def print_score_change(before: ContentScore, after: ContentScore, out: TextIO) -> None:
    delta = after.total - before.total
    print(f"Score: {before.total:.1f} → {after.total:.1f} ({delta:+.1f})", file=out)
    parts = ("alignment", "completeness", "readability", "length")
    print("  " + ", ".join(f"{name} {getattr(before, name):.2f} → {getattr(after, name):.2f}"
                           for name in parts), file=out)


def terminal_width() -> int:
    return min(MAX_WIDTH, shutil.get_terminal_size((120, 24)).columns)


def section(title: str, out: TextIO) -> None:
    print(f"\n== {title} ==", file=out)


def _progress(message: str) -> None:
    print(f"{message} ...", file=sys.stderr, flush=True)


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        lines += textwrap.wrap(paragraph, max(20, width)) or [""]
    return lines


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


def _clip(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"
