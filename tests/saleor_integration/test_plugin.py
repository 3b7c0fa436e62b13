"""The plugin as Saleor and the dashboard see it."""

from saleor_personalization.saleor_adapter.config import PLUGIN_ID

PLUGINS_QUERY = """
query {
  plugins(first: 50, filter: {search: "Personalization"}) {
    edges { node { id name description globalConfiguration {
      active configuration { name value type label helpText } } } }
  }
}
"""

PLUGIN_UPDATE = """
mutation update($id: ID!, $input: PluginUpdateInput!) {
  pluginUpdate(id: $id, input: $input) {
    plugin { globalConfiguration { active configuration { name value } } }
    errors { field code message }
  }
}
"""


def test_plugin_is_discovered_and_listed_off_by_default(
    settings, staff_api_client, permission_manage_plugins
):
    settings.PLUGINS = ["saleor_personalization.saleor_adapter.plugin.PersonalizationPlugin"]
    staff_api_client.user.user_permissions.add(permission_manage_plugins)
    content = staff_api_client.post_graphql(PLUGINS_QUERY).json()
    nodes = [e["node"] for e in content["data"]["plugins"]["edges"]]
    assert [n["id"] for n in nodes] == [PLUGIN_ID]
    config = nodes[0]["globalConfiguration"]
    assert config["active"] is False
    fields = {c["name"]: c for c in config["configuration"]}
    assert fields["recommendations_enabled"]["type"] == "BOOLEAN"
    assert fields["generator_api_key"]["type"] == "SECRET"
    assert fields["brand_voice"]["type"] == "MULTILINE"
    assert fields["embedding_model"]["value"] == "sentence-transformers/all-MiniLM-L6-v2"


def test_plugin_update_switches_on_validates_and_hides_the_secret(
    settings, staff_api_client, permission_manage_plugins
):
    settings.PLUGINS = ["saleor_personalization.saleor_adapter.plugin.PersonalizationPlugin"]
    staff_api_client.user.user_permissions.add(permission_manage_plugins)
    bad = staff_api_client.post_graphql(
        PLUGIN_UPDATE,
        {"id": PLUGIN_ID, "input": {"active": True, "configuration": [
            {"name": "diversity", "value": "2"},
            {"name": "generator_backend", "value": "gpt"},
        ]}},
    ).json()["data"]["pluginUpdate"]
    assert {e["field"] for e in bad["errors"]} == {"diversity", "generatorBackend"}
    assert all(e["code"] == "INVALID" for e in bad["errors"])

    good = staff_api_client.post_graphql(
        PLUGIN_UPDATE,
        {"id": PLUGIN_ID, "input": {"active": True, "configuration": [
            {"name": "diversity", "value": "0.3"},
            {"name": "generator_api_key", "value": "sk-secret-123456"},
        ]}},
    ).json()["data"]["pluginUpdate"]
    assert good["errors"] == []
    values = {c["name"]: c["value"] for c in good["plugin"]["globalConfiguration"]["configuration"]}
    assert good["plugin"]["globalConfiguration"]["active"] is True
    assert values["diversity"] == "0.3"
    assert values["generator_api_key"] == "3456"  # Saleor shows only the last 4 characters
