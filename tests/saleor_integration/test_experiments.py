"""Description experiments inside Saleor: start, exposures via ``optimizedDescription``,
conversions from Saleor's checkout and order hooks, the statistics task, promotion
through the approval path and rollback, permissions, bad input, deletions, and what
the generator learns from results; against real Saleor and PostgreSQL.

Saleor's test client runs on-commit callbacks and its settings run Celery tasks
eagerly, so exposures and conversions are stored when a request or hook returns.
"""

from __future__ import annotations

import datetime
import uuid

import graphene
import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from saleor.checkout.models import Checkout, CheckoutLine, CheckoutMetadata
from saleor.graphql.tests.utils import assert_no_permission, get_graphql_content
from saleor.order.models import Order
from saleor.plugins.manager import get_plugins_manager
from saleor.product.models import Product
from saleor_personalization import tasks
from saleor_personalization.content_models import DescriptionVersion
from saleor_personalization.engine.content.editorjs import from_text, to_text
from saleor_personalization.engine.experiments import assign_arm
from saleor_personalization.experiment_models import (
    DescriptionConversion,
    DescriptionExperiment,
    DescriptionExperimentArm,
    DescriptionExposure,
)
from saleor_personalization.models import EmbeddingSpace, ProductVector, SimilarProductList
from saleor_personalization.saleor_adapter import (
    content_jobs,
    content_versions,
    experiment_conversions,
    experiment_examples,
    experiment_exposures,
    experiments,
)
from saleor_personalization.saleor_adapter.config import PersonalizationConfig
from saleor_personalization.saleor_adapter.experiments import ExperimentPlan
from saleor_personalization.saleor_adapter.shoppers import anonymous_key, user_key

ORIGINAL = "Organic cotton tee. 180 gsm jersey. GOTS certified."
REWRITE_A = (
    "This organic cotton tee is cut from a soft 180 gsm jersey that keeps its shape. "
    "The cotton is GOTS certified."
)
REWRITE_B = "An organic cotton tee in 180 gsm jersey, GOTS certified, for every day."
KEY = experiment_conversions.ANONYMOUS_ID_METADATA_KEY

START = """
mutation($product: ID!, $variants: [ID!]!, $traffic: Int, $goal: DescriptionExperimentGoalEnum,
         $mde: Float, $alpha: Float, $language: LanguageCodeEnum) {
  descriptionExperimentStart(productId: $product, variantIds: $variants, trafficPercent: $traffic,
                             goal: $goal, minimumDetectableEffect: $mde, alpha: $alpha,
                             languageCode: $language) {
    experiment { id status goal trafficPercent minimumDetectableEffect alpha attributionWindowDays
                 arms { index isControl variant { id status } } }
    errors { field code message }
  }
}"""
STOP = """
mutation($id: ID!, $promote: Boolean) {
  descriptionExperimentStop(id: $id, promoteWinner: $promote) {
    experiment { status decision winner reason promotedVariant { id status approval }
                 arms { index exposed conversions outcome } }
    errors { field code message }
  }
}"""
PRODUCT_EXPERIMENT = """
query($id: ID!) {
  product(id: $id, channel: "main") {
    descriptionExperiment {
      status decision winner neededExposuresPerArm
      arms { index isControl exposed conversions rate uplift upliftLow upliftHigh pValue }
      history { date decision arms { index exposed conversions } }
    }
  }
}"""
LIST = """
query($first: Int, $after: String, $status: DescriptionExperimentStatusEnum) {
  descriptionExperiments(first: $first, after: $after, status: $status) {
    totalCount edges { node { id status product { id } } }
    pageInfo { hasNextPage endCursor }
  }
}"""
SHOWN = """
query($id: ID!, $anonymousId: String) {
  product(id: $id, channel: "main") { optimizedDescription(anonymousId: $anonymousId) }
}"""


def gid(kind: str, pk) -> str:
    return graphene.Node.to_global_id(kind, pk)


def staff(client, permission, query, variables):
    response = client.post_graphql(
        query, variables, permissions=[permission], check_no_permissions=False
    )
    return get_graphql_content(response)["data"]


def paragraph(text: str) -> dict:
    return {"blocks": [{"type": "paragraph", "data": {"text": text}}]}


def proposal(product, text: str, language: str = "") -> DescriptionVersion:
    return content_versions.add_proposal(
        product.pk, language, from_text(text), text, backend="openai", model="m",
        prompt_version="v", score={"total": 60.0}, guardrails={"accepted": True, "violations": []},
    )


@pytest.fixture
def tee(product, personalization):
    """Saleor's test product (listed in channel "main", one variant) with a description
    and two proposals; the plugin is on."""
    product.description = paragraph(ORIGINAL)
    product.save(update_fields=["description"])
    return product, proposal(product, REWRITE_A), proposal(product, REWRITE_B)


def start(product, *variants, **plan) -> DescriptionExperiment:
    return experiments.start(
        product, ExperimentPlan(version_ids=tuple(str(v.pk) for v in variants), **plan)
    )


def shown(client, product, anonymous_id=None) -> str:
    data = get_graphql_content(
        client.post_graphql(SHOWN, {"id": gid("Product", product.pk), "anonymousId": anonymous_id})
    )
    return to_text(data["data"]["product"]["optimizedDescription"])


def visitor(number: int) -> str:
    return f"visitor-{number:04d}-{'x' * 8}"


def add_to_cart(product, channel, anonymous_id=None, email=None, user=None) -> Checkout:
    """A checkout with the product, reported through Saleor's checkout hook."""
    checkout = Checkout.objects.create(
        currency=channel.currency_code, channel=channel, email=email, user=user
    )
    CheckoutMetadata.objects.create(
        checkout=checkout, metadata={KEY: anonymous_id} if anonymous_id else {}
    )
    CheckoutLine.objects.create(
        checkout=checkout, variant=product.variants.first(), quantity=1,
        currency=channel.currency_code,
    )
    get_plugins_manager(allow_replica=False).checkout_updated(checkout)
    return checkout


def plant(experiment, arm: int, exposed: int, converted: int, goal="add_to_cart", days_ago=1):
    """Many shoppers at once, straight into the tables (for decisions, not for paths)."""
    at = timezone.now() - datetime.timedelta(days=days_ago)
    keys = [f"anon:planted-{arm}-{i:06d}-{uuid.uuid4().hex[:6]}" for i in range(exposed)]
    DescriptionExposure.objects.bulk_create(
        DescriptionExposure(experiment=experiment, shopper_key=k, arm=arm, exposed_at=at)
        for k in keys
    )
    DescriptionConversion.objects.bulk_create(
        DescriptionConversion(experiment=experiment, shopper_key=k, arm=arm, goal=goal,
                              converted_at=at)
        for k in keys[:converted]
    )


# -- the whole loop ---------------------------------------------------------------------


def test_the_whole_loop_from_start_to_a_promoted_rollbackable_winner(
    tee, staff_api_client, api_client, permission_manage_products, channel_USD,
    django_capture_on_commit_callbacks, index_catalog,
):
    product, better, _other = tee
    index_catalog()
    vector_before = ProductVector.objects.get(product_id=product.pk).content_hash
    started = staff(staff_api_client, permission_manage_products, START, {
        "product": gid("Product", product.pk),
        "variants": [gid("DescriptionVariant", better.pk)],
        "goal": "ADD_TO_CART", "mde": 0.2, "alpha": 0.1,
    })["descriptionExperimentStart"]
    assert started["errors"] == []
    experiment = started["experiment"]
    assert (experiment["status"], experiment["trafficPercent"], experiment["attributionWindowDays"],
            experiment["alpha"]) == ("RUNNING", 100, 7, 0.1)
    assert [a["isControl"] for a in experiment["arms"]] == [True, False]

    # Storefront reads: each guest sees their arm, the same every time.
    seen = {}
    for number in range(120):
        seen[visitor(number)] = shown(api_client, product, visitor(number))
    assert set(seen.values()) == {ORIGINAL, REWRITE_A}
    exposures = dict(DescriptionExposure.objects.values_list("shopper_key", "arm"))
    assert len(exposures) == 120
    for anonymous_id, text in seen.items():
        assert text == (REWRITE_A if exposures[anonymous_key(anonymous_id)] else ORIGINAL)

    # Shoppers who saw the rewrite all add it to a cart; one in ten of the others does.
    control = [a for a in seen if exposures[anonymous_key(a)] == 0]
    variant = [a for a in seen if exposures[anonymous_key(a)] == 1]
    with django_capture_on_commit_callbacks(execute=True):
        for anonymous_id in variant + control[::10]:
            add_to_cart(product, channel_USD, anonymous_id)
    converted = dict(
        DescriptionConversion.objects.filter(goal="add_to_cart").values_list("shopper_key", "arm")
    )
    assert converted == {anonymous_key(a): exposures[anonymous_key(a)]
                         for a in variant + control[::10]}

    tasks.update_description_experiments.delay().get()
    live = staff(staff_api_client, permission_manage_products, PRODUCT_EXPERIMENT,
                 {"id": gid("Product", product.pk)})["product"]["descriptionExperiment"]
    assert live["status"] == "RUNNING"  # auto-promotion is off: staff decide
    assert (live["decision"], live["winner"]) == ("WINNER", 1)
    arms = live["arms"]
    assert [a["exposed"] for a in arms] == [len(control), len(variant)]
    assert arms[1]["conversions"] == len(variant) and arms[1]["upliftLow"] > 0
    assert arms[1]["pValue"] < 0.05 and arms[0]["pValue"] is None
    assert [day["arms"][1]["exposed"] for day in live["history"]] == [len(variant)]

    stopped = staff(staff_api_client, permission_manage_products, STOP,
                    {"id": experiment["id"], "promote": True})["descriptionExperimentStop"]
    assert stopped["errors"] == []
    assert stopped["experiment"]["status"] == "FINISHED"
    assert stopped["experiment"]["promotedVariant"]["approval"] == "experiment"
    assert [a["outcome"] for a in stopped["experiment"]["arms"]] == [None, "WON"]
    product.refresh_from_db()
    assert to_text(product.description) == REWRITE_A
    # Promoted through Saleor's product-updated path: re-read for recommendations.
    assert ProductVector.objects.get(product_id=product.pk).content_hash != vector_before
    assert shown(api_client, product, visitor(0)) == REWRITE_A  # no experiment any more

    original = DescriptionVersion.objects.get(product_id=product.pk, origin="original")
    content_versions.rollback(product.pk, original.pk, approver="staff")
    product.refresh_from_db()
    assert to_text(product.description) == ORIGINAL


def test_a_purchase_through_checkout_complete_converts_for_the_arm_seen(
    tee, api_client, checkout_ready_to_complete, django_capture_on_commit_callbacks,
):
    """A guest's order (Saleor copies the checkout's metadata to it) is a purchase for
    the arm the guest saw; canceling the order withdraws it."""
    from decimal import Decimal

    from saleor.order import OrderStatus
    from saleor.payment.models import TransactionItem

    product, better, _ = tee
    experiment = start(product, better)
    checkout = checkout_ready_to_complete
    checkout.channel.automatically_confirm_all_new_orders = True
    checkout.channel.allow_unpaid_orders = True
    checkout.channel.save()
    TransactionItem.objects.create(name="Card", psp_reference="ref", currency=checkout.currency,
                                   checkout_id=checkout.pk, authorized_value=Decimal(100))
    shown(api_client, product, visitor(7))
    arm = DescriptionExposure.objects.get().arm
    checkout.metadata_storage.store_value_in_metadata({KEY: visitor(7)})
    checkout.metadata_storage.save()

    data = get_graphql_content(api_client.post_graphql(
        "mutation($id: ID) { checkoutComplete(id: $id) { order { id } errors { code } } }",
        {"id": gid("Checkout", checkout.pk)},
    ))["data"]["checkoutComplete"]

    assert data["errors"] == []
    purchase = DescriptionConversion.objects.get(goal="purchase")
    assert (purchase.experiment_id, purchase.shopper_key, purchase.arm) == (
        experiment.pk, anonymous_key(visitor(7)), arm
    )
    order = Order.objects.get()
    order.status = OrderStatus.CANCELED
    order.save(update_fields=["status"])
    with django_capture_on_commit_callbacks(execute=True):
        get_plugins_manager(allow_replica=False).order_cancelled(order)
    assert not DescriptionConversion.objects.filter(goal="purchase").exists()


# -- assignment and exposures -------------------------------------------------------------


def test_exposures_are_recorded_once_per_shopper_and_traffic_is_respected(tee, api_client):
    product, better, other = tee
    experiment = start(product, better, other, traffic_percent=40)
    texts = {}
    for round_ in range(3):
        for number in range(30):
            text = shown(api_client, product, visitor(number))
            assert texts.setdefault(number, text) == text  # sticky
    rows = list(DescriptionExposure.objects.values_list("shopper_key", "arm"))
    inside = [n for n in range(30)
              if assign_arm(str(experiment.pk), anonymous_key(visitor(n)), 3, 40) is not None]
    assert sorted(k for k, _ in rows) == sorted(anonymous_key(visitor(n)) for n in inside)
    assert 0 < len(inside) < 30
    for number in set(range(30)) - set(inside):
        assert texts[number] == ORIGINAL  # outside the traffic: the control, not counted
    # Without an id (or with tracking of guests off) nobody is counted.
    assert shown(api_client, product) == ORIGINAL
    assert DescriptionExposure.objects.count() == len(inside)


def test_a_bad_anonymous_id_is_refused_like_tracking_and_a_failure_serves_the_live_text(
    tee, api_client, monkeypatch
):
    product, better, _ = tee
    start(product, better)
    response = get_graphql_content(
        api_client.post_graphql(SHOWN, {"id": gid("Product", product.pk), "anonymousId": "short"}),
        ignore_errors=True,
    )
    assert response["errors"][0]["extensions"]["field"] == "anonymousId"

    def broken(*args, **kwargs):
        raise RuntimeError("database away")

    from saleor_personalization.saleor_adapter import experiment_exposures

    monkeypatch.setattr(experiment_exposures, "running_experiments", broken)
    assert shown(api_client, product, visitor(1)) == ORIGINAL
    assert not DescriptionExposure.objects.exists()


def test_a_page_of_products_costs_the_same_queries_however_many_run_experiments(
    tee, api_client, product_list
):
    from contextlib import ExitStack

    from django.conf import settings
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    page = """
    query($anonymousId: String) {
      products(first: 10, channel: "main") {
        edges { node { id optimizedDescription(anonymousId: $anonymousId) } }
      }
    }"""
    product, better, _ = tee
    start(product, better)

    def queries(anonymous_id: str) -> int:
        aliases = {"default", settings.DATABASE_CONNECTION_REPLICA_NAME}
        with ExitStack() as stack:
            captured = []
            for alias in aliases:
                # Django clears the log when a request starts: start from an empty one.
                connections[alias].queries_log.clear()
                captured.append(stack.enter_context(CaptureQueriesContext(connections[alias])))
            get_graphql_content(api_client.post_graphql(page, {"anonymousId": anonymous_id}))
        return sum(len(c) for c in captured)

    queries(visitor(90))  # warm Saleor's own caches
    one = queries(visitor(91))
    for other in product_list:
        start(other, proposal(other, f"A better text for {other.name}."))
    four = queries(visitor(92))
    assert one == four > 0
    assert DescriptionExposure.objects.filter(shopper_key=anonymous_key(visitor(92))).count() == 4


def test_signed_in_customers_are_assigned_by_account(tee, user_api_client, customer_user):
    product, better, _ = tee
    start(product, better)
    shown(user_api_client, product, visitor(3))
    assert list(DescriptionExposure.objects.values_list("shopper_key", flat=True)) == [
        user_key(customer_user.pk)
    ]



def test_a_guest_who_signs_in_keeps_the_arm_seen_and_is_counted_once(
    tee, api_client, user_api_client, customer_user, channel_USD,
    django_capture_on_commit_callbacks,
):
    product, better, _ = tee
    experiment = start(product, better)
    account = user_key(customer_user.pk)
    account_arm = assign_arm(str(experiment.pk), account, 2, 100)
    # A visitor whose own arm differs from the one the account alone would get.
    guest_id = next(
        visitor(n) for n in range(100)
        if assign_arm(str(experiment.pk), anonymous_key(visitor(n)), 2, 100) != account_arm
    )
    seen_as_guest = shown(api_client, product, guest_id)
    with django_capture_on_commit_callbacks(execute=True):
        add_to_cart(product, channel_USD, guest_id)
    assert DescriptionConversion.objects.get().shopper_key == anonymous_key(guest_id)

    # Signed in, the storefront sends the guest id along: same text, one shopper.
    assert shown(user_api_client, product, guest_id) == seen_as_guest
    assert list(DescriptionExposure.objects.values_list("shopper_key", "arm")) == [
        (account, 1 - account_arm)
    ]
    assert list(DescriptionConversion.objects.values_list("shopper_key", "arm")) == [
        (account, 1 - account_arm)
    ]
    # On another device, signed in without that id: still the arm first seen.
    assert shown(user_api_client, product) == seen_as_guest
    assert DescriptionExposure.objects.count() == 1


def test_merging_a_guest_keeps_the_arm_seen_first_and_one_conversion_per_goal(tee):
    product, better, _ = tee
    experiment = start(product, better)
    now = timezone.now()
    guest, account = anonymous_key(visitor(5)), "user:999999"
    for key, arm, days in ((guest, 1, 3), (account, 0, 1)):
        DescriptionExposure.objects.create(experiment=experiment, shopper_key=key, arm=arm,
                                           exposed_at=now - datetime.timedelta(days=days))
        DescriptionConversion.objects.create(experiment=experiment, shopper_key=key, arm=arm,
                                             goal="add_to_cart", converted_at=now)
    DescriptionConversion.objects.create(experiment=experiment, shopper_key=guest, arm=1,
                                         goal="purchase", converted_at=now)

    assert experiment_exposures.merge_shoppers(guest, account) == 1
    exposure = DescriptionExposure.objects.get()
    assert (exposure.shopper_key, exposure.arm) == (account, 1)
    assert exposure.exposed_at == now - datetime.timedelta(days=3)
    assert sorted(DescriptionConversion.objects.values_list("shopper_key", "arm", "goal")) == [
        (account, 1, "add_to_cart"), (account, 1, "purchase"),
    ]
    assert experiment_exposures.merge_shoppers(guest, account) == 0


# -- conversions --------------------------------------------------------------------------


def test_only_conversions_within_the_attribution_window_count(
    tee, channel_USD, django_capture_on_commit_callbacks
):
    product, better, _ = tee
    experiment = start(product, better, attribution_window_days=7)
    now = timezone.now()
    for days, number in ((8, 1), (6, 2)):
        DescriptionExposure.objects.create(
            experiment=experiment, shopper_key=anonymous_key(visitor(number)), arm=1,
            exposed_at=now - datetime.timedelta(days=days),
        )
    with django_capture_on_commit_callbacks(execute=True):
        for number in (1, 2, 3):  # 3 was never exposed
            add_to_cart(product, channel_USD, visitor(number))
            add_to_cart(product, channel_USD, visitor(number))  # once per shopper
    assert list(DescriptionConversion.objects.values_list("shopper_key", "arm")) == [
        (anonymous_key(visitor(2)), 1)
    ]


def test_a_deleted_customer_loses_exposures_and_conversions(
    tee, user_api_client, customer_user, channel_USD, django_capture_on_commit_callbacks
):
    product, better, _ = tee
    start(product, better)
    shown(user_api_client, product)
    with django_capture_on_commit_callbacks(execute=True):
        add_to_cart(product, channel_USD, user=customer_user)
    assert DescriptionConversion.objects.filter(shopper_key=user_key(customer_user.pk)).exists()
    get_plugins_manager(allow_replica=False).customer_deleted(customer_user)
    assert not DescriptionExposure.objects.exists()
    assert not DescriptionConversion.objects.exists()


def test_exposures_of_accounts_deleted_while_switched_off_are_swept(tee, customer_user):
    product, better, _ = tee
    experiment = start(product, better)
    for key in (user_key(customer_user.pk), user_key(customer_user.pk + 1000)):
        DescriptionExposure.objects.create(experiment=experiment, shopper_key=key, arm=0,
                                           exposed_at=timezone.now())
    assert tasks.forget_deleted_customers.delay().get() == {"forgotten": 1}
    assert list(DescriptionExposure.objects.values_list("shopper_key", flat=True)) == [
        user_key(customer_user.pk)
    ]


# -- decisions ----------------------------------------------------------------------------


def test_no_difference_finishes_keeping_the_control(tee):
    product, better, _ = tee
    experiment = start(product, better, minimum_detectable_effect=0.5)
    plant(experiment, 0, 6000, 1500)
    plant(experiment, 1, 6000, 1500)
    assert experiments.update_running() == {"updated": 1, "finished": 1, "stopped": 0}
    experiment.refresh_from_db()
    assert (experiment.status, experiment.decision) == ("finished", "no_difference")
    better.refresh_from_db()
    assert better.status == "rejected" and better.reason.startswith("experiment:")
    assert DescriptionExperimentArm.objects.get(experiment=experiment, index=1).outcome == "tied"
    product.refresh_from_db()
    assert to_text(product.description) == ORIGINAL


def test_auto_promotion_puts_a_winner_live_and_rejects_the_loser(tee):
    product, better, worse = tee
    experiment = start(product, better, worse, auto_promote=True)
    plant(experiment, 0, 800, 80)
    plant(experiment, 1, 800, 240)
    plant(experiment, 2, 800, 90)
    day = timezone.now()
    assert experiments.update_running(day)["finished"] == 1
    experiment.refresh_from_db()
    assert (experiment.status, experiment.winner_arm) == ("finished", 1)
    assert experiment.promoted_version_id == better.pk
    better.refresh_from_db()
    worse.refresh_from_db()
    assert (better.status, better.approval, better.approver) == ("live", "experiment", "experiment")
    assert worse.status == "rejected"
    assert [a.outcome for a in experiment.arms.order_by("index")] == ["", "won", "lost"]
    product.refresh_from_db()
    assert to_text(product.description) == REWRITE_A
    assert experiment.statistics["history"][-1]["date"] == day.date().isoformat()


def test_the_daily_history_keeps_one_entry_a_day(tee):
    product, better, _ = tee
    experiment = start(product, better)
    first = timezone.now().replace(hour=12, minute=0)  # an hour later is the same day
    plant(experiment, 0, 10, 1)
    experiments.update_running(first)
    plant(experiment, 1, 10, 2)
    experiments.update_running(first + datetime.timedelta(hours=1))
    experiments.update_running(first + datetime.timedelta(days=1))
    experiment.refresh_from_db()
    history = experiment.statistics["history"]
    assert [day["date"] for day in history] == [
        first.date().isoformat(), (first + datetime.timedelta(days=1)).date().isoformat()
    ]
    assert [arm["exposed"] for arm in history[0]["arms"]] == [10, 10]


def test_an_experiment_whose_control_changed_is_stopped(tee):
    product, better, other = tee
    experiment = start(product, better)
    content_versions.approve(other.pk, approver="staff")  # staff put another text live
    assert experiments.update_running()["stopped"] == 1
    experiment.refresh_from_db()
    assert (experiment.status, experiment.decision) == ("stopped", "stopped")
    assert "live description changed" in experiment.reason


def test_stop_without_promotion_and_promotion_without_a_decision(
    tee, staff_api_client, permission_manage_products
):
    product, better, _ = tee
    experiment = start(product, better)
    refused = staff(staff_api_client, permission_manage_products, STOP,
                    {"id": gid("DescriptionExperiment", experiment.pk), "promote": True})
    errors = refused["descriptionExperimentStop"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("promoteWinner", "INVALID")]
    stopped = staff(staff_api_client, permission_manage_products, STOP,
                    {"id": gid("DescriptionExperiment", experiment.pk)})["descriptionExperimentStop"]
    assert (stopped["experiment"]["status"], stopped["experiment"]["decision"]) == (
        "STOPPED", "STOPPED"
    )
    again = staff(staff_api_client, permission_manage_products, STOP,
                  {"id": gid("DescriptionExperiment", experiment.pk)})
    assert again["descriptionExperimentStop"]["errors"][0]["code"] == "NOT_RUNNING"
    better.refresh_from_db()
    assert better.status == "proposed"  # staff may still approve or test it again


# -- staff API: bad input, permissions, listing ------------------------------------------------


def test_bad_input_gets_specific_errors(
    tee, staff_api_client, permission_manage_products, product_list
):
    product, better, other = tee
    foreign = proposal(product_list[0], "Another product's text.")
    translated = proposal(product, ORIGINAL + " Translated.", language="de")
    live = content_versions.record_live(product)

    def errors(variants, **variables):
        data = staff(staff_api_client, permission_manage_products, START, {
            "product": gid("Product", product.pk),
            "variants": [gid("DescriptionVariant", v) for v in variants], **variables,
        })["descriptionExperimentStart"]
        assert data["experiment"] is None
        return [(e["field"], e["code"]) for e in data["errors"]]

    assert errors([]) == [("variantIds", "REQUIRED")]
    assert errors([uuid.uuid4()]) == [("variantIds", "NOT_FOUND")]
    assert errors([foreign.pk]) == [("variantIds", "INVALID")]
    assert errors([translated.pk]) == [("variantIds", "INVALID")]
    assert errors([live.pk]) == [("variantIds", "INVALID")]
    assert errors([better.pk, better.pk]) == [("variantIds", "INVALID")]
    assert errors([better.pk], traffic=0) == [("trafficPercent", "INVALID")]
    assert errors([better.pk], traffic=101) == [("trafficPercent", "INVALID")]
    assert errors([better.pk], mde=0.0) == [("minimumDetectableEffect", "INVALID")]
    assert errors([better.pk], alpha=0.0) == [("alpha", "INVALID")]
    assert errors([better.pk], alpha=0.5) == [("alpha", "INVALID")]
    bad_id = staff(staff_api_client, permission_manage_products, START, {
        "product": gid("Product", product.pk), "variants": [gid("Product", product.pk)],
    })["descriptionExperimentStart"]["errors"]
    assert [(e["field"], e["code"]) for e in bad_id] == [("variantIds", "GRAPHQL_ERROR")]
    assert not DescriptionExperiment.objects.exists()

    start(product, better)
    assert errors([other.pk]) == [("productId", "ALREADY_RUNNING")]


def test_the_database_allows_one_running_experiment_per_product_and_language(tee):
    product, better, _ = tee
    first = start(product, better)
    with pytest.raises(IntegrityError), transaction.atomic():
        DescriptionExperiment.objects.create(product_id=product.pk, started_at=timezone.now())
    DescriptionExperiment.objects.create(
        product_id=product.pk, language_code="de", started_at=timezone.now()
    )
    assert first.status == "running"


@pytest.mark.parametrize("client_name", ["api_client", "user_api_client", "staff_api_client"])
def test_only_staff_with_manage_products_may_run_or_read_experiments(request, tee, client_name):
    product, better, _ = tee
    client = request.getfixturevalue(client_name)
    assert_no_permission(client.post_graphql(START, {
        "product": gid("Product", product.pk), "variants": [gid("DescriptionVariant", better.pk)],
    }))
    assert_no_permission(client.post_graphql(LIST, {"first": 5}))
    experiment = start(product, better)
    assert_no_permission(client.post_graphql(
        STOP, {"id": gid("DescriptionExperiment", experiment.pk)}
    ))
    assert_no_permission(client.post_graphql(PRODUCT_EXPERIMENT, {"id": gid("Product", product.pk)}))
    assert DescriptionExperiment.objects.get().status == "running"


def test_experiments_are_listed_newest_first_page_by_page(
    tee, staff_api_client, permission_manage_products, product_list
):
    product, better, _ = tee
    for other in product_list[:2]:
        experiments.stop(start(other, proposal(other, "Text.")).pk, promote_winner=False)
    start(product, better)

    def page(**variables):
        return staff(staff_api_client, permission_manage_products, LIST,
                     variables)["descriptionExperiments"]

    first = page(first=2)
    assert first["totalCount"] == 3 and first["pageInfo"]["hasNextPage"]
    assert first["edges"][0]["node"]["product"]["id"] == gid("Product", product.pk)
    second = page(first=2, after=first["pageInfo"]["endCursor"])
    assert len(second["edges"]) == 1 and not second["pageInfo"]["hasNextPage"]
    ids = {e["node"]["id"] for e in first["edges"] + second["edges"]}
    assert len(ids) == 3
    assert page(first=10, status="RUNNING")["totalCount"] == 1


# -- the generator learns from results ------------------------------------------------------


def test_rewrites_get_neighbours_winners_as_examples_and_record_them(tee, product_list):
    product, better, worse = tee
    neighbour = product_list[0]
    won, lost = proposal(neighbour, "Winning text."), proposal(neighbour, "Losing text.")
    experiment = start(neighbour, won, lost, auto_promote=True)
    plant(experiment, 0, 800, 80)
    plant(experiment, 1, 800, 240)
    plant(experiment, 2, 800, 60)
    experiments.update_running()
    space = EmbeddingSpace.objects.create(model_name="m", dimensions=3, status="active")
    SimilarProductList.objects.create(space=space, product_id=product.pk,
                                      product_ids=[neighbour.pk], scores=[0.9])

    examples, counter = experiment_examples.for_product(space, product.pk)

    assert [e.key for e in examples] == [str(won.pk)]
    assert [e.key for e in counter] == [str(lost.pk)]
    assert examples[0].product_name == neighbour.name and examples[0].text == "Winning text."

    class Faithful:
        """A generator answering every prompt with a faithful rewrite; keeps the prompts."""

        name, model = "test", "faithful"

        def __init__(self) -> None:
            self.prompts: list = []

        def generate(self, prompts, *, n=1, **kwargs):
            self.prompts.extend(prompts)
            return [[REWRITE_A] * n for _ in prompts]

    # A chat-completions server's model is shown them.
    generator = Faithful()
    job = content_jobs.create_job([product.pk], candidates=1)
    server = PersonalizationConfig(generator_backend="openai", generator_url="http://x")
    content_jobs.rewrite_product(server, job, product.pk, generator)
    assert any("Winning text." in p.user and "Losing text." in p.user for p in generator.prompts)
    versions = list(DescriptionVersion.objects.filter(job=job))
    assert versions, job.outcomes
    for version in versions:
        assert version.example_keys == [str(won.pk), str(lost.pk)]

    # The bundled small model is shown them as an earlier exchange: the request for the
    # losing text, answered with the winning one (quoted, they made it write worse).
    DescriptionVersion.objects.filter(job=job).delete()
    local = Faithful()
    job = content_jobs.create_job([product.pk], candidates=1)
    content_jobs.rewrite_product(PersonalizationConfig(), job, product.pk, local)
    turns = [p.turns for p in local.prompts if p.turns]
    assert turns and all("Winning text." not in p.user for p in local.prompts)
    [(asked, answered)] = turns[0]
    assert "Losing text." in asked and answered == "Winning text."
    versions = list(DescriptionVersion.objects.filter(job=job))
    assert versions, job.outcomes
    assert all(v.example_keys == [str(won.pk), str(lost.pk)] for v in versions)


def test_a_deleted_product_takes_its_experiments_along(tee):
    from saleor_personalization.saleor_adapter import hooks

    product, better, _ = tee
    start(product, better)
    pk = product.pk
    Product.objects.filter(pk=pk).delete()
    hooks.product_deleted(pk)
    assert not DescriptionExperiment.objects.exists()
    assert DescriptionVersion.objects.filter(product_id=pk).exists()  # history is kept


def test_the_attribution_window_is_a_setting_of_1_to_90_days():
    from saleor_personalization.saleor_adapter.config import ConfigError, parse_config

    assert PersonalizationConfig().experiment_attribution_days == 7
    parsed = parse_config([{"name": "experiment_attribution_days", "value": "14"}])
    assert parsed.experiment_attribution_days == 14
    for bad in ("0", "91", "a week"):
        with pytest.raises(ConfigError) as raised:
            parse_config([{"name": "experiment_attribution_days", "value": bad}])
        assert "experiment_attribution_days" in raised.value.errors


def test_the_report_command_draws_the_daily_curve(tee, tmp_path):
    import base64

    from django.core.management import CommandError, call_command

    product, better, _ = tee
    experiment = start(product, better)
    with pytest.raises(CommandError, match="no daily statistics yet"):
        call_command("personalization_experiment_report", str(experiment.pk), report=tmp_path)
    first = timezone.now().replace(hour=12, minute=0)
    plant(experiment, 0, 40, 2)
    plant(experiment, 1, 40, 4)
    experiments.update_running(first)
    experiments.update_running(first + datetime.timedelta(days=1))
    graphql_id = base64.b64encode(f"DescriptionExperiment:{experiment.pk}".encode()).decode()

    call_command("personalization_experiment_report", graphql_id, report=tmp_path)

    assert (tmp_path / "experiment.png").read_bytes()[:4] == b"\x89PNG"
    assert "variant 1" in (tmp_path / "report.md").read_text()
    with pytest.raises(CommandError, match="neither an experiment UUID"):
        call_command("personalization_experiment_report", "nope", report=tmp_path)
