import numpy as np
from saleor_personalization.engine.encoder import EncoderConfig
from saleor_personalization.engine.evaluation import text_cache


def test_texts_are_encoded_once_per_model_and_texts(tmp_path, monkeypatch):
    calls = []

    def fake_encode(texts, *, config, show_progress=False):
        calls.append(list(texts))
        return np.full((len(texts), 2), len(calls), np.float32)

    monkeypatch.setattr(text_cache, "encode", fake_encode)
    config = EncoderConfig()
    first = text_cache.encode_cached(["a", "b"], config, tmp_path)
    again = text_cache.encode_cached(["a", "b"], config, tmp_path)
    other = text_cache.encode_cached(["a", "c"], config, tmp_path)
    assert calls == [["a", "b"], ["a", "c"]]
    np.testing.assert_array_equal(first, again)
    assert other[0, 0] == 2
    text_cache.encode_cached(["x"], config, None)
    assert len(calls) == 3 and len(list(tmp_path.glob("*.npy"))) == 2


def test_the_cache_keeps_a_bounded_number_of_entries(tmp_path, monkeypatch):
    monkeypatch.setattr(text_cache, "MAX_ENTRIES", 2)
    monkeypatch.setattr(
        text_cache, "encode", lambda texts, *, config, show_progress=False: np.zeros((1, 2))
    )
    for text in ("a", "b", "c"):
        text_cache.encode_cached([text], EncoderConfig(), tmp_path)
    assert len(list(tmp_path.glob("*.npy"))) == 2
