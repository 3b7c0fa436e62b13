"""Our fields in Saleor's GraphQL API, against real Saleor, PostgreSQL + pgvector and MiniLM."""

from __future__ import annotations

import datetime
import sys
import uuid

import graphene
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from saleor.graphql.tests.utils import (
    assert_no_permission,
    get_graphql_content,
    get_graphql_content_from_response,
)
from saleor.product.models import (
    Product,
)
from saleor_personalization.engine.events import Event, EventType
from saleor_personalization.models import InteractionEvent, ProductVector, RecommendationList
from saleor_personalization.saleor_adapter import catalog_jobs, list_tokens, services
from saleor_personalization.saleor_adapter.config import PersonalizationConfig
from saleor_personalization.saleor_adapter.graphql import schema as our_schema
from saleor_personalization.store.django_store import clear_popularity_cache
from support import list_product

COFFEE = ["Ethiopian coffee beans", "Colombian dark roast coffee", "Burr coffee grinder",
          "Pour-over coffee dripper"]
RUNNING = ["Road running shoes", "Trail running shoes", "Running socks", "GPS running watch"]
SELLABLE_USD = COFFEE + RUNNING
DESCRIPTIONS = {
    "Ethiopian coffee beans": "Light roast whole bean coffee with floral notes.",
    "Colombian dark roast coffee": "Rich chocolatey ground coffee for espresso.",
    "Burr coffee grinder": "Ceramic burrs grind coffee beans evenly for pour-over.",
    "Pour-over coffee dripper": "Glass dripper for brewing filter coffee at home.",
    "Road running shoes": "Cushioned running shoes with breathable mesh.",
    "Trail running shoes": "Grippy outsole running shoes for muddy trails.",
    "Running socks": "Moisture-wicking socks for long runs.",
    "GPS running watch": "Tracks pace, distance and heart rate on every run.",
    "Kenyan coffee beans": "Bright, fruity whole bean coffee.",
    "Guatemalan coffee beans": "Balanced medium roast whole bean coffee.",
    "Sumatra coffee beans": "Earthy dark roast whole bean coffee.",
    "Instant coffee": "Soluble coffee granules.",
}
EPOCH = datetime.datetime(1999, 1, 1, tzinfo=datetime.UTC)
GUEST = "7c0e4b2a-guest-0001"  # as unguessable as storefronts must make theirs
NIL_LIST_ID = graphene.Node.to_global_id("RecommendationList", str(uuid.UUID(int=0)))

SIMILAR = """
query($id: ID!, $channel: String, $first: Int) {
  product(id: $id, channel: $channel) { similarProducts(first: $first) { id name } }
}"""
RECOMMENDED = """
query($channel: String!, $first: Int, $anonymousId: String, $productId: ID, $userId: ID) {
  recommendedProducts(channel: $channel, first: $first, anonymousId: $anonymousId,
                      productId: $productId, userId: $userId) {
    id items { product { id name } score reason }
  }
}"""
ME = """
query($channel: String!, $first: Int) {
  me { recommendedProducts(channel: $channel, first: $first) { items { product { name } } } }
}"""
USER = """
query($id: ID!, $channel: String!) {
  user(id: $id) { recommendedProducts(channel: $channel) { items { product { name } reason } } }
}"""
PAGE = """
query($channel: String!, $first: Int!) {
  products(first: $first, channel: $channel, sortBy: {field: NAME, direction: ASC}) {
    edges { node { name similarProducts(first: 3) { id name } } }
  }
}"""
TRACK = """
mutation($input: RecommendationEventInput!) {
  recommendationEventTrack(input: $input) { tracked errors { field code message } }
}"""


def gid(kind: str, pk) -> str:
    return graphene.Node.to_global_id(kind, pk)


@pytest.fixture
def catalog(product_type, category, warehouse, shipping_zone, channel_USD, channel_PLN):
    """Sellable coffee and running gear in USD, plus coffee that USD cannot sell."""
    warehouse.channels.add(channel_PLN)
    shipping_zone.channels.add(channel_PLN)
    products = {}
    for index, (name, text) in enumerate(DESCRIPTIONS.items()):
        products[name] = Product.objects.create(
            name=name, slug=f"p-{index}", product_type=product_type, category=category,
            description={"blocks": [{"type": "paragraph", "data": {"text": text}}]},
        )
    for name in SELLABLE_USD + ["Instant coffee"]:
        list_product(products[name], channel_USD, warehouse)
    list_product(products["Colombian dark roast coffee"], channel_PLN, warehouse)
    list_product(products["Kenyan coffee beans"], channel_USD, warehouse, published=False)
    list_product(products["Guatemalan coffee beans"], channel_USD, warehouse, stock=0)
    list_product(products["Sumatra coffee beans"], channel_PLN, warehouse)
    return products


@pytest.fixture
def indexed(catalog, encoder_config, personalization):
    """The catalog indexed, except "Instant coffee" (a product added since)."""
    catalog_jobs.rebuild_all(PersonalizationConfig())
    ProductVector.objects.filter(product_id=catalog["Instant coffee"].pk).delete()
    return catalog


@pytest.fixture(params=["live", "stored"])
def similar_indexed(request, indexed):
    """``indexed``, with product pages served by live search or by stored similar lists."""
    if request.param == "stored":
        assert catalog_jobs.refresh_similar_lists(PersonalizationConfig()) == len(indexed) - 1
    return indexed


def post(client, query, variables=None):
    return get_graphql_content_from_response(client.post_graphql(query, variables))


def product_pk(item) -> int:
    return int(graphene.Node.from_global_id(item["product"]["id"])[1])


def names(items) -> list[str]:
    return [item["product"]["name"] if "product" in item else item["name"] for item in items]


def error_of(content) -> dict:
    assert content.get("errors"), content
    return content["errors"][0]["extensions"]


def track(catalog, key: str, name: str, kind=EventType.VIEW, channel="main") -> None:
    event = Event(key, catalog[name].pk, kind, timezone.now(), channel)
    services.track(PersonalizationConfig(), event)


def recommended(client, **variables):
    response = client.post_graphql(RECOMMENDED, {"channel": "main", **variables})
    return get_graphql_content(response)["data"]["recommendedProducts"]


# -- schema -----------------------------------------------------------------------


def test_the_schema_has_our_fields_with_descriptions():
    from saleor.graphql.api import schema

    sdl = str(schema)
    assert "similarProducts(first: Int = 10): [Product!]!" in sdl
    assert "recommendationEventTrack(input: RecommendationEventInput!)" in sdl
    query = schema.get_type("Query").fields["recommendedProducts"]
    assert list(query.args) == ["channel", "first", "anonymousId", "productId", "userId"]
    assert str(schema.get_type("User").fields["recommendedProducts"].type) == "RecommendationList"
    for type_name in ("RecommendationList", "RecommendedProduct", "RecommendationEventInput"):
        fields = schema.get_type(type_name).fields
        assert all(field.description for field in fields.values()), type_name
    assert all(arg.description for arg in query.args.values())
    assert our_schema.install() is True  # already installed: a no-op


def test_our_list_fields_count_towards_saleors_query_cost(api_client, indexed):
    content = get_graphql_content(api_client.post_graphql(
        "query { recommendedProducts(channel: \"main\", first: 7) { id }"
        " products(first: 4, channel: \"main\") { edges { node { similarProducts { id } } } } }"
    ))
    assert content["extensions"]["cost"]["requestedQueryCost"] == 7 + 4 + 4 * 10


def test_install_refuses_quietly_once_the_schema_is_built(monkeypatch, caplog):
    monkeypatch.setattr(our_schema, "_installed", False)
    assert our_schema.install() is False
    assert "already built" in caplog.text


def test_install_refuses_quietly_on_an_unexpected_saleor(monkeypatch, caplog):
    monkeypatch.setattr(our_schema, "_installed", False)
    monkeypatch.delitem(sys.modules, "saleor.graphql.api")
    monkeypatch.setattr(our_schema, "_targets", lambda: {"product": object})
    assert our_schema.install() is False
    assert "not a graphene ObjectType" in caplog.text

    def broken():
        raise ImportError("no saleor.graphql.product.schema")

    monkeypatch.setattr(our_schema, "_targets", broken)
    assert our_schema.install() is False
    assert "no saleor.graphql.product.schema" in caplog.text


def test_install_never_attaches_twice():
    targets = our_schema._targets()
    problem = our_schema._shape_problem(targets)
    assert problem.startswith("fields already defined: ProductQueries.recommended_products, ")
    named = problem.removeprefix("fields already defined: ").split(", ")
    assert named == [
        f"{targets[target].__name__}.{name}" for target, name, _key in our_schema.PLACEMENTS
    ]
    assert {"ProductMutations.recommendation_event_track", "Product.similar_products",
            "User.recommended_products", "ProductQueries.recommender_models"} <= set(named)


def test_an_install_failure_never_escapes_ready(monkeypatch, caplog):
    from django.apps import apps

    def explode():
        raise RuntimeError("boom")

    monkeypatch.setattr(our_schema, "install", explode)
    apps.get_app_config("saleor_personalization").ready()
    assert "boom" in caplog.text


# -- Product.similarProducts ---------------------------------------------------------


@pytest.mark.parametrize("client_name", ["api_client", "user_api_client", "staff_api_client"])
def test_similar_products_are_sellable_in_the_products_channel(request, similar_indexed, client_name):
    client = request.getfixturevalue(client_name)
    content = get_graphql_content(client.post_graphql(
        SIMILAR, {"id": gid("Product", similar_indexed["Ethiopian coffee beans"].pk), "channel": "main",
                  "first": 10},
    ))
    assert names(content["data"]["product"]["similarProducts"]) == [
        "Colombian dark roast coffee", "Burr coffee grinder", "Pour-over coffee dripper",
        "Road running shoes", "Running socks", "Trail running shoes", "GPS running watch",
    ]  # no unpublished, out-of-stock or PLN-only coffee; not the product itself


def test_similar_products_in_another_channel(api_client, similar_indexed):
    content = get_graphql_content(api_client.post_graphql(
        SIMILAR, {"id": gid("Product", similar_indexed["Sumatra coffee beans"].pk), "channel": "c-pln"}
    ))
    assert names(content["data"]["product"]["similarProducts"]) == ["Colombian dark roast coffee"]


def test_similar_products_respects_first(api_client, similar_indexed):
    content = get_graphql_content(api_client.post_graphql(
        SIMILAR, {"id": gid("Product", similar_indexed["Trail running shoes"].pk), "channel": "main",
                  "first": 2},
    ))
    assert names(content["data"]["product"]["similarProducts"]) == [
        "Road running shoes", "Running socks"
    ]


@pytest.mark.parametrize("first", [0, -1, 101])
def test_similar_products_first_is_bounded(api_client, indexed, first):
    content = post(api_client, SIMILAR, {
        "id": gid("Product", indexed["Trail running shoes"].pk), "channel": "main", "first": first,
    })
    assert error_of(content)["code"] == "INVALID" and error_of(content)["field"] == "first"


@pytest.mark.parametrize("switch", [{"active": False}, {"recommendations_enabled": False}])
def test_similar_products_empty_when_switched_off(
    api_client, indexed, plugin_configuration, switch
):
    plugin_configuration(**switch)
    content = get_graphql_content(api_client.post_graphql(
        SIMILAR, {"id": gid("Product", indexed["Trail running shoes"].pk), "channel": "main"}
    ))
    assert content["data"]["product"]["similarProducts"] == []


def test_similar_products_empty_before_anything_is_indexed(api_client, catalog, personalization):
    content = get_graphql_content(api_client.post_graphql(
        SIMILAR, {"id": gid("Product", catalog["Trail running shoes"].pk), "channel": "main"}
    ))
    assert content["data"]["product"]["similarProducts"] == []


def count_page_queries(client, size: int) -> tuple[int, list[dict]]:
    clear_popularity_cache()
    with CaptureQueriesContext(connection) as queries:
        content = get_graphql_content(client.post_graphql(PAGE, {"channel": "main", "first": size}))
    return len(queries), content["data"]["products"]["edges"]


def test_a_page_of_similar_products_costs_the_same_queries_whatever_its_size(
    api_client, similar_indexed
):
    count_page_queries(api_client, 6)  # warm Saleor's per-process caches (site, permissions)
    small, small_edges = count_page_queries(api_client, 2)
    large, large_edges = count_page_queries(api_client, 6)
    found = {e["node"]["name"]: len(e["node"]["similarProducts"]) for e in large_edges}
    assert found == {
        "Burr coffee grinder": 3, "Colombian dark roast coffee": 3, "Ethiopian coffee beans": 3,
        "GPS running watch": 3, "Guatemalan coffee beans": 3, "Instant coffee": 0,
    }
    assert len(small_edges) == 2
    # From stored lists, a page costs one statement more when one of its products
    # (Instant coffee, not indexed) has no list and is searched live.
    assert large == small + (3 if stored_lists_serve() else 0), (small, large)
    if stored_lists_serve():
        assert count_page_queries(api_client, 5)[0] == small


def stored_lists_serve() -> bool:
    from saleor_personalization.models import SimilarProductList

    return SimilarProductList.objects.exists()


# -- Query.recommendedProducts ------------------------------------------------------


def test_a_guest_without_history_gets_the_channels_popular_products(api_client, indexed):
    for shopper in ("anon:someone-1", "anon:someone-2"):
        track(indexed, shopper, "GPS running watch", EventType.ADD_TO_CART)
    track(indexed, "anon:someone-3", "Sumatra coffee beans", channel="c-pln")
    result = recommended(api_client, first=20)
    assert result["items"][0]["product"]["name"] == "GPS running watch"
    assert result["items"][0]["reason"] == "Popular in main"
    assert sorted(names(result["items"])) == sorted(SELLABLE_USD)
    # Looking at a list stores nothing: its id is a signed token.
    served = list_tokens.verify(graphene.Node.from_global_id(result["id"])[1])
    assert served.product_ids == tuple(product_pk(i) for i in result["items"])
    assert not RecommendationList.objects.exists()


def test_a_guest_gets_recommendations_from_their_own_history(api_client, indexed):
    track(indexed, f"anon:{GUEST}", "Ethiopian coffee beans")
    track(indexed, f"anon:{GUEST}", "Burr coffee grinder")
    result = recommended(api_client, anonymousId=GUEST, first=3)
    assert [(i["product"]["name"], i["reason"]) for i in result["items"][:2]] == [
        ("Colombian dark roast coffee", "Because you viewed Ethiopian coffee beans"),
        ("Pour-over coffee dripper", "Because you viewed Burr coffee grinder"),
    ]


def served(client, **variables) -> tuple[int, list[tuple[str, str]]]:
    with CaptureQueriesContext(connection) as queries:
        result = recommended(client, **variables)
    return len(queries), [(i["product"]["name"], i["reason"]) for i in result["items"]]


def test_a_shoppers_stored_lists_serve_the_live_ranking_in_fewer_queries(api_client, indexed):
    key = f"anon:{GUEST}"
    track(indexed, key, "Ethiopian coffee beans")
    track(indexed, key, "Burr coffee grinder")
    served(api_client, anonymousId=GUEST, first=4)  # Saleor's per-process caches
    live_queries, live = served(api_client, anonymousId=GUEST, first=4)
    live_pln = served(api_client, channel="c-pln", anonymousId=GUEST, first=1)[1]

    assert services.refresh_shopper_lists(PersonalizationConfig(), [key, "anon:nobody"]) == 1

    stored_queries, stored = served(api_client, anonymousId=GUEST, first=4)
    assert stored == live and stored_queries < live_queries, (stored_queries, live_queries)
    assert served(api_client, channel="c-pln", anonymousId=GUEST, first=1)[1] == live_pln
    # The next event makes them stale: served live until a worker recomputes them.
    track(indexed, key, "Road running shoes")
    assert served(api_client, anonymousId=GUEST, first=4)[0] == live_queries


def test_a_tracked_event_has_a_worker_recompute_the_shoppers_lists(api_client, indexed):
    from saleor_personalization.models import ShopperProfile

    content = get_graphql_content(api_client.post_graphql(TRACK, {"input": {
        "productId": gid("Product", indexed["Ethiopian coffee beans"].pk), "event": "VIEW",
        "channel": "main", "anonymousId": GUEST,
    }}))
    assert content["data"]["recommendationEventTrack"]["tracked"]
    profile = ShopperProfile.objects.get(shopper_key=f"anon:{GUEST}")
    assert profile.lists_for == profile.updated_at and profile.session_list


def test_guest_ids_are_ignored_when_anonymous_tracking_is_off(
    api_client, indexed, plugin_configuration
):
    plugin_configuration(anonymous_tracking=False)
    track(indexed, f"anon:{GUEST}", "Ethiopian coffee beans")
    with_id = recommended(api_client, anonymousId="not valid!", first=20)
    assert sorted(names(with_id["items"])) == sorted(SELLABLE_USD)  # cold start, history unused


@pytest.mark.parametrize(
    ("anonymous_id", "what"),
    [
        ("guest-0001", "this one has 10 characters"),
        ("a" * 15, "this one has 15 characters"),
        ("a" * 65, "this one has 65 characters"),
        ("no spaces allowed here", "this one has other characters"),
    ],
)
def test_a_guessable_or_malformed_anonymous_id_is_a_clear_error(
    api_client, indexed, anonymous_id, what
):
    content = post(api_client, RECOMMENDED, {"channel": "main", "anonymousId": anonymous_id})

    assert content["data"]["recommendedProducts"] is None
    assert error_of(content)["code"] == "INVALID" and error_of(content)["field"] == "anonymousId"
    message = content["errors"][0]["message"]
    assert "16 to 64 characters" in message and "such as a UUID" in message and what in message


@pytest.mark.parametrize("anonymous_id", ["a" * 16, str(uuid.uuid4()), "x" * 64])
def test_an_anonymous_id_of_16_to_64_characters_is_accepted(api_client, indexed, anonymous_id):
    content = post(api_client, RECOMMENDED, {"channel": "main", "anonymousId": anonymous_id})
    assert "errors" not in content and content["data"]["recommendedProducts"]["items"]


def test_tracking_with_a_short_anonymous_id_is_a_typed_error_that_says_what_is_expected(
    api_client, indexed
):
    result = get_graphql_content(api_client.post_graphql(
        TRACK, track_input(indexed, anonymousId="guest-0001")
    ))["data"]["recommendationEventTrack"]

    assert result["tracked"] is False
    [error] = result["errors"]
    assert (error["field"], error["code"]) == ("anonymousId", "INVALID")
    assert "random id of 16 to 64 characters" in error["message"]
    assert not InteractionEvent.objects.exists()


def test_a_customer_gets_their_own_and_their_guest_history_follows_them(
    user_api_client, customer_user, indexed
):
    track(indexed, f"anon:{GUEST}", "Road running shoes")
    track(indexed, f"anon:{GUEST}", "Trail running shoes")
    result = recommended(user_api_client, anonymousId=GUEST, first=2)
    assert set(names(result["items"])) == {"Running socks", "GPS running watch"}
    assert set(InteractionEvent.objects.values_list("shopper_key", flat=True)) == {
        f"user:{customer_user.pk}"
    }
    again = recommended(user_api_client, first=2)  # without the guest id: same history
    assert set(names(again["items"])) == {"Running socks", "GPS running watch"}


def test_staff_with_manage_users_see_a_customers_recommendations(
    staff_api_client, permission_manage_users, customer_user, indexed
):
    staff_api_client.user.user_permissions.add(permission_manage_users)
    track(indexed, f"user:{customer_user.pk}", "Pour-over coffee dripper", EventType.ADD_TO_CART)
    result = recommended(staff_api_client, userId=gid("User", customer_user.pk), first=3)
    assert result["items"][0]["reason"] == "Because you added Pour-over coffee dripper to your cart"
    assert set(names(result["items"])) == set(COFFEE) - {"Pour-over coffee dripper"}


def test_a_customer_may_name_only_themself(user_api_client, customer_user, customer_user2, indexed):
    assert_no_permission(user_api_client.post_graphql(
        RECOMMENDED, {"channel": "main", "userId": gid("User", customer_user2.pk)}
    ))
    own = recommended(user_api_client, userId=gid("User", customer_user.pk))
    assert len(own["items"]) == 8


def test_staff_without_manage_users_cannot_name_a_customer(
    staff_api_client, customer_user, indexed
):
    assert_no_permission(staff_api_client.post_graphql(
        RECOMMENDED, {"channel": "main", "userId": gid("User", customer_user.pk)}
    ))


@pytest.mark.parametrize("pk", ["customer", 987654])
def test_a_guest_naming_any_user_is_refused_without_learning_whether_it_exists(
    api_client, customer_user, indexed, pk
):
    user_pk = customer_user.pk if pk == "customer" else pk
    response = api_client.post_graphql(RECOMMENDED, {"channel": "main", "userId": gid("User", user_pk)})
    assert_no_permission(response)


@pytest.mark.parametrize(
    ("variables", "code", "field"),
    [
        ({"userId": gid("User", 987654)}, "NOT_FOUND", "userId"),
        ({"userId": gid("Product", 1)}, "GRAPHQL_ERROR", "userId"),
        ({"userId": "garbage"}, "GRAPHQL_ERROR", "userId"),
        ({"userId": gid("User", 1), "anonymousId": GUEST}, "INVALID", "anonymousId"),
        ({"productId": gid("Product", 987654)}, "NOT_FOUND", "productId"),
        ({"productId": gid("User", 1)}, "GRAPHQL_ERROR", "productId"),
        ({"channel": "nowhere"}, "NOT_FOUND", "channel"),
        ({"first": 0}, "INVALID", "first"),
        ({"first": 101}, "INVALID", "first"),
    ],
)
def test_bad_arguments_are_coded_errors(
    staff_api_client, permission_manage_users, indexed, variables, code, field
):
    staff_api_client.user.user_permissions.add(permission_manage_users)
    content = post(staff_api_client, RECOMMENDED, {"channel": "main", **variables})
    assert content["data"]["recommendedProducts"] is None
    assert error_of(content)["code"] == code and error_of(content)["field"] == field


def test_an_inactive_channel_is_an_error(api_client, indexed, channel_PLN):
    channel_PLN.is_active = False
    channel_PLN.save(update_fields=["is_active"])
    content = post(api_client, RECOMMENDED, {"channel": "c-pln"})
    assert error_of(content)["code"] == "CHANNEL_INACTIVE"


def test_a_product_page_as_context(api_client, indexed):
    page = indexed["Trail running shoes"]
    result = recommended(api_client, productId=gid("Product", page.pk), first=3)
    assert names(result["items"]) == ["Road running shoes", "Running socks", "GPS running watch"]
    assert {item["reason"] for item in result["items"]} == {"Similar to Trail running shoes"}


def test_a_product_not_indexed_yet_is_ignored_as_context(api_client, indexed):
    page = indexed["Instant coffee"]
    result = recommended(api_client, productId=gid("Product", page.pk), first=20)
    assert sorted(names(result["items"])) == sorted(SELLABLE_USD)


def test_an_unpublished_product_is_not_a_customers_context(api_client, indexed):
    content = post(api_client, RECOMMENDED, {
        "channel": "main", "productId": gid("Product", indexed["Kenyan coffee beans"].pk)
    })
    assert error_of(content)["code"] == "NOT_FOUND"


def test_only_the_channels_sellable_products_are_recommended(api_client, indexed):
    track(indexed, f"anon:{GUEST}", "Ethiopian coffee beans")
    usd = names(recommended(api_client, anonymousId=GUEST, first=20)["items"])
    # Every sellable product, the one viewed coming back last, as a reminder.
    assert sorted(usd) == sorted(SELLABLE_USD) and usd[-1] == "Ethiopian coffee beans"
    pln = names(recommended(api_client, channel="c-pln", anonymousId=GUEST, first=20)["items"])
    assert pln == ["Sumatra coffee beans", "Colombian dark roast coffee"]


@pytest.mark.parametrize("switch", [{"active": False}, {"recommendations_enabled": False}])
def test_recommendations_are_an_empty_list_when_switched_off(
    api_client, indexed, plugin_configuration, switch
):
    plugin_configuration(**switch)
    assert recommended(api_client, anonymousId=GUEST) == {"id": NIL_LIST_ID, "items": []}
    assert not RecommendationList.objects.exists()


def test_recommendations_are_an_empty_list_before_anything_is_indexed(
    api_client, catalog, personalization
):
    assert recommended(api_client) == {"id": NIL_LIST_ID, "items": []}


# -- User.recommendedProducts -------------------------------------------------------


def test_me_recommended_products(user_api_client, customer_user, indexed):
    track(indexed, f"user:{customer_user.pk}", "GPS running watch")
    content = get_graphql_content(user_api_client.post_graphql(ME, {"channel": "main", "first": 3}))
    found = names(content["data"]["me"]["recommendedProducts"]["items"])
    assert set(found) == set(RUNNING) - {"GPS running watch"}


def test_staff_with_manage_users_read_a_users_recommended_products(
    staff_api_client, permission_manage_users, customer_user, indexed
):
    staff_api_client.user.user_permissions.add(permission_manage_users)
    track(indexed, f"user:{customer_user.pk}", "Burr coffee grinder")
    content = get_graphql_content(staff_api_client.post_graphql(
        USER, {"id": gid("User", customer_user.pk), "channel": "main"}
    ))
    items = content["data"]["user"]["recommendedProducts"]["items"]
    assert items[0]["reason"] == "Because you viewed Burr coffee grinder"


def test_staff_without_manage_users_cannot_read_another_users_recommended_products(
    staff_api_client, permission_manage_staff, admin_user, indexed
):
    staff_api_client.user.user_permissions.add(permission_manage_staff)
    assert_no_permission(staff_api_client.post_graphql(
        USER, {"id": gid("User", admin_user.pk), "channel": "main"}
    ))


def test_user_recommended_products_checks_channel_and_first(user_api_client, indexed):
    unknown = post(user_api_client, ME, {"channel": "nowhere"})
    assert error_of(unknown)["code"] == "NOT_FOUND" and error_of(unknown)["field"] == "channel"
    too_many = post(user_api_client, ME, {"channel": "main", "first": 101})
    assert error_of(too_many)["code"] == "INVALID"


# -- recommendationEventTrack -------------------------------------------------------


def track_input(catalog, name="Road running shoes", **extra):
    return {"input": {"event": "VIEW", "productId": gid("Product", catalog[name].pk),
                      "channel": "main", **extra}}


def test_a_view_of_a_product_not_indexed_yet_is_kept(api_client, indexed):
    content = get_graphql_content(api_client.post_graphql(
        TRACK, track_input(indexed, "Instant coffee", anonymousId=GUEST)
    ))
    assert content["data"]["recommendationEventTrack"] == {"tracked": True, "errors": []}
    assert InteractionEvent.objects.get().product_id == indexed["Instant coffee"].pk


def test_a_guest_view_is_stored_under_their_anonymous_id(api_client, indexed):
    content = get_graphql_content(api_client.post_graphql(
        TRACK, track_input(indexed, anonymousId=GUEST)
    ))
    assert content["data"]["recommendationEventTrack"] == {"tracked": True, "errors": []}
    event = InteractionEvent.objects.get()
    assert (event.shopper_key, event.product_id, event.event_type, event.channel) == (
        f"anon:{GUEST}", indexed["Road running shoes"].pk, "view", "main"
    )


def test_a_customers_click_on_a_served_list_merges_their_guest_history(
    user_api_client, customer_user, indexed
):
    track(indexed, f"anon:{GUEST}", "Ethiopian coffee beans")
    served = recommended(user_api_client, first=3)
    content = get_graphql_content(user_api_client.post_graphql(TRACK, track_input(
        indexed, served["items"][0]["product"]["name"], event="CLICK",
        anonymousId=GUEST, recommendationListId=served["id"],
    )))
    assert content["data"]["recommendationEventTrack"] == {"tracked": True, "errors": []}
    click = InteractionEvent.objects.get(event_type="click")
    assert click.shopper_key == f"user:{customer_user.pk}"
    # The clicked list is kept, once, with what was served.
    stored = RecommendationList.objects.get()
    assert click.recommendation_list_id == stored.pk
    assert stored.product_ids == [product_pk(i) for i in served["items"]]
    assert stored.shopper_key == f"user:{customer_user.pk}"
    assert set(InteractionEvent.objects.values_list("shopper_key", flat=True)) == {
        f"user:{customer_user.pk}"
    }


def test_the_empty_lists_id_is_accepted_as_no_list(api_client, indexed):
    content = get_graphql_content(api_client.post_graphql(TRACK, track_input(
        indexed, event="ADD_TO_CART", anonymousId=GUEST, recommendationListId=NIL_LIST_ID
    )))
    assert content["data"]["recommendationEventTrack"]["tracked"] is True
    assert InteractionEvent.objects.get().recommendation_list_id is None


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({}, "REQUIRED", "anonymousId"),
        ({"anonymousId": "no spaces allowed"}, "INVALID", "anonymousId"),
        ({"anonymousId": GUEST, "productId": gid("Product", 987654)}, "NOT_FOUND", "productId"),
        ({"anonymousId": GUEST, "productId": gid("User", 1)}, "GRAPHQL_ERROR", "productId"),
        ({"anonymousId": GUEST, "product": "Kenyan coffee beans"}, "NOT_FOUND", "productId"),
        ({"anonymousId": GUEST, "product": "Sumatra coffee beans"}, "NOT_FOUND", "productId"),
        ({"anonymousId": GUEST, "channel": "nowhere"}, "NOT_FOUND", "channel"),
        ({"anonymousId": GUEST, "recommendationListId": gid("RecommendationList", uuid.uuid4())},
         "NOT_FOUND", "recommendationListId"),
        ({"anonymousId": GUEST, "recommendationListId": gid("RecommendationList", "forged:1:x")},
         "NOT_FOUND", "recommendationListId"),
        ({"anonymousId": GUEST, "recommendationListId": gid("Product", 5)},
         "GRAPHQL_ERROR", "recommendationListId"),
    ],
)
def test_bad_events_are_coded_errors(api_client, indexed, overrides, code, field):
    variables = track_input(indexed, overrides.pop("product", "Road running shoes"), **overrides)
    content = get_graphql_content(api_client.post_graphql(TRACK, variables))
    result = content["data"]["recommendationEventTrack"]
    assert result["tracked"] is False
    assert [(e["code"], e["field"]) for e in result["errors"]] == [(code, field)]
    assert not InteractionEvent.objects.exists()


def test_guest_events_are_refused_when_anonymous_tracking_is_off(
    api_client, user_api_client, customer_user, indexed, plugin_configuration
):
    plugin_configuration(anonymous_tracking=False)
    refused = get_graphql_content(api_client.post_graphql(
        TRACK, track_input(indexed, anonymousId=GUEST)
    ))["data"]["recommendationEventTrack"]
    assert [e["code"] for e in refused["errors"]] == ["ANONYMOUS_TRACKING_DISABLED"]
    accepted = get_graphql_content(user_api_client.post_graphql(
        TRACK, track_input(indexed, anonymousId=GUEST)
    ))["data"]["recommendationEventTrack"]
    assert accepted == {"tracked": True, "errors": []}
    assert InteractionEvent.objects.get().shopper_key == f"user:{customer_user.pk}"


def test_an_inactive_channel_is_a_tracking_error(api_client, indexed, channel_USD):
    channel_USD.is_active = False
    channel_USD.save(update_fields=["is_active"])
    result = get_graphql_content(api_client.post_graphql(
        TRACK, track_input(indexed, anonymousId=GUEST)
    ))["data"]["recommendationEventTrack"]
    assert [(e["code"], e["field"]) for e in result["errors"]] == [("CHANNEL_INACTIVE", "channel")]


def test_tracking_is_a_no_op_when_the_plugin_is_off(api_client, indexed, plugin_configuration):
    plugin_configuration(active=False)
    content = get_graphql_content(api_client.post_graphql(
        TRACK, track_input(indexed, anonymousId=GUEST)
    ))
    assert content["data"]["recommendationEventTrack"] == {"tracked": False, "errors": []}
    assert not InteractionEvent.objects.exists()
