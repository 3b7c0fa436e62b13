import json

import numpy as np
import pytest
from planted_data import START, text_vectors, tiny_config, training_data
from saleor_personalization.engine.learned import ArtifactError, load, save, train


def test_save_load_round_trip_serves_the_same_vectors(tmp_path):
    trained = train(training_data(shoppers=30), tiny_config())
    folder = save(trained, tmp_path / "v1")
    loaded = load(folder)
    assert loaded.config == trained.config
    assert loaded.id_rows == trained.id_rows and loaded.metrics == trained.metrics
    assert loaded.window == trained.window and loaded.window[0] == START
    assert loaded.seconds == trained.seconds and loaded.history == trained.history
    assert set(loaded.weights) == set(trained.weights)
    texts = text_vectors()
    ids = sorted(texts)
    matrix = np.stack([texts[i] for i in ids])
    np.testing.assert_array_equal(
        loaded.encoder().item_vectors(ids, matrix), trained.encoder().item_vectors(ids, matrix)
    )
    described = json.loads((folder / "model.json").read_text())
    assert described["train_config"]["model"]["dimensions"] == 16
    assert described["id_rows"] == {str(k): v for k, v in trained.id_rows.items()}


def test_missing_or_foreign_artifacts_are_clear_errors(tmp_path):
    with pytest.raises(ArtifactError, match="weights.npz: missing"):
        load(tmp_path)
    folder = save(train(training_data(shoppers=10), tiny_config()), tmp_path / "m")
    described = json.loads((folder / "model.json").read_text())
    described["version"] = 99
    (folder / "model.json").write_text(json.dumps(described))
    with pytest.raises(ArtifactError, match="version 99"):
        load(folder)


def test_an_artifact_from_before_ensembles_loads_as_one_model(tmp_path):
    trained = train(training_data(shoppers=30), tiny_config())
    folder = save(trained, tmp_path / "old")
    described = json.loads((folder / "model.json").read_text())
    del described["train_config"]["ensemble"]  # written before the field existed
    (folder / "model.json").write_text(json.dumps(described))
    loaded = load(folder)
    assert loaded.config.ensemble == 1
    texts = text_vectors()
    ids = sorted(texts)
    matrix = np.stack([texts[i] for i in ids])
    np.testing.assert_array_equal(
        loaded.encoder().item_vectors(ids, matrix), trained.encoder().item_vectors(ids, matrix)
    )
