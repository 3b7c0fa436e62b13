"""Rewrite jobs behind the ``personalization_llm`` queue: for each product of a job,
generate candidates behind the guardrails, keep the proposals, auto-approve the best
when the merchant asked for it. The generator is loaded once per worker process.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict

from django.db import transaction
from django.utils import timezone

from ..content_models import RewriteJob
from ..engine.content.editorjs import from_text
from ..engine.content.generators.base import Generator, GeneratorError, make_generator
from ..engine.content.rewriting import RewriteResult, RewriteSettings, propose
from ..engine.encoder import encode
from ..models import SimilarProductList
from ..store.catalog_index import current_space
from . import content_versions, experiment_examples, services
from .config import PersonalizationConfig
from .content_catalog import audience_interests, audience_vectors, product_texts

logger = logging.getLogger(__name__)

# Descriptions of a product's nearest products that a candidate must not copy.
COPY_CHECK_NEIGHBOURS = 5
GENERATOR_TIMEOUT_S = 120.0

_generators: dict[tuple, Generator] = {}


def _example_settings(config: PersonalizationConfig) -> dict:
    """Where experiment winners are shown to the writer. The bundled 135M model wrote
    worse with quoted examples in every placement measured, and no worse (slightly
    better) with two winners shown as earlier chat exchanges answering the texts they
    beat (README), so it gets those; a chat-completions server's (typically larger)
    model is shown them quoted."""
    if config.generator_backend != "openai":
        return {
            "examples_in": ("rewrite",),
            "max_examples": 2,
            "max_counter_examples": 2,
            "example_chars": 400,
            "example_turns": True,
        }
    return {
        "examples_in": ("rewrite",),
        "max_examples": 3,
        "max_counter_examples": 2,
        "example_chars": 400,
    }


def generator_for(config: PersonalizationConfig) -> Generator:
    """The configured generator, created once per worker process and settings."""
    key = (
        config.generator_backend,
        config.generator_model,
        config.generator_url,
        config.generator_api_key,
    )
    if key not in _generators:
        if config.generator_backend == "openai":
            _generators[key] = make_generator(
                "openai",
                base_url=config.generator_url,
                model=config.generator_model,
                api_key=config.generator_api_key,
                timeout=GENERATOR_TIMEOUT_S,
            )
        else:
            _generators[key] = make_generator("local", model=config.generator_model or None)
    return _generators[key]


def create_job(
    product_ids: Sequence[int],
    *,
    language_code: str = "",
    instructions: str = "",
    candidates: int = 2,
    requested_by: str = "",
) -> RewriteJob:
    return RewriteJob.objects.create(
        product_ids=sorted({int(pid) for pid in product_ids}),
        language_code=language_code,
        instructions=instructions,
        candidates=candidates,
        requested_by=requested_by,
    )


def run_job(config: PersonalizationConfig, job_id) -> RewriteJob | None:
    """Work through a job's products, storing progress after each; a generator that
    cannot answer (wrong URL, refused key, timeout) ends the job with its message."""
    job = RewriteJob.objects.filter(pk=job_id).first()
    if job is None or job.status in (RewriteJob.Status.DONE, RewriteJob.Status.FAILED):
        return job
    job.status = RewriteJob.Status.RUNNING
    job.started_at = timezone.now()
    job.save(update_fields=["status", "started_at"])
    try:
        generator = generator_for(config)
        for product_id in job.product_ids[job.done :]:
            job.outcomes[str(product_id)] = rewrite_product(config, job, product_id, generator)
            job.done += 1
            job.save(update_fields=["done", "proposals", "outcomes"])
    except (GeneratorError, ValueError) as error:
        return _finish(job, RewriteJob.Status.FAILED, str(error))
    except Exception as error:
        # Recorded on the job (staff see it) and raised for the worker's log and the
        # plugin page's last problem.
        _finish(job, RewriteJob.Status.FAILED, f"internal error: {type(error).__name__}: {error}")
        raise
    return _finish(job, RewriteJob.Status.DONE)


def _finish(job: RewriteJob, status: str, error: str = "") -> RewriteJob:
    job.status = status
    job.error = error
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "finished_at"])
    return job


def rewrite_product(
    config: PersonalizationConfig, job: RewriteJob, product_id: int, generator: Generator
) -> str:
    """Proposals for one product; returns what happened, in words for the job's outcomes."""
    texts = product_texts([product_id], job.language_code)
    if product_id not in texts:
        return "the product no longer exists"
    text = texts[product_id]
    space = current_space()
    audience = audience_vectors(space, [product_id]).get(product_id) if space else None
    examples, counter_examples = experiment_examples.for_product(
        space, product_id, job.language_code
    )
    result = propose(
        text.facts,
        text.facts.description,
        generator=generator,
        settings=RewriteSettings(
            candidates=job.candidates,
            brand_voice=config.brand_voice,
            instructions=job.instructions,
            language=text.facts.language,
            **_example_settings(config),
        ),
        audience_interests=audience_interests(space, product_id) if space else (),
        other_products=_neighbour_descriptions(space, product_id, job.language_code),
        description_vector_fn=lambda candidate: encode(
            [candidate], config=services.encoder_config(config)
        )[0],
        audience_vector=audience,
        examples=examples,
        counter_examples=counter_examples,
    )
    # The best few, as many as drafts were asked for: staff review proposals one by one.
    proposals = result.proposals[: job.candidates]
    with transaction.atomic():
        versions = [
            content_versions.add_proposal(
                product_id,
                job.language_code,
                from_text(candidate.text),
                candidate.text,
                backend=result.backend,
                model=result.model,
                prompt_version=result.prompt_version,
                score=_score_dict(candidate.score, result),
                guardrails=candidate.report.as_dict(),
                job=job,
                author=job.requested_by,
                example_keys=result.example_keys,
            )
            for candidate in proposals
        ]
        job.proposals += len(versions)
        if versions and config.auto_promote:
            content_versions.approve(versions[0].pk, approver="system", approval="auto")
    return _outcome(result)


def _score_dict(score, result: RewriteResult) -> dict:
    values = asdict(score)
    values["previous_total"] = result.current_score.total
    return values


def _outcome(result: RewriteResult) -> str:
    if result.proposals:
        best = result.proposals[0].score.total
        return (
            f"{len(result.proposals)} proposal(s); best scores {best:.0f} "
            f"against {result.current_score.total:.0f} now"
        )
    if not result.candidates:
        return "the generator produced no usable text"
    broken = Counter(v.rule for c in result.candidates for v in c.report.violations)
    if broken:
        rules = ", ".join(f"{rule} ({count})" for rule, count in broken.most_common(3))
        return f"no proposal: {len(result.candidates)} candidate(s) broke guardrails: {rules}"
    return (
        f"no proposal: {len(result.candidates)} candidate(s) passed the guardrails but did not "
        f"score above the current {result.current_score.total:.0f}"
    )


def _neighbour_descriptions(space, product_id: int, language_code: str) -> list[str]:
    if space is None:
        return []
    neighbours = (
        SimilarProductList.objects.filter(space=space, product_id=product_id)
        .values_list("product_ids", flat=True)
        .first()
    ) or []
    others = product_texts(neighbours[:COPY_CHECK_NEIGHBOURS], language_code)
    return [t.facts.description for t in others.values() if t.facts.description]


def products_for_bulk(
    *,
    category_id: int | None = None,
    collection_id: int | None = None,
    max_total: float | None = None,
    limit: int = 500,
) -> list[int]:
    """Products of a category (and its subcategories), a collection, and/or scoring at
    most ``max_total``, weakest first, ``limit`` at most."""
    from saleor.product.models import Category, Product

    from ..content_models import DescriptionScore

    products = Product.objects.all()
    if category_id is not None:
        category = Category.objects.filter(pk=category_id).first()
        subtree = category.get_descendants(include_self=True) if category else []
        products = products.filter(category__in=subtree)
    if collection_id is not None:
        products = products.filter(collections__id=collection_id)
    ids = list(products.values_list("id", flat=True).distinct())
    if max_total is not None:
        scored = DescriptionScore.objects.filter(
            product_id__in=ids, language_code="", total__lte=max_total
        ).order_by("total", "product_id")
        return list(scored.values_list("product_id", flat=True)[:limit])
    return sorted(ids)[:limit]
