"""The plugin as Saleor and the dashboard see it: listing, settings, errors, status."""

import pytest
from saleor.plugins.models import PluginConfiguration
from saleor_personalization import tasks
from saleor_personalization.engine.encoder import DEFAULT_MODEL
from saleor_personalization.models import JobFailure
from saleor_personalization.saleor_adapter import services
from saleor_personalization.saleor_adapter.config import PLUGIN_ID, SETTINGS, PersonalizationConfig
from saleor_personalization.saleor_adapter.plugin import PersonalizationPlugin

PLUGIN_PATH = "saleor_personalization.saleor_adapter.plugin.PersonalizationPlugin"

PLUGINS_QUERY = """
query {
  plugins(first: 50, filter: {search: "Personalization"}) {
    edges { node { id name description globalConfiguration {
      active configuration { name value type label helpText } } } }
  }
}
"""

PLUGIN_QUERY = """
query plugin($id: ID!) { plugin(id: $id) { globalConfiguration {
  active configuration { name value type label } } } }
"""

PLUGIN_UPDATE = """
mutation update($id: ID!, $input: PluginUpdateInput!) {
  pluginUpdate(id: $id, input: $input) {
    plugin { globalConfiguration { active configuration { name value } } }
    errors { field code message }
  }
}
"""


@pytest.fixture
def staff(settings, staff_api_client, permission_manage_plugins):
    """A staff member with the dashboard's plugin permission, our plugin installed."""
    settings.PLUGINS = [PLUGIN_PATH]
    staff_api_client.user.user_permissions.add(permission_manage_plugins)
    return staff_api_client


def plugin_fields(client) -> dict[str, dict]:
    content = client.post_graphql(PLUGIN_QUERY, {"id": PLUGIN_ID}).json()
    return {c["name"]: c for c in content["data"]["plugin"]["globalConfiguration"]["configuration"]}


def update(client, **values) -> dict:
    configuration = [{"name": name, "value": value} for name, value in values.items()]
    content = client.post_graphql(
        PLUGIN_UPDATE, {"id": PLUGIN_ID, "input": {"active": True, "configuration": configuration}}
    ).json()
    return content["data"]["pluginUpdate"]


def test_a_fresh_install_is_active_and_listed_where_the_dashboard_looks(staff):
    content = staff.post_graphql(PLUGINS_QUERY).json()
    nodes = [e["node"] for e in content["data"]["plugins"]["edges"]]
    assert [n["id"] for n in nodes] == [PLUGIN_ID]
    config = nodes[0]["globalConfiguration"]
    # Dashboard 3.23's Extensions → Installed lists a plugin only when this is true.
    assert config["active"] is True
    fields = {c["name"]: c for c in config["configuration"]}
    assert fields["recommendations_enabled"]["type"] == "BOOLEAN"
    assert fields["index_status"]["type"] == "OUTPUT"
    assert fields["embedding_model"]["value"] == DEFAULT_MODEL


def test_every_setting_is_labelled_by_its_section_in_words_for_merchants(staff):
    fields = plugin_fields(staff)
    assert set(fields) == set(SETTINGS)
    for name, field in fields.items():
        assert field["label"].startswith(("Recommendations: ", "Content: ")), field["label"]
        help_text = PersonalizationPlugin.CONFIG_STRUCTURE[name]["help_text"]
        for jargon in ("GraphQL", "anonymousId", "similarProducts", "recommendedProducts"):
            assert jargon not in help_text, (name, jargon)


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("diversity", "5", "expected a number from 0 to 1, got '5'"),
        ("diversity", "lots", "expected a number from 0 to 1, got 'lots'"),
        ("embedding_model", "/srv/models/none-here", "no folder /srv/models/none-here on this server"),
        ("embedding_model", "   ", "name a model"),
    ],
)
def test_a_bad_value_is_refused_with_a_message_naming_its_setting(staff, name, value, problem):
    result = update(staff, **{name: value})

    [error] = result["errors"]
    assert error["code"] == "INVALID"
    assert error["message"].startswith(SETTINGS[name].label + ": ")
    assert problem in error["message"]
    # Nothing was saved, and the failed first save did not switch the plugin off
    # (Saleor creates its row, inactive, before validating).
    assert services.saved_config() == (PersonalizationConfig(), True)
    assert plugin_fields(staff)[name]["value"] != value


def test_an_unknown_model_name_is_refused_at_save_time(staff, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    result = update(staff, embedding_model="acme/no-such-model")

    [error] = result["errors"]
    assert error["message"].startswith("Recommendations: language model: acme/no-such-model")
    assert "not in this server's model cache" in error["message"]


def test_a_model_in_a_local_folder_is_accepted(staff, enqueued, tmp_path):
    (tmp_path / "modules.json").write_text("[]")
    result = update(staff, embedding_model=str(tmp_path))

    assert result["errors"] == []
    values = {c["name"]: c["value"] for c in result["plugin"]["globalConfiguration"]["configuration"]}
    assert values["embedding_model"] == str(tmp_path)
    assert [name for name, _ in enqueued] == [tasks.rebuild_catalog_vectors.name]


def test_a_failed_save_keeps_a_switched_off_plugin_off(staff, plugin_configuration):
    plugin_configuration(active=False)
    staff.post_graphql(
        PLUGIN_UPDATE,
        {"id": PLUGIN_ID, "input": {"configuration": [{"name": "diversity", "value": "9"}]}},
    )
    assert services.saved_config() == (PersonalizationConfig(), False)


def test_a_valid_save_is_stored(staff, enqueued):
    result = update(staff, diversity="0.3")

    assert result["errors"] == []
    assert result["plugin"]["globalConfiguration"]["active"] is True
    values = {c["name"]: c["value"] for c in result["plugin"]["globalConfiguration"]["configuration"]}
    assert values["diversity"] == "0.3"


def test_the_page_shows_how_much_of_the_catalog_is_indexed(staff, product_list, index_catalog):
    fields = plugin_fields(staff)
    assert fields["index_status"]["value"].startswith(f"0 of {len(product_list)} products indexed yet")
    assert fields["last_problem"]["value"] == ""

    index_catalog()
    fields = plugin_fields(staff)
    n = len(product_list)
    assert fields["index_status"]["value"] == f"{n} of {n} products indexed with {DEFAULT_MODEL}."


def test_a_failed_background_job_shows_on_the_page_until_the_job_succeeds(
    staff, product_list, plugin_configuration, encoder_config
):
    # A model that passed the save-time check but fails on the worker (say, removed since).
    plugin_configuration(embedding_model="/srv/models/removed")
    with pytest.raises(Exception, match="removed"):
        tasks.rebuild_catalog_vectors.apply(throw=True).get()

    problem = plugin_fields(staff)["last_problem"]["value"]
    assert "reading the whole catalog" in problem and "/srv/models/removed" in problem

    plugin_configuration(embedding_model=DEFAULT_MODEL)
    assert tasks.rebuild_catalog_vectors.apply().get()["encoded"] == len(product_list)
    assert plugin_fields(staff)["last_problem"]["value"] == ""
    assert not JobFailure.objects.exists()


def test_saving_does_not_store_the_status_fields(staff, enqueued):
    update(staff, index_status="forged", diversity="0.2")

    row = PluginConfiguration.objects.get(identifier=PLUGIN_ID)
    stored = {item["name"]: item["value"] for item in row.configuration}
    assert stored.get("index_status", "") == ""


def test_django_system_checks_pass_for_the_plugin_inside_saleor():
    """`manage.py migrate` and every other command run Django's checks first."""
    from django.apps import apps
    from django.core import checks

    problems = checks.run_checks(app_configs=[apps.get_app_config("saleor_personalization")])

    assert [str(p) for p in problems if p.level >= checks.ERROR] == []
