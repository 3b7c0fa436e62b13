"""Shopper hooks: orders → purchases, checkout lines → add-to-cart, accounts created and deleted.

Saleor's test ``ApiClient.post_graphql`` runs on-commit callbacks itself, and its
test settings run Celery tasks eagerly, so a mutation's events are stored when it
returns. An order is a purchase while Saleor counts it as placed: from its
confirmation (at once in channels that confirm every new order) until it is
canceled or expires.
"""

from __future__ import annotations

import pytest
from django.utils import timezone
from saleor.account.models import User
from saleor.order.models import Order
from saleor.plugins.manager import get_plugins_manager
from saleor_personalization import tasks
from saleor_personalization.engine.events import Event, EventType
from saleor_personalization.models import InteractionEvent, RecommendationList, ShopperProfile
from saleor_personalization.saleor_adapter import services, shopper_jobs
from saleor_personalization.saleor_adapter.shoppers import email_key, user_key
from saleor_personalization.store import DjangoStore
from support import gid, graphql

CHECKOUT_COMPLETE = """
mutation complete($id: ID) {
  checkoutComplete(id: $id) { order { id } errors { field code message } }
}
"""

ORDER_CREATE_FROM_CHECKOUT = """
mutation fromCheckout($id: ID!) {
  orderCreateFromCheckout(id: $id) { order { id } errors { field code message } }
}
"""

DRAFT_ORDER_COMPLETE = """
mutation draftComplete($id: ID!) {
  draftOrderComplete(id: $id) { order { id status } errors { field code message } }
}
"""

ORDER_CONFIRM = """
mutation confirm($id: ID!) {
  orderConfirm(id: $id) { order { status } errors { field code message } }
}
"""

ORDER_CANCEL = """
mutation cancel($id: ID!) {
  orderCancel(id: $id) { order { status } errors { field code message } }
}
"""

CHECKOUT_LINES_ADD = """
mutation linesAdd($id: ID, $lines: [CheckoutLineInput!]!) {
  checkoutLinesAdd(id: $id, lines: $lines) { checkout { id } errors { field code message } }
}
"""

CUSTOMER_CREATE = """
mutation customerCreate($input: UserCreateInput!) {
  customerCreate(input: $input) { user { id } errors { field code message } }
}
"""

CUSTOMER_UPDATE = """
mutation customerUpdate($id: ID!, $input: CustomerInput!) {
  customerUpdate(id: $id, input: $input) { errors { field code message } }
}
"""

CUSTOMER_DELETE = """
mutation customerDelete($id: ID!) {
  customerDelete(id: $id) { errors { field code message } }
}
"""


def purchases() -> list[tuple[str, int, str]]:
    return sorted(
        InteractionEvent.objects.filter(event_type="purchase").values_list(
            "shopper_key", "product_id", "source_ref"
        )
    )


def expected_purchases(order: Order, shopper_key: str) -> list[tuple[str, int, str]]:
    return sorted(
        (shopper_key, line.variant.product_id, f"order-line:{line.id}")
        for line in order.lines.select_related("variant")
    )


@pytest.fixture
def orders_confirmed_at_once(checkout_ready_to_complete):
    """A guest checkout with a card payment authorized, in a channel that confirms every
    new order: Saleor creates its order confirmed (UNFULFILLED), a purchase at once."""
    from decimal import Decimal

    from saleor.payment.models import TransactionItem

    checkout = checkout_ready_to_complete
    channel = checkout.channel
    channel.allow_unpaid_orders = True
    channel.automatically_confirm_all_new_orders = True
    channel.save()
    TransactionItem.objects.create(
        name="Credit card", psp_reference="PSP ref", currency=checkout.currency,
        checkout_id=checkout.pk, authorized_value=Decimal(10),
    )
    return checkout


def test_guest_checkout_complete_records_purchases_under_the_email_once_per_line(
    api_client, orders_confirmed_at_once, index_catalog, django_capture_on_commit_callbacks
):
    checkout = orders_confirmed_at_once
    guest_email = checkout.email
    index_catalog()

    data = graphql(api_client, CHECKOUT_COMPLETE, {"id": gid(checkout)})["checkoutComplete"]

    assert data["errors"] == []
    order = Order.objects.get()
    assert order.user_id is None
    recorded = purchases()
    assert recorded == expected_purchases(order, email_key(guest_email))
    assert len(recorded) == order.lines.count() == 1

    # order_created and later order_fully_paid: the same lines, no new events.
    manager = get_plugins_manager(allow_replica=False)
    with django_capture_on_commit_callbacks(execute=True):
        manager.order_created(order)
        manager.order_fully_paid(order)
    assert purchases() == recorded


def test_order_created_from_checkout_by_an_app_records_purchases_for_the_customer(
    app_api_client, permission_handle_checkouts, orders_confirmed_at_once, customer_user, index_catalog
):
    checkout = orders_confirmed_at_once
    checkout.user = customer_user
    checkout.save(update_fields=["user"])
    app_api_client.app.permissions.add(permission_handle_checkouts)
    index_catalog()

    data = graphql(app_api_client, ORDER_CREATE_FROM_CHECKOUT, {"id": gid(checkout)})

    assert data["orderCreateFromCheckout"]["errors"] == []
    order = Order.objects.get()
    assert purchases() == expected_purchases(order, user_key(customer_user.pk))


def test_draft_order_complete_records_purchases_for_the_customer(
    staff_api_client, permission_group_manage_orders, draft_order, customer_user, index_catalog
):
    permission_group_manage_orders.user_set.add(staff_api_client.user)
    draft_order.user = customer_user
    draft_order.save(update_fields=["user"])
    index_catalog()
    assert purchases() == []  # a draft is not a purchase

    data = graphql(staff_api_client, DRAFT_ORDER_COMPLETE, {"id": gid(draft_order)})

    assert data["draftOrderComplete"]["errors"] == []
    recorded = purchases()
    assert recorded == expected_purchases(draft_order, user_key(customer_user.pk))
    assert len(recorded) == 2


def test_checkout_lines_add_records_add_to_cart_once_per_variant(
    api_client, checkout, product, index_catalog
):
    variant = product.variants.get()
    index_catalog()
    lines = {"id": gid(checkout), "lines": [{"variantId": gid(variant), "quantity": 1}]}

    for _ in range(2):
        data = graphql(api_client, CHECKOUT_LINES_ADD, lines)
        assert data["checkoutLinesAdd"]["errors"] == []

    added = list(
        InteractionEvent.objects.filter(event_type="add_to_cart").values_list(
            "shopper_key", "product_id", "channel"
        )
    )
    assert added == [(email_key(checkout.email), product.id, checkout.channel.slug)]


def test_customer_delete_forgets_everything_about_the_shopper(
    staff_api_client, permission_manage_users, customer_user, product, index_catalog
):
    staff_api_client.user.user_permissions.add(permission_manage_users)
    index_catalog()
    config = services.load_config()
    keys = [user_key(customer_user.pk), email_key(customer_user.email)]
    for key in keys:
        services.track(config, Event(key, product.id, EventType.PURCHASE, timezone.now()))
    DjangoStore().save_list(keys[0], "main", [product.id], None)
    assert ShopperProfile.objects.filter(shopper_key__in=keys).count() == 2

    data = graphql(staff_api_client, CUSTOMER_DELETE, {"id": gid(customer_user)})

    assert data["customerDelete"]["errors"] == []
    assert not User.objects.filter(email=customer_user.email).exists()
    for model in (InteractionEvent, ShopperProfile, RecommendationList):
        assert not model.objects.filter(shopper_key__in=keys).exists(), model.__name__


def test_staff_created_customer_gets_the_guest_history_of_its_email_once_confirmed(
    staff_api_client, permission_manage_users, product, index_catalog
):
    staff_api_client.user.user_permissions.add(permission_manage_users)
    index_catalog()
    email = "returning.guest@example.com"
    guest = email_key(email)
    services.track(
        services.load_config(),
        Event(guest, product.id, EventType.PURCHASE, timezone.now(), source_ref="order-line:x"),
    )

    # Saleor creates every account unconfirmed: the history stays the guest's.
    data = graphql(staff_api_client, CUSTOMER_CREATE, {"input": {"email": email}})
    assert data["customerCreate"]["errors"] == []
    customer = User.objects.get(email=email)
    assert not customer.is_confirmed
    assert list(InteractionEvent.objects.values_list("shopper_key", flat=True)) == [guest]

    data = graphql(
        staff_api_client, CUSTOMER_UPDATE, {"id": gid(customer), "input": {"isConfirmed": True}}
    )

    assert data["customerUpdate"]["errors"] == []
    key = user_key(customer.pk)
    assert list(InteractionEvent.objects.values_list("shopper_key", "product_id")) == [
        (key, product.id)
    ]
    assert list(ShopperProfile.objects.values_list("shopper_key", flat=True)) == [key]


def test_confirmed_customers_order_brings_their_guest_history(
    customer_user, order_with_lines, product, index_catalog
):
    """Confirming by setting a password fires no plugin hook; the next order merges."""
    index_catalog()
    config = services.load_config()
    guest = email_key(customer_user.email)
    services.track(config, Event(guest, product.id, EventType.PURCHASE, timezone.now()))
    assert customer_user.is_confirmed and order_with_lines.user_id == customer_user.pk

    shopper_jobs.sync_order(config, order_with_lines.pk)

    assert not InteractionEvent.objects.filter(shopper_key=guest).exists()
    assert set(InteractionEvent.objects.values_list("shopper_key", flat=True)) == {
        user_key(customer_user.pk)
    }


def test_self_registered_account_gets_the_guest_history_only_once_confirmed(
    customer_user, product, index_catalog, django_capture_on_commit_callbacks
):
    index_catalog()
    guest = email_key(customer_user.email)
    services.track(
        services.load_config(), Event(guest, product.id, EventType.PURCHASE, timezone.now())
    )
    customer_user.is_confirmed = False
    manager = get_plugins_manager(allow_replica=False)

    with django_capture_on_commit_callbacks(execute=True):
        manager.customer_created(customer_user)
    assert list(InteractionEvent.objects.values_list("shopper_key", flat=True)) == [guest]

    with django_capture_on_commit_callbacks(execute=True):
        manager.account_confirmed(customer_user)
    assert list(InteractionEvent.objects.values_list("shopper_key", flat=True)) == [
        user_key(customer_user.pk)
    ]


# -- an order's purchases follow its status ------------------------------------------


@pytest.fixture
def orders_await_confirmation(checkout_ready_to_complete):
    """A guest checkout in a channel where staff confirm each new order."""
    channel = checkout_ready_to_complete.channel
    channel.allow_unpaid_orders = True
    channel.automatically_confirm_all_new_orders = False
    channel.save()
    return checkout_ready_to_complete


@pytest.fixture
def manage_orders(staff_api_client, permission_group_manage_orders):
    permission_group_manage_orders.user_set.add(staff_api_client.user)
    return staff_api_client


def profile_event_count(shopper_key: str) -> int | None:
    return (
        ShopperProfile.objects.filter(shopper_key=shopper_key)
        .values_list("event_count", flat=True)
        .first()
    )


def test_an_unconfirmed_order_is_a_purchase_from_its_confirmation_until_its_cancellation(
    api_client, manage_orders, orders_await_confirmation, index_catalog
):
    checkout = orders_await_confirmation
    guest = email_key(checkout.email)
    product_id = checkout.lines.get().variant.product_id
    index_catalog()
    # Something else the guest did, which the profile must keep throughout.
    services.track(services.load_config(), Event(guest, product_id, EventType.VIEW, timezone.now()))

    data = graphql(api_client, CHECKOUT_COMPLETE, {"id": gid(checkout)})["checkoutComplete"]

    assert data["errors"] == []
    order = Order.objects.get()
    assert order.status == "unconfirmed"
    assert purchases() == []
    assert profile_event_count(guest) == 1

    data = graphql(manage_orders, ORDER_CONFIRM, {"id": gid(order)})["orderConfirm"]

    assert data["errors"] == [] and data["order"]["status"] == "UNFULFILLED"
    assert purchases() == expected_purchases(order, guest)
    assert profile_event_count(guest) == 2

    data = graphql(manage_orders, ORDER_CANCEL, {"id": gid(order)})["orderCancel"]

    assert data["errors"] == [] and data["order"]["status"] == "CANCELED"
    assert purchases() == []
    assert list(InteractionEvent.objects.values_list("shopper_key", "event_type")) == [
        (guest, "view")
    ]
    # The profile is rebuilt from what is left, not left holding the purchase.
    assert profile_event_count(guest) == 1


def test_an_expired_order_loses_purchases_recorded_for_it(
    api_client, orders_await_confirmation, index_catalog, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from saleor.order.tasks import expire_orders_task

    checkout = orders_await_confirmation
    checkout.channel.expire_orders_after = 1  # minutes
    checkout.channel.save(update_fields=["expire_orders_after"])
    index_catalog()
    graphql(api_client, CHECKOUT_COMPLETE, {"id": gid(checkout)})
    order = Order.objects.get()
    line = order.lines.get()
    guest = email_key(checkout.email)
    # As an earlier version recorded unconfirmed orders at once.
    services.track(
        services.load_config(),
        Event(guest, line.variant.product_id, EventType.PURCHASE, order.created_at,
              source_ref=f"order-line:{line.id}"),
    )
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(hours=1))

    with django_capture_on_commit_callbacks(execute=True):
        expire_orders_task()

    order.refresh_from_db()
    assert order.status == "expired"
    assert purchases() == []
    assert profile_event_count(guest) is None  # nothing left to build a profile from


def test_every_order_hook_enqueues_the_same_status_following_task(
    order_with_lines, personalization, enqueued, django_capture_on_commit_callbacks
):
    manager = get_plugins_manager(allow_replica=False)

    with django_capture_on_commit_callbacks(execute=True):
        for hook in ("order_created", "order_confirmed", "order_fully_paid",
                     "order_cancelled", "order_expired"):
            getattr(manager, hook)(order_with_lines)

    assert enqueued == [(tasks.sync_order_purchases.name, (str(order_with_lines.pk),))] * 5


def test_syncing_an_order_twice_records_and_withdraws_once(
    order_with_lines, customer_user, index_catalog
):
    index_catalog()
    config = services.load_config()
    lines = order_with_lines.lines.count()

    assert shopper_jobs.sync_order(config, order_with_lines.pk).recorded == lines
    assert shopper_jobs.sync_order(config, order_with_lines.pk).recorded == 0
    assert len(purchases()) == lines

    Order.objects.filter(pk=order_with_lines.pk).update(status="canceled")

    assert shopper_jobs.sync_order(config, order_with_lines.pk).withdrawn == lines
    assert shopper_jobs.sync_order(config, order_with_lines.pk).withdrawn == 0
    assert purchases() == []


# -- account confirmation: the merge is a task --------------------------------------


def test_confirming_a_customer_enqueues_the_merge_instead_of_doing_it(
    staff_api_client, permission_manage_users, customer_user, product, index_catalog, enqueued
):
    staff_api_client.user.user_permissions.add(permission_manage_users)
    index_catalog()
    guest = email_key(customer_user.email)
    services.track(
        services.load_config(), Event(guest, product.id, EventType.PURCHASE, timezone.now())
    )
    customer_user.is_confirmed = False
    customer_user.save(update_fields=["is_confirmed"])

    data = graphql(
        staff_api_client, CUSTOMER_UPDATE, {"id": gid(customer_user), "input": {"isConfirmed": True}}
    )

    assert data["customerUpdate"]["errors"] == []
    # customer_updated and account_confirmed both fire; the task is idempotent.
    assert set(enqueued) == {(tasks.merge_guest_history.name, (customer_user.pk,))}
    assert list(InteractionEvent.objects.values_list("shopper_key", flat=True)) == [guest]

    assert tasks.merge_guest_history.apply(args=(customer_user.pk,)).get() == {"merged": 1}
    assert list(InteractionEvent.objects.values_list("shopper_key", flat=True)) == [
        user_key(customer_user.pk)
    ]
    assert tasks.merge_guest_history.apply(args=(customer_user.pk,)).get() == {"merged": 0}


def test_the_merge_task_rereads_the_account_and_skips_an_unconfirmed_one(
    customer_user, product, index_catalog
):
    index_catalog()
    guest = email_key(customer_user.email)
    services.track(
        services.load_config(), Event(guest, product.id, EventType.PURCHASE, timezone.now())
    )
    User.objects.filter(pk=customer_user.pk).update(is_confirmed=False)

    assert tasks.merge_guest_history.delay(customer_user.pk).get() == {"merged": 0}
    assert tasks.merge_guest_history.delay(customer_user.pk + 1000).get() == {"merged": 0}
    assert list(InteractionEvent.objects.values_list("shopper_key", flat=True)) == [guest]
