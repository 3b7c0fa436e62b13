"""Content optimization inside Saleor: scores, rewrite jobs, approval into Saleor's
product, rollback, permissions, against real Saleor, PostgreSQL + pgvector and MiniLM.

Generation goes through the OpenAI-compatible backend to a real HTTP server started
here that answers like a chat-completions server would (a stronger model's faithful
rewrite), so the whole path runs: mutation, Celery task, prompts, guardrails,
scoring, stored proposals. The bundled local model runs once for real at the end.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import graphene
import pytest
from saleor.graphql.tests.utils import assert_no_permission, get_graphql_content
from saleor.product.models import Product, ProductTranslation
from saleor_personalization.content_models import DescriptionScore, DescriptionVersion, RewriteJob
from saleor_personalization.engine.content.editorjs import to_text
from saleor_personalization.models import ProductVector
from saleor_personalization.saleor_adapter import catalog_jobs, content_jobs, content_versions
from saleor_personalization.saleor_adapter.config import PersonalizationConfig
from support import list_product

TEE = "Organic cotton tee"
MUG = "Stoneware mug"
SOURCES = {
    TEE: "Organic cotton tee. 180 gsm jersey. GOTS certified.",
    MUG: "Stoneware mug, 350 ml. Dishwasher safe.",
}
# What a capable model answers: every fact kept, nothing invented (every word grounded in
# the source, the product or plain connective vocabulary), easier to read.
REWRITES = {
    TEE: (
        "This organic cotton tee is made from a soft 180 gsm jersey. The cotton is GOTS "
        "certified. It is a simple, comfortable tee that you can wear every day, on its own "
        "or with your favourite pieces."
    ),
    MUG: (
        "This stoneware mug holds 350 ml. It is dishwasher safe, so cleaning up is easy. It "
        "is a simple, practical stoneware mug that you can use every day, at home or at work."
    ),
}

REWRITE = """
mutation($id: ID!, $candidates: Int, $language: LanguageCodeEnum) {
  productDescriptionRewrite(productId: $id, candidates: $candidates, languageCode: $language) {
    job { id status total done proposals error outcomes { productId outcome } }
    errors { field code message }
  }
}"""
BULK = """
mutation($category: ID, $max: Float) {
  productDescriptionsRewrite(categoryId: $category, maxTotal: $max, candidates: 1) {
    job { id status total done proposals }
    errors { field code message }
  }
}"""
VARIANTS = """
query($id: ID!) {
  product(id: $id) {
    contentScore { total completeness suggestions }
    descriptionVariants { id status origin text backend previousTotal
      score { total } guardrails { accepted violations { rule detail } } approval }
  }
}"""
APPROVE = """
mutation($id: ID!) {
  descriptionVariantApprove(id: $id) { variant { id status } errors { field code message } }
}"""
REJECT = """
mutation($id: ID!, $reason: String) {
  descriptionVariantReject(id: $id, reason: $reason) {
    variant { status reason } errors { field code message }
  }
}"""
ROLLBACK = """
mutation($product: ID!, $version: ID!) {
  productDescriptionRollback(productId: $product, versionId: $version) {
    variant { status origin } errors { field code message }
  }
}"""
SCORES = """
query($first: Int, $after: String, $max: Float, $channel: String) {
  productContentScores(first: $first, after: $after, maxTotal: $max, channel: $channel) {
    totalCount edges { cursor node { total product { name } } }
    pageInfo { hasNextPage endCursor }
  }
}"""
OPTIMIZED = """
query($id: ID!) { product(id: $id, channel: "main") { optimizedDescription } }"""


class ChatServer(ThreadingHTTPServer):
    """An OpenAI-compatible chat-completions endpoint answering from ``REWRITES``."""

    status = 200
    requests: list[dict]


class ChatHandler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append(body)
        if self.server.status != 200:
            self._reply(self.server.status, {"error": {"message": "no", "type": "auth"}})
            return
        prompt = body["messages"][-1]["content"]
        text = next((REWRITES[name] for name in REWRITES if name in prompt), "")
        self._reply(200, {
            "id": "chat-1", "object": "chat.completion", "created": 0, "model": body["model"],
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        })

    def _reply(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):  # keep the test output quiet
        pass


@pytest.fixture
def chat_server():
    server = ChatServer(("127.0.0.1", 0), ChatHandler)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def shop(
    product_type, category, channel_USD, warehouse, personalization, plugin_configuration,
    chat_server, encoder_config,
):
    plugin_configuration(
        generator_backend="openai",
        generator_url=f"http://127.0.0.1:{chat_server.server_port}/v1",
        generator_model="big-model",
        generator_api_key="sk-test",
    )
    products = {
        name: Product.objects.create(
            name=name, slug=f"c-{index}", product_type=product_type, category=category,
            description={"blocks": [{"type": "paragraph", "data": {"text": text}}]},
        )
        for index, (name, text) in enumerate(SOURCES.items())
    }
    for product in products.values():
        list_product(product, channel_USD, warehouse)
    catalog_jobs.rebuild_all(PersonalizationConfig())
    catalog_jobs.refresh_products(PersonalizationConfig(content_enabled=True), [
        p.pk for p in products.values()
    ])
    return products


def gid(kind: str, pk) -> str:
    return graphene.Node.to_global_id(kind, pk)


def staff(client, permission_manage_products, query, variables):
    """As staff with MANAGE_PRODUCTS (refusals are tested on their own below)."""
    response = client.post_graphql(
        query, variables, permissions=[permission_manage_products], check_no_permissions=False
    )
    return get_graphql_content(response)["data"]


def best_proposal(product) -> DescriptionVersion:
    proposals = DescriptionVersion.objects.filter(status="proposed", product_id=product.pk)
    return max(proposals, key=lambda version: version.score["total"])


def rewrite(client, permission, product, **variables):
    return staff(client, permission, REWRITE, {"id": gid("Product", product.pk), **variables})[
        "productDescriptionRewrite"
    ]


# -- scores -------------------------------------------------------------------------------


def test_products_are_scored_when_indexed_with_their_parts(shop, staff_api_client,
                                                           permission_manage_products):
    data = staff(staff_api_client, permission_manage_products, VARIANTS,
                 {"id": gid("Product", shop[TEE].pk)})
    score = data["product"]["contentScore"]
    assert 0 < score["total"] < 100 and score["completeness"] > 0.5
    # A three-sentence description is short: the fix list says so.
    assert any("short" in s.lower() or "words" in s.lower() for s in score["suggestions"])


def test_scores_are_listed_weakest_first_page_by_page(shop, staff_api_client,
                                                      permission_manage_products):
    first = staff(staff_api_client, permission_manage_products, SCORES, {"first": 1})
    page = first["productContentScores"]
    assert page["totalCount"] == 2 and page["pageInfo"]["hasNextPage"]
    second = staff(staff_api_client, permission_manage_products, SCORES,
                   {"first": 1, "after": page["pageInfo"]["endCursor"]})["productContentScores"]
    totals = [page["edges"][0]["node"]["total"], second["edges"][0]["node"]["total"]]
    assert totals == sorted(totals) and not second["pageInfo"]["hasNextPage"]
    names = {page["edges"][0]["node"]["product"]["name"],
             second["edges"][0]["node"]["product"]["name"]}
    assert names == {TEE, MUG}
    below = staff(staff_api_client, permission_manage_products, SCORES,
                  {"first": 10, "max": min(totals)})["productContentScores"]
    assert below["totalCount"] == 1


# -- rewriting, approval, rollback ----------------------------------------------------


def test_a_rewrite_job_makes_proposals_that_keep_every_fact(shop, staff_api_client,
                                                            permission_manage_products,
                                                            chat_server):
    job = rewrite(staff_api_client, permission_manage_products, shop[TEE], candidates=1)["job"]

    assert job["status"] == "PENDING"  # the task runs when the request commits
    stored = RewriteJob.objects.get()
    assert (stored.status, stored.done, stored.error) == ("done", 1, "")
    assert chat_server.requests and chat_server.requests[0]["model"] == "big-model"
    data = staff(staff_api_client, permission_manage_products, VARIANTS,
                 {"id": gid("Product", shop[TEE].pk)})
    variants = data["product"]["descriptionVariants"]
    proposal = next(v for v in variants if v["status"] == "PROPOSED")
    assert proposal["origin"] == "GENERATED" and proposal["backend"] == "openai"
    assert proposal["guardrails"] == {"accepted": True, "violations": []}
    assert proposal["score"]["total"] > proposal["previousTotal"]
    assert "180 gsm" in proposal["text"] and "GOTS" in proposal["text"]


def test_approving_writes_the_description_into_saleor_and_rollback_puts_it_back(
    shop, staff_api_client, permission_manage_products
):
    rewrite(staff_api_client, permission_manage_products, shop[MUG], candidates=1)
    proposal = best_proposal(shop[MUG])
    vector_before = ProductVector.objects.get(product_id=shop[MUG].pk).content_hash

    approved = staff(staff_api_client, permission_manage_products, APPROVE,
                     {"id": gid("DescriptionVariant", proposal.pk)})["descriptionVariantApprove"]

    assert approved["errors"] == [] and approved["variant"]["status"] == "LIVE"
    product = Product.objects.get(pk=shop[MUG].pk)
    assert to_text(product.description) == proposal.text
    assert "350 ml" in product.description_plaintext
    # Saleor's product-updated path ran: the product was re-read for recommendations.
    assert ProductVector.objects.get(product_id=product.pk).content_hash != vector_before
    original = DescriptionVersion.objects.get(product_id=product.pk, origin="original")
    assert original.status == "retired" and original.text == SOURCES[MUG]

    back = staff(staff_api_client, permission_manage_products, ROLLBACK, {
        "product": gid("Product", product.pk), "version": gid("DescriptionVariant", original.pk),
    })["productDescriptionRollback"]
    assert back == {"variant": {"status": "LIVE", "origin": "ORIGINAL"}, "errors": []}
    product.refresh_from_db()
    assert to_text(product.description) == SOURCES[MUG]
    assert DescriptionVersion.objects.get(pk=proposal.pk).status == "retired"


def test_a_manual_edit_in_the_dashboard_is_kept_as_a_version(shop):
    product = shop[TEE]
    content_versions.record_live(product)
    product.description = {"blocks": [{"type": "paragraph", "data": {"text": "Edited."}}]}
    product.save()
    live = content_versions.record_live(product)
    assert (live.origin, live.status, live.text) == ("manual", "live", "Edited.")
    assert DescriptionVersion.objects.get(origin="original").status == "retired"


def test_rejecting_keeps_the_proposal_with_the_reason(shop, staff_api_client,
                                                      permission_manage_products):
    rewrite(staff_api_client, permission_manage_products, shop[TEE], candidates=1)
    proposal = best_proposal(shop[TEE])
    rejected = staff(staff_api_client, permission_manage_products, REJECT, {
        "id": gid("DescriptionVariant", proposal.pk), "reason": "too long",
    })["descriptionVariantReject"]
    assert rejected == {"variant": {"status": "REJECTED", "reason": "too long"}, "errors": []}
    again = staff(staff_api_client, permission_manage_products, APPROVE,
                  {"id": gid("DescriptionVariant", proposal.pk)})["descriptionVariantApprove"]
    assert again["errors"][0]["code"] == "INVALID" and again["variant"] is None
    assert to_text(Product.objects.get(pk=shop[TEE].pk).description) == SOURCES[TEE]


def test_auto_promote_puts_the_best_passing_proposal_live(shop, staff_api_client,
                                                          permission_manage_products,
                                                          plugin_configuration, chat_server):
    plugin_configuration(
        generator_backend="openai", auto_promote=True, generator_model="big-model",
        generator_url=f"http://127.0.0.1:{chat_server.server_port}/v1",
    )
    rewrite(staff_api_client, permission_manage_products, shop[MUG], candidates=1)
    live = DescriptionVersion.objects.get(product_id=shop[MUG].pk, status="live")
    assert (live.origin, live.approval, live.approver) == ("generated", "auto", "system")
    assert to_text(Product.objects.get(pk=shop[MUG].pk).description) == live.text


def test_a_translation_is_rewritten_and_approved_into_the_translation(
    shop, staff_api_client, permission_manage_products
):
    ProductTranslation.objects.create(
        product=shop[TEE], language_code="en-us", name=TEE,
        description={"blocks": [{"type": "paragraph", "data": {"text": SOURCES[TEE]}}]},
    )
    rewrite(staff_api_client, permission_manage_products, shop[TEE], candidates=1,
            language="EN_US")
    proposal = best_proposal(shop[TEE])
    assert proposal.language_code == "en-us"
    content_versions.approve(proposal.pk, approver="staff@example.com")
    translation = ProductTranslation.objects.get(product=shop[TEE], language_code="en-us")
    assert to_text(translation.description) == proposal.text
    assert to_text(Product.objects.get(pk=shop[TEE].pk).description) == SOURCES[TEE]


def test_a_bulk_job_covers_a_category(shop, staff_api_client, permission_manage_products,
                                      category):
    data = staff(staff_api_client, permission_manage_products, BULK,
                 {"category": gid("Category", category.pk)})["productDescriptionsRewrite"]
    assert data["errors"] == [] and data["job"]["total"] == 2
    assert RewriteJob.objects.get().done == 2
    nothing = staff(staff_api_client, permission_manage_products, BULK, {})
    assert nothing["productDescriptionsRewrite"]["errors"][0]["code"] == "REQUIRED"


def test_a_refused_key_fails_the_job_with_one_clear_error(shop, staff_api_client,
                                                          permission_manage_products,
                                                          chat_server):
    chat_server.status = 401
    rewrite(staff_api_client, permission_manage_products, shop[TEE], candidates=1)
    job = RewriteJob.objects.get()
    assert job.status == "failed" and "refused the API key" in job.error
    assert not DescriptionVersion.objects.filter(status="proposed").exists()


def test_bad_arguments_are_coded_errors(shop, staff_api_client, permission_manage_products):
    data = rewrite(staff_api_client, permission_manage_products, shop[TEE], candidates=99)
    assert data["errors"][0]["field"] == "candidates" and data["errors"][0]["code"] == "INVALID"
    missing = staff(staff_api_client, permission_manage_products, APPROVE,
                    {"id": gid("DescriptionVariant", "00000000-0000-0000-0000-000000000000")})
    assert missing["descriptionVariantApprove"]["errors"][0]["code"] == "NOT_FOUND"
    assert not RewriteJob.objects.exists()


# -- permissions and the storefront ------------------------------------------------------


@pytest.mark.parametrize("client_name", ["api_client", "user_api_client", "staff_api_client"])
def test_only_staff_with_manage_products_may_rewrite_or_read_scores(request, shop, client_name):
    client = request.getfixturevalue(client_name)
    response = client.post_graphql(REWRITE, {"id": gid("Product", shop[TEE].pk)})
    assert_no_permission(response)
    assert_no_permission(client.post_graphql(SCORES, {"first": 5}))
    assert not RewriteJob.objects.exists()


def test_the_storefront_reads_the_live_description(shop, api_client):
    proposal = content_versions.add_proposal(
        shop[MUG].pk, "", {"blocks": [{"type": "paragraph", "data": {"text": REWRITES[MUG]}}]},
        REWRITES[MUG], backend="openai", model="m", prompt_version="v", score={}, guardrails={},
    )
    data = get_graphql_content(api_client.post_graphql(OPTIMIZED, {"id": gid("Product", shop[MUG].pk)}))
    assert to_text(data["data"]["product"]["optimizedDescription"]) == SOURCES[MUG]
    content_versions.approve(proposal.pk, approver="staff")
    data = get_graphql_content(api_client.post_graphql(OPTIMIZED, {"id": gid("Product", shop[MUG].pk)}))
    assert to_text(data["data"]["product"]["optimizedDescription"]) == REWRITES[MUG]


def test_the_bundled_local_model_runs_a_job_in_the_worker(shop, plugin_configuration):
    """The default backend for real (SmolLM2-135M): the job finishes, and whatever it
    proposes passed every guardrail."""
    from saleor_personalization import tasks

    plugin_configuration(generator_backend="local")
    created = content_jobs.create_job([shop[MUG].pk], candidates=1)
    result = tasks.rewrite_descriptions.delay(str(created.pk)).get()
    assert result["status"] == "done" and result["done"] == 1, result
    for version in DescriptionVersion.objects.filter(status="proposed"):
        assert version.guardrails["accepted"] and version.backend == "local"
    assert DescriptionScore.objects.filter(product_id=shop[MUG].pk).exists()
