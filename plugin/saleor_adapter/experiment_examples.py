"""What the generator learns from experiments: for a product being rewritten, the
descriptions that won experiments on its nearest products (by product vector) as
examples, and the phrasings that lost (on it or on them) as counter-examples,
nearest first, each with its product's facts.
"""

from __future__ import annotations

from ..engine.content.facts import ProductFacts
from ..engine.content.prompts import PromptExample
from ..experiment_models import DescriptionExperimentArm
from ..models import EmbeddingSpace, SimilarProductList
from .content_catalog import product_texts

# Nearest products whose experiments are looked at.
EXAMPLE_NEIGHBOURS = 10
# Offered to the prompt (it shows the first few of each).
MAX_OFFERED = 4

Outcome = DescriptionExperimentArm.Outcome


def for_product(
    space: EmbeddingSpace | None, product_id: int, language_code: str = ""
) -> tuple[list[PromptExample], list[PromptExample]]:
    """(examples, counter-examples) for rewriting this product, nearest first."""
    neighbours: list[int] = []
    if space is not None:
        neighbours = (
            SimilarProductList.objects.filter(space=space, product_id=product_id)
            .values_list("product_ids", flat=True)
            .first()
        ) or []
    rank = {pid: position for position, pid in enumerate([product_id, *neighbours[:EXAMPLE_NEIGHBOURS]])}
    arms = (
        DescriptionExperimentArm.objects.filter(
            experiment__product_id__in=list(rank),
            experiment__language_code=language_code,
            index__gt=0,
            outcome__in=[Outcome.WON, Outcome.LOST],
        )
        .order_by("-experiment__started_at")
        .values_list("outcome", "experiment__product_id", "version_id", "version__text")
    )
    # A product's own winner is its description now: nothing to learn from for it.
    won = [a for a in arms if a[0] == Outcome.WON and a[1] != product_id]
    lost = [a for a in arms if a[0] == Outcome.LOST]
    won = sorted(won, key=lambda a: rank[a[1]])[:MAX_OFFERED]
    lost = sorted(lost, key=lambda a: rank[a[1]])[:MAX_OFFERED]
    texts = product_texts(sorted({a[1] for a in (*won, *lost)}), language_code)
    return _examples(won, texts), _examples(lost, texts)


def _examples(arms, texts) -> list[PromptExample]:
    return [
        PromptExample(
            key=str(version_id),
            product_name=texts[product_id].facts.name,
            facts=fact_lines(texts[product_id].facts),
            text=text,
        )
        for _outcome, product_id, version_id, text in arms
        if product_id in texts
    ]


def fact_lines(facts: ProductFacts) -> tuple[str, ...]:
    """A product's facts as the prompt lists them ("Material: cotton")."""
    lines = [f"Category: {facts.category}"] if facts.category else []
    lines += [
        f"{name}: {', '.join(str(v) for v in values)}"
        for name, values in facts.attributes.items()
        if values
    ]
    return tuple(lines)
