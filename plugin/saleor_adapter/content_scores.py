"""Scoring every product's description against its audience (see engine.content.scoring).

Recomputed for a product when it is re-indexed (its text may have changed) and
periodically for products saved since their score, or scored more than a day ago
(their audience moves with what shoppers do).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from ..content_models import DescriptionScore
from ..engine.content.scoring import ContentScore, score
from ..engine.documents import content_hash
from ..engine.encoder import encode
from ..store.catalog_index import current_space
from . import services
from .config import PersonalizationConfig
from .content_catalog import audience_vectors, product_texts

MAX_AGE = timedelta(days=1)


def score_products(
    config: PersonalizationConfig, product_ids: Sequence[int], language_code: str = ""
) -> dict[int, ContentScore]:
    """Score these products' descriptions now and store the scores; deleted products and
    a catalog not indexed with the configured model yet give nothing."""
    space = current_space()
    if space is None or space.model_name != config.embedding_model or not product_ids:
        return {}
    texts = product_texts(product_ids, language_code)
    audiences = audience_vectors(space, list(texts))
    described = [pid for pid, text in texts.items() if text.facts.description]
    vectors = dict(
        zip(
            described,
            encode(
                [texts[pid].facts.description for pid in described],
                config=services.encoder_config(config),
            ),
        )
    )
    scores = {
        pid: score(
            text.facts.description,
            text.facts,
            description_vector=vectors.get(pid),
            audience_vector=audiences.get(pid),
            language=text.facts.language,
        )
        for pid, text in texts.items()
    }
    now = timezone.now()
    DescriptionScore.objects.bulk_create(
        [
            DescriptionScore(
                product_id=pid,
                language_code=language_code,
                total=result.total,
                alignment=result.alignment,
                completeness=result.completeness,
                readability=result.readability,
                length=result.length,
                suggestions=list(result.suggestions),
                text_hash=content_hash(texts[pid].facts.description),
                computed_at=now,
            )
            for pid, result in scores.items()
        ],
        update_conflicts=True,
        unique_fields=["product_id", "language_code"],
        update_fields=[
            "total", "alignment", "completeness", "readability", "length", "suggestions",
            "text_hash", "computed_at",
        ],
    )
    return scores


def due_products(limit: int, max_age: timedelta = MAX_AGE) -> list[int]:
    """Products without a current score: never scored, saved since, or scored long ago."""
    from saleor.product.models import Product

    fresh = DescriptionScore.objects.filter(
        product_id=OuterRef("pk"),
        language_code="",
        computed_at__gte=OuterRef("updated_at"),
    ).filter(Q(computed_at__gte=timezone.now() - max_age))
    return list(
        Product.objects.filter(~Exists(fresh))
        .order_by("updated_at", "id")
        .values_list("id", flat=True)[:limit]
    )
