"""Shopper hooks: orders → purchases, checkout lines → add-to-cart, accounts created and deleted.

Saleor's test ``ApiClient.post_graphql`` runs on-commit callbacks itself, and its
test settings run Celery tasks eagerly, so a mutation's events are stored when it
returns.
"""

from __future__ import annotations

import pytest
from django.utils import timezone
from saleor.account.models import User
from saleor.order.models import Order
from saleor.plugins.manager import get_plugins_manager
from support import gid, graphql

from saleor_personalization.engine.events import Event, EventType
from saleor_personalization.models import InteractionEvent, RecommendationList, ShopperProfile
from saleor_personalization.saleor_adapter import jobs, services
from saleor_personalization.saleor_adapter.shoppers import email_key, user_key
from saleor_personalization.store import DjangoStore

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
def unpaid_orders_allowed(checkout_ready_to_complete):
    channel = checkout_ready_to_complete.channel
    channel.allow_unpaid_orders = True
    channel.automatically_confirm_all_new_orders = True
    channel.save()
    return checkout_ready_to_complete


def test_guest_checkout_complete_records_purchases_under_the_email_once_per_line(
    api_client, unpaid_orders_allowed, index_catalog, django_capture_on_commit_callbacks
):
    checkout = unpaid_orders_allowed
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
    app_api_client, permission_handle_checkouts, unpaid_orders_allowed, customer_user, index_catalog
):
    checkout = unpaid_orders_allowed
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

    jobs.record_order(config, order_with_lines.pk)

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
