"""Dashboard settings → one frozen dataclass; every error names its setting's label."""

import pytest
from saleor_personalization.saleor_adapter.config import (
    SETTINGS,
    ConfigError,
    PersonalizationConfig,
    default_configuration,
    parse_config,
)


def items(**values):
    return [{"name": name, "value": value} for name, value in values.items()]


def test_defaults_round_trip_through_the_dashboard_list():
    assert parse_config(default_configuration()) == PersonalizationConfig()


def test_every_setting_has_a_sectioned_label_and_the_list_follows_them():
    assert [item["name"] for item in default_configuration()] == list(SETTINGS)
    assert all(
        s.label.startswith(("Recommendations: ", "Content: ")) and s.help_text
        for s in SETTINGS.values()
    )


def test_values_are_typed():
    config = parse_config(items(diversity="0.25", exclude_purchased="false", embedding_model=" m "))
    assert (config.diversity, config.exclude_purchased, config.embedding_model) == (0.25, False, "m")


def test_hiding_viewed_products_is_an_off_by_default_switch():
    setting = SETTINGS["exclude_viewed"]
    assert (setting.type, setting.label) == ("BOOLEAN", "Recommendations: hide products already viewed")
    assert {"name": "exclude_viewed", "value": False} in default_configuration()
    assert PersonalizationConfig().exclude_viewed is False
    assert parse_config(items(exclude_viewed="true")).exclude_viewed is True
    with pytest.raises(ConfigError) as raised:
        parse_config(items(exclude_viewed="sometimes"))
    assert raised.value.errors == {
        "exclude_viewed": "Recommendations: hide products already viewed: "
        "expected on or off, got 'sometimes'"
    }


def test_every_invalid_field_is_reported_with_its_label():
    with pytest.raises(ConfigError) as raised:
        parse_config(items(diversity="5", embedding_model="", anonymous_tracking="perhaps"))
    assert raised.value.errors == {
        "diversity": "Recommendations: variety (0 to 1): expected a number from 0 to 1, got '5'",
        "embedding_model": "Recommendations: language model: name a model, or leave the default "
        "sentence-transformers/all-MiniLM-L6-v2",
        "anonymous_tracking": "Recommendations: personalize for guests: expected on or off, got 'perhaps'",
    }


def test_the_model_check_runs_only_when_given_and_its_answer_is_the_error():
    assert parse_config(items(embedding_model="acme/x")).embedding_model == "acme/x"
    with pytest.raises(ConfigError) as raised:
        parse_config(items(embedding_model="acme/x"), check_model=lambda name: f"no {name} here")
    assert raised.value.errors == {"embedding_model": "Recommendations: language model: no acme/x here"}


def test_status_fields_are_not_settings():
    config = parse_config(items(index_status="forged", last_problem="forged"))
    assert config == PersonalizationConfig()


def test_the_writing_model_settings_are_checked_together():
    config = parse_config([
        {"name": "generator_backend", "value": " OpenAI "},
        {"name": "generator_url", "value": "http://localhost:8000/v1"},
        {"name": "generator_model", "value": "qwen2.5-7b-instruct"},
        {"name": "generator_api_key", "value": "sk-1"},
        {"name": "rewrite_candidates", "value": "3"},
        {"name": "brand_voice", "value": "warm and plain"},
    ])
    assert (config.generator_backend, config.rewrite_candidates) == ("openai", 3)
    with pytest.raises(ConfigError) as raised:
        parse_config([
            {"name": "generator_backend", "value": "openai"},
            {"name": "generator_url", "value": "localhost:8000"},
            {"name": "rewrite_candidates", "value": "9"},
        ])
    assert raised.value.errors == {
        "generator_url": "Content: writing server address: expected an http:// or https:// "
        "address, got 'localhost:8000'",
        "generator_model": "Content: writing model name: the 'openai' writing model needs a "
        "model name",
        "rewrite_candidates": "Content: drafts per product (1 to 8): expected a whole number "
        "from 1 to 8, got '9'",
    }
    with pytest.raises(ConfigError, match="Content: writing model: expected one of local, openai"):
        parse_config([{"name": "generator_backend", "value": "gpt"}])
