"""Save-time model checks: answered from the file system and the local cache only."""

import pytest
from huggingface_hub import constants
from saleor_personalization.engine.encoder import DEFAULT_MODEL
from saleor_personalization.engine.model_source import model_problem


@pytest.fixture
def hub_offline(monkeypatch):
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)


def test_the_packaged_default_model_is_available():
    assert model_problem(DEFAULT_MODEL) is None


def test_a_folder_with_a_model_configuration_is_available(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    assert model_problem(str(tmp_path)) is None


def test_a_folder_without_a_model_is_refused(tmp_path):
    assert model_problem(str(tmp_path)) == f"the folder {tmp_path} holds no model (no modules.json or config.json)"


def test_a_missing_folder_is_refused(tmp_path):
    missing = tmp_path / "models" / "gone"
    assert model_problem(str(missing)) == f"no folder {missing} on this server"


def test_a_name_that_is_neither_path_nor_model_is_refused():
    assert "neither a folder on this server nor a model name" in model_problem("my model!")


def test_an_uncached_hub_name_is_refused_when_downloads_are_off(hub_offline):
    problem = model_problem("acme/no-such-model")
    assert problem.startswith("acme/no-such-model is not in this server's model cache")
    assert "HF_HUB_OFFLINE" in problem


def test_an_empty_name_is_refused():
    assert model_problem("  ") == "name a model or a folder"
