"""Description versions: proposals kept, approved into Saleor, rejected, rolled back.

Every description a product had is kept. Before a version goes live, the
description the product shows now is recorded (the first one as the original, a
later one changed in the dashboard as a manual edit), so any of them can be put
back. Putting one live writes it into Saleor (the product, or its translation)
and fires Saleor's own product-updated path, so webhooks run and the product is
re-read for recommendations.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from ..content_models import DescriptionVersion
from ..engine.content.editorjs import to_text
from ..engine.documents import content_hash

Status = DescriptionVersion.Status
Origin = DescriptionVersion.Origin


class VersionError(ValueError):
    """A version cannot be used as asked; ``code`` is the GraphQL error code."""

    def __init__(self, message: str, code: str = "invalid", field: str = "id") -> None:
        super().__init__(message)
        self.code = code
        self.field = field


def shown_description(product, language_code: str = "", using: str | None = None) -> Any:
    """The Editor.js description the product shows in ``language_code`` (its own
    description where it has no translation); ``using``: the connection to read."""
    if language_code:
        translations = product.translations.all()
        if using is not None:
            translations = translations.using(using)
        translation = translations.filter(language_code=language_code).first()
        if translation is not None and translation.description:
            return translation.description
    return product.description


def record_live(product, language_code: str = "") -> DescriptionVersion:
    """The live version of the description shown now, recorded if it is not yet."""
    description = shown_description(product, language_code)
    text = to_text(description)
    digest = content_hash(text)
    versions = DescriptionVersion.objects.select_for_update().filter(
        product_id=product.pk, language_code=language_code
    )
    live = versions.filter(status=Status.LIVE).first()
    if live is not None and live.text_hash == digest:
        return live
    if live is not None:
        live.status = Status.RETIRED
        live.save(update_fields=["status"])
    return DescriptionVersion.objects.create(
        product_id=product.pk,
        language_code=language_code,
        status=Status.LIVE,
        # The first description ever shown is the original; later ones were edited.
        origin=(
            Origin.MANUAL
            if versions.filter(status__in=[Status.LIVE, Status.RETIRED]).exists()
            else Origin.ORIGINAL
        ),
        description=description or {},
        text=text,
        text_hash=digest,
        author="dashboard",
        decided_at=timezone.now(),
    )


def add_proposal(
    product_id: int,
    language_code: str,
    description: dict,
    text: str,
    *,
    backend: str,
    model: str,
    prompt_version: str,
    score: dict,
    guardrails: dict,
    job=None,
    author: str = "",
    example_keys: Sequence[str] = (),
) -> DescriptionVersion:
    return DescriptionVersion.objects.create(
        product_id=product_id,
        language_code=language_code,
        status=Status.PROPOSED,
        origin=Origin.GENERATED,
        description=description,
        text=text,
        text_hash=content_hash(text),
        backend=backend,
        model=model,
        prompt_version=prompt_version,
        score=score,
        guardrails=guardrails,
        job=job,
        author=author,
        example_keys=list(example_keys),
    )


def approve(version_id, *, approver: str, approval: str = "staff") -> DescriptionVersion:
    """Put a proposal live (see the module's docstring)."""
    with transaction.atomic():
        version = _locked(version_id)
        if version.status != Status.PROPOSED:
            raise VersionError(f"only a proposal can be approved; this version is {version.status}")
        return _make_live(version, approver=approver, approval=approval)


def reject(version_id, *, approver: str, reason: str = "") -> DescriptionVersion:
    with transaction.atomic():
        version = _locked(version_id)
        if version.status != Status.PROPOSED:
            raise VersionError(f"only a proposal can be rejected; this version is {version.status}")
        version.status = Status.REJECTED
        version.approver = approver
        version.reason = reason
        version.decided_at = timezone.now()
        version.save(update_fields=["status", "approver", "reason", "decided_at"])
        return version


def rollback(product_id: int, version_id, *, approver: str) -> DescriptionVersion:
    """Put back a version that was live before (the original, an approved proposal, a
    manual edit)."""
    with transaction.atomic():
        version = _locked(version_id)
        if version.product_id != product_id:
            raise VersionError("this version belongs to another product", "not_found", "versionId")
        if version.status not in (Status.RETIRED, Status.LIVE):
            raise VersionError(
                f"only a version that was live can be put back; this one is {version.status}",
                field="versionId",
            )
        if version.status == Status.LIVE:
            return version
        return _make_live(version, approver=approver, approval="staff")


def _locked(version_id) -> DescriptionVersion:
    version = DescriptionVersion.objects.select_for_update().filter(pk=version_id).first()
    if version is None:
        raise VersionError("no description version with this id", "not_found")
    return version


def _make_live(version: DescriptionVersion, *, approver: str, approval: str) -> DescriptionVersion:
    from saleor.product.models import Product

    product = Product.objects.select_for_update().filter(pk=version.product_id).first()
    if product is None:
        raise VersionError("the product of this version no longer exists", "not_found")
    current = record_live(product, version.language_code)
    if current.pk != version.pk:
        current.status = Status.RETIRED
        current.save(update_fields=["status"])
    version.status = Status.LIVE
    version.approver = approver
    version.approval = approval
    version.decided_at = timezone.now()
    version.save(update_fields=["status", "approver", "approval", "decided_at"])
    _write_to_saleor(product, version.language_code, version.description)
    return version


def _write_to_saleor(product, language_code: str, description: dict) -> None:
    from saleor.core.editorjs.converters import clean_editorjs, editorjs_to_text
    from saleor.core.utils.events import call_event
    from saleor.plugins.manager import get_plugins_manager

    cleaned = clean_editorjs(description)
    manager = get_plugins_manager(allow_replica=False)
    if language_code:
        translation, _created = product.translations.update_or_create(
            language_code=language_code, defaults={"description": cleaned}
        )
        call_event(manager.translations_updated, [translation])
        return
    product.description = cleaned
    product.description_plaintext = editorjs_to_text(cleaned)
    product.search_index_dirty = True
    product.save(
        update_fields=["description", "description_plaintext", "search_index_dirty", "updated_at"]
    )
    call_event(manager.product_updated, product)
