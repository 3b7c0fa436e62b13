"""The learned recommender inside Saleor: the retraining task and its promotion gate,
the registry (rollback, failures, one run at a time), serving stored lists with the
live model, cold start, the GraphQL fields and the management command."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import numpy as np
import psycopg
import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from saleor.graphql.tests.utils import assert_no_permission, get_graphql_content
from saleor.product.models import Product
from saleor_personalization import tasks
from saleor_personalization.engine.events import Event
from saleor_personalization.engine.learned import GateDecision
from saleor_personalization.models import (
    EmbeddingSpace,
    InteractionEvent,
    JobFailure,
    ProductVector,
    RecommenderModel,
    ShopperProfile,
)
from saleor_personalization.saleor_adapter import catalog_jobs, services, training_jobs
from saleor_personalization.saleor_adapter.config import PersonalizationConfig
from saleor_personalization.store import recommender_registry as registry
from support import gid, pk_of

Status = RecommenderModel.Status
N_PRODUCTS = 24
START = datetime(2025, 3, 1, tzinfo=UTC)
WORDS = ["kettle", "lamp", "scarf", "tent", "novel", "drill", "teapot", "violin", "helmet",
         "blender", "jacket", "puzzle", "candle", "backpack", "skillet", "camera", "pillow",
         "sandals", "easel", "compass", "umbrella", "trowel", "headphones", "yoga mat"]
# Tiny and quick: the suite trains several models on two cores.
TINY = {
    "dimensions": 16, "layers": 1, "heads": 2, "max_length": 8, "experts": 2, "dropout": 0.0,
    "text_dropout": 0.0, "id_min_count": 1, "epochs": 25, "batch_size": 32, "negatives": 8,
    "learning_rate": 0.01, "patience": 25, "seed": 3, "device": "cpu",
}
# Barely trained: ranks the held-out interactions no better than chance.
CRIPPLED = {**TINY, "epochs": 1, "learning_rate": 1e-7, "use_ids": False}
ONE_LOSS = ["sampled_softmax"]

MODELS = """
query($first: Int, $status: RecommenderModelStatusEnum) {
  recommenderModels(first: $first, status: $status) {
    id status trigger textModel windowStart windowEnd eventCount shopperCount productCount
    hyperparameters metrics decision trainingSeconds peakMemoryMb canActivate error
    createdAt startedAt finishedAt activatedAt
    gate { model ndcgAt10 recallAt10 cases }
  }
}"""
RETRAIN = """
mutation { recommenderRetrain { enqueued recommenderModel { id status trigger }
  errors { field code message } } }"""
ACTIVATE = """
mutation($id: ID!) { recommenderModelActivate(id: $id) {
  recommenderModel { id status activatedAt } errors { field code message } } }"""


def successor(position: int) -> int:
    """The planted habit: after the product at ``position`` shoppers take this one."""
    return (position + 5) % N_PRODUCTS


@pytest.fixture
def shop(product_type, category, encoder_config, personalization):
    """Products whose texts say nothing of the habit, indexed; events following it."""
    products = [
        Product.objects.create(
            name=f"{word.title()} {index}", slug=f"learned-{index}", product_type=product_type,
            category=category,
            description={"blocks": [{"type": "paragraph", "data": {"text": f"A {word}."}}]},
        )
        for index, word in enumerate(WORDS[:N_PRODUCTS])
    ]
    assert catalog_jobs.rebuild_all(PersonalizationConfig()) is not None
    ids = [product.pk for product in products]
    rng = np.random.default_rng(5)
    events = []
    for shopper in range(70):
        position = int(rng.integers(N_PRODUCTS))
        for step in range(6):
            events.append(InteractionEvent(
                shopper_key=f"user:{9000 + shopper}", product_id=ids[position],
                event_type="view" if step % 2 else "add_to_cart", channel="",
                occurred_at=START + timedelta(days=step, minutes=shopper),
            ))
            position = successor(position)
    InteractionEvent.objects.bulk_create(events)
    return ids


def retrain(hyperparameters=TINY, **kwargs) -> RecommenderModel | None:
    result = tasks.retrain_recommender(hyperparameters=hyperparameters, losses=ONE_LOSS, **kwargs)
    return RecommenderModel.objects.get(pk=result["model"]) if "model" in result else None


def learned_space() -> EmbeddingSpace | None:
    return EmbeddingSpace.objects.filter(kind="learned", status="active").first()


def content_space() -> EmbeddingSpace:
    return EmbeddingSpace.objects.get(kind="content", status="active")


@pytest.fixture
def live(shop) -> RecommenderModel:
    model = retrain()
    assert model.status == Status.LIVE, model.decision
    return model


def lasting_ids(key: str) -> list[int]:
    row = ShopperProfile.objects.get(shopper_key=key, space=content_space())
    return [entry[0] for entry in row.lasting_list]


# -- the task and the promotion gate --------------------------------------------------


def test_a_model_that_beats_the_content_profile_goes_live_with_its_record(shop):
    model = retrain()

    assert model.status == Status.LIVE, model.decision
    gate = model.metrics["gate"]
    assert set(gate) == {"candidate", "content"}  # nothing was live before
    assert gate["candidate"]["ndcg@10"] > gate["content"]["ndcg@10"]
    assert gate["candidate"]["cases"] > 0
    assert model.decision.startswith("ndcg@10") and "beats content" in model.decision
    products = len(set(InteractionEvent.objects.values_list("product_id", flat=True)))
    assert (model.event_count, model.shopper_count, model.product_count) == (420, 70, products)
    assert model.window_start == START and model.window_end > START + timedelta(days=5)
    assert model.hyperparameters["model"]["dimensions"] == 16
    assert model.training_seconds > 0 and model.peak_memory_mb > 0
    assert model.text_model == content_space().model_name and model.activated_at is not None
    # Its product vectors are a learned space of their own; the content space stays active.
    space = learned_space()
    assert model.space_id == space.pk
    assert ProductVector.objects.filter(space=space).count() == N_PRODUCTS
    assert content_space().model_name == PersonalizationConfig().embedding_model
    assert registry.trained_model(model).id_rows  # the artifact loads back


def test_a_worse_model_is_rejected_with_its_numbers_and_the_live_one_stays(live):
    worse = retrain(CRIPPLED)

    assert worse.status == Status.REJECTED
    gate = worse.metrics["gate"]
    assert set(gate) == {"candidate", "live", "content"}
    assert gate["candidate"]["ndcg@10"] < gate["live"]["ndcg@10"]
    assert "does not beat" in worse.decision and "live" in worse.decision
    assert worse.space_id is None  # no vectors built for a loser
    live.refresh_from_db()
    assert live.status == Status.LIVE and learned_space().pk == live.space_id


def test_rollback_with_the_mutation_switches_space_and_status(live, staff_api_client,
                                                             permission_manage_products):
    second = retrain(CRIPPLED)
    # Staff forced the second version live (through the registry, as a promotion does).
    registry.build_space(second, registry.trained_model(second).ranking_model(), content_space())
    registry.go_live(second)
    assert learned_space().pk == second.space_id

    staff_api_client.user.user_permissions.add(permission_manage_products)
    response = staff_api_client.post_graphql(ACTIVATE, {"id": gid(live)})
    data = get_graphql_content(response)["data"]["recommenderModelActivate"]

    assert data["errors"] == [] and data["recommenderModel"]["status"] == "LIVE"
    assert pk_of(data["recommenderModel"]["id"]) == live.pk
    assert learned_space().pk == live.space_id
    second.refresh_from_db()
    assert second.status == Status.RETIRED
    assert EmbeddingSpace.objects.get(pk=second.space_id).status == "retired"  # kept to go back


def test_only_versions_that_were_live_can_be_activated(live, staff_api_client,
                                                       permission_manage_products):
    rejected = retrain(CRIPPLED)
    staff_api_client.user.user_permissions.add(permission_manage_products)

    for global_id, code in ((gid(rejected), "INVALID"),
                            (gid(RecommenderModel(pk=rejected.pk + 1000)), "NOT_FOUND"),
                            ("not-an-id", "GRAPHQL_ERROR")):
        response = staff_api_client.post_graphql(ACTIVATE, {"id": global_id})
        errors = get_graphql_content(response)["data"]["recommenderModelActivate"]["errors"]
        assert [(e["field"], e["code"]) for e in errors] == [("id", code)]
    assert learned_space().pk == live.space_id


# -- failures and one run at a time ---------------------------------------------------


def test_a_failed_training_leaves_the_live_model_untouched(live, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    # A candidate that wins the gate, and a switch that fails after its vectors were built.
    monkeypatch.setattr(
        training_jobs, "promotion_decision",
        lambda metrics, candidate: GateDecision(True, "forced", dict(metrics)),
    )
    monkeypatch.setattr(registry, "go_live", broken)
    built = []
    build_space = registry.build_space
    monkeypatch.setattr(
        registry, "build_space", lambda *a, **kw: built.append(build_space(*a, **kw)) or built[-1]
    )
    with pytest.raises(RuntimeError, match="disk full"):
        retrain({**TINY, "seed": 4})
    assert len(built) == 1 and not EmbeddingSpace.objects.filter(pk=built[0].pk).exists()

    failed = RecommenderModel.objects.exclude(pk=live.pk).get()
    assert failed.status == Status.FAILED and failed.error == "RuntimeError: disk full"
    assert failed.space_id is None
    assert not EmbeddingSpace.objects.filter(kind="learned").exclude(pk=live.space_id).exists()
    live.refresh_from_db()
    assert live.status == Status.LIVE and learned_space().pk == live.space_id
    assert JobFailure.objects.get(kind="training").message == "RuntimeError: disk full"


def test_a_killed_run_is_marked_failed_and_its_vectors_dropped_by_the_next(live):
    # What a worker killed mid-build leaves: a training row and a half-built space.
    dead = RecommenderModel.objects.create(status=Status.TRAINING, trigger="schedule")
    half = EmbeddingSpace.objects.create(model_name="half", dimensions=4, kind="learned")
    RecommenderModel.objects.filter(pk=dead.pk).update(space=half)

    retrain(CRIPPLED)

    dead.refresh_from_db()
    assert dead.status == Status.FAILED and "interrupted" in dead.error
    assert not EmbeddingSpace.objects.filter(pk=half.pk).exists()
    assert learned_space().pk == live.space_id


def test_two_retrains_never_run_at_once(shop):
    queued, row = training_jobs.request_retrain("staff")
    again, same = training_jobs.request_retrain("staff")
    assert queued and not again and same.pk == row.pk

    params = connection.get_connection_params()
    wanted = {"dbname", "user", "password", "host", "port"}
    with psycopg.connect(
        **{name: value for name, value in params.items() if name in wanted and value},
        autocommit=True,
    ) as other:  # another worker, mid-training
        other.execute("SELECT pg_advisory_lock(%s)", [training_jobs._TRAINING_LOCK])
        result = tasks.retrain_recommender(row.pk, "staff", hyperparameters=TINY)

    assert result == {"skipped": "a training is already running"}
    row.refresh_from_db()
    assert row.status == Status.FAILED and "another training" in row.error
    assert learned_space() is None


def test_the_beat_entry_trains_only_after_enough_new_events(live):
    assert tasks.retrain_recommender(min_new_events=5) == {"skipped": "not enough new events"}
    product_id = ProductVector.objects.filter(space=content_space()).values_list(
        "product_id", flat=True
    )[0]
    InteractionEvent.objects.bulk_create(
        InteractionEvent(shopper_key="user:1", product_id=product_id, event_type="view",
                         occurred_at=START + timedelta(days=9, seconds=second))
        for second in range(5)
    )
    assert training_jobs.retrain_due(5) and not training_jobs.retrain_due(6)


# -- serving with the live model ------------------------------------------------------


def test_one_event_changes_the_stored_list_at_once_without_retraining(live, shop):
    key = "user:424242"
    config = PersonalizationConfig()
    services.track(config, Event(key, shop[0], "view", START + timedelta(days=10)))
    services.refresh_shopper_lists(config, [key])
    before = lasting_ids(key)
    assert successor(0) in [shop.index(pid) for pid in before[:3]]

    services.track(config, Event(key, shop[5], "view", START + timedelta(days=10, minutes=1)))
    services.refresh_shopper_lists(config, [key])

    after = lasting_ids(key)
    assert after != before
    assert successor(5) in [shop.index(pid) for pid in after[:3]]
    assert RecommenderModel.objects.count() == 1  # nothing was retrained


def test_without_a_live_model_the_content_profile_ranks(shop):
    key = "user:515151"
    config = PersonalizationConfig()
    services.track(config, Event(key, shop[0], "view", timezone.now()))
    assert services.learned_ranking(config) is None
    lists = services.recommender(config).save_shopper_lists(key)
    assert lists.session is not None  # the content profile's visit list (learned has none)


def test_a_new_product_gets_a_learned_vector_from_its_text_and_is_recommended(
    live, product_type, category
):
    new = Product.objects.create(
        name="Teapot deluxe", slug="learned-new", product_type=product_type, category=category,
        description={"blocks": [{"type": "paragraph", "data": {"text": "A teapot."}}]},
    )
    catalog_jobs.refresh_products(PersonalizationConfig(), [new.pk])

    stored = ProductVector.objects.get(space=learned_space(), product_id=new.pk)
    text = ProductVector.objects.get(space=content_space(), product_id=new.pk)
    model = registry.trained_model(live)
    assert new.pk not in model.id_rows  # never seen in training: text alone
    expected = model.ranking_model().item_vectors([new.pk], np.asarray([text.embedding]))[0]
    np.testing.assert_allclose(np.asarray(stored.embedding), expected, atol=1e-6)

    # A shopper of a similar product: listed only once the new product has its vector.
    key, config = "user:616161", PersonalizationConfig()
    teapot = Product.objects.get(slug=f"learned-{WORDS.index('teapot')}")
    services.track(config, Event(key, teapot.pk, "view", START + timedelta(days=10)))
    stored.delete()
    services.refresh_shopper_lists(config, [key])
    assert lasting_ids(key) and new.pk not in lasting_ids(key)

    assert registry.fill_learned_vectors(content_space()) == 1
    services.refresh_shopper_lists(config, [key])
    assert new.pk in lasting_ids(key)


# -- GraphQL: the query, the mutation, permissions ------------------------------------


def test_staff_lists_versions_with_their_numbers(live, staff_api_client,
                                                 permission_manage_products):
    retrain(CRIPPLED)
    staff_api_client.user.user_permissions.add(permission_manage_products)

    data = get_graphql_content(staff_api_client.post_graphql(MODELS, {}))["data"]
    versions = data["recommenderModels"]

    assert [v["status"] for v in versions] == ["REJECTED", "LIVE"]
    newest, current = versions
    assert pk_of(current["id"]) == live.pk and current["canActivate"]
    assert not newest["canActivate"] and "does not beat" in newest["decision"]
    assert {g["model"] for g in newest["gate"]} == {"candidate", "live", "content"}
    assert current["eventCount"] == 420 and current["shopperCount"] == 70
    assert current["trainingSeconds"] > 0 and current["peakMemoryMb"] > 0
    assert current["hyperparameters"] and '"gate"' in current["metrics"]
    only_live = get_graphql_content(
        staff_api_client.post_graphql(MODELS, {"status": "LIVE"})
    )["data"]["recommenderModels"]
    assert [pk_of(v["id"]) for v in only_live] == [live.pk]


def test_staff_queue_a_retrain_once(shop, staff_api_client, permission_manage_products,
                                    monkeypatch):
    sent = []
    monkeypatch.setattr(
        tasks.retrain_recommender, "apply_async", lambda args=None, **kw: sent.append(args)
    )
    staff_api_client.user.user_permissions.add(permission_manage_products)

    first = get_graphql_content(staff_api_client.post_graphql(RETRAIN))["data"]
    second = get_graphql_content(staff_api_client.post_graphql(RETRAIN))["data"]

    first, second = first["recommenderRetrain"], second["recommenderRetrain"]
    assert first["enqueued"] and first["recommenderModel"]["status"] == "QUEUED"
    assert first["recommenderModel"]["trigger"] == "staff"
    assert not second["enqueued"] and second["recommenderModel"] == first["recommenderModel"]
    assert sent == [(pk_of(first["recommenderModel"]["id"]), "staff")]


def test_an_app_with_manage_apps_may_retrain(shop, app_api_client, permission_manage_apps,
                                            monkeypatch):
    monkeypatch.setattr(tasks.retrain_recommender, "apply_async", lambda *a, **kw: None)
    app_api_client.app.permissions.add(permission_manage_apps)
    data = get_graphql_content(app_api_client.post_graphql(RETRAIN))["data"]
    assert data["recommenderRetrain"]["enqueued"]


@pytest.mark.parametrize("client_name", ["api_client", "user_api_client", "staff_api_client"])
@pytest.mark.parametrize("query", [MODELS, RETRAIN, ACTIVATE])
def test_guests_customers_and_staff_without_permission_are_refused(
    request, personalization, client_name, query
):
    client = request.getfixturevalue(client_name)
    variables = {"id": gid(RecommenderModel(pk=1))} if query is ACTIVATE else {}
    assert_no_permission(client.post_graphql(query, variables))
    assert not RecommenderModel.objects.exists()


# -- the management command -----------------------------------------------------------


def test_the_management_command_trains_and_prints_the_gate(shop):
    out = io.StringIO()
    settings = [f"{name}={value}" for name, value in TINY.items() if name != "device"]
    call_command(
        "personalization_retrain", *[arg for s in settings for arg in ("--set", s)],
        "--set", "device=cpu", "--loss", "sampled_softmax", stdout=out, stderr=io.StringIO(),
    )

    model = RecommenderModel.objects.get()
    assert model.trigger == "command" and model.status == Status.LIVE
    text = out.getvalue()
    assert text.startswith(f"Model {model.pk}: live.")
    assert "  candidate: NDCG@10" in text and "  content: NDCG@10" in text


def test_the_management_command_refuses_unknown_hyper_parameters(shop):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="unknown hyper-parameters colour"):
        call_command("personalization_retrain", "--set", "colour=blue", stdout=io.StringIO())
    assert not RecommenderModel.objects.exists()


def test_vectors_too_long_for_the_index_are_refused_before_training(shop):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match=r"would hold 2432 numbers \(4 x 512 \+ 384"):
        call_command(
            "personalization_retrain", "--set", "dimensions=512", "--set", "ensemble=4",
            stdout=io.StringIO(), stderr=io.StringIO(),
        )
    model = RecommenderModel.objects.get()
    assert model.status == Status.FAILED and "at most 2000" in model.error
    assert learned_space() is None


def test_the_sample_config_routes_training_to_its_own_queue_and_schedules_it():
    from celery.app.routes import MapRoute
    from test_sample_config import load_sample

    sample = load_sample()
    route = MapRoute(sample.CELERY_TASK_ROUTES)(tasks.retrain_recommender.name)
    assert route == {"queue": tasks.TRAINING_QUEUE} == {"queue": "personalization_training"}
    entries = [entry for entry in sample.CELERY_BEAT_SCHEDULE.values()
               if entry["task"] == tasks.retrain_recommender.name]
    assert sorted(entry["kwargs"]["min_new_events"] for entry in entries) == [1, 5000]
