import subprocess
import sys

import numpy as np
import pytest
import torch
from planted_data import tiny_config
from saleor_personalization.engine.learned import ModelConfig, NumpyEncoder, save
from saleor_personalization.engine.learned.batches import pad_left
from saleor_personalization.engine.learned.config import EVENT_TYPES
from saleor_personalization.engine.learned.model import TrainedModel
from saleor_personalization.engine.learned.torch_model import SequentialRecommender

N_ITEMS, TEXT = 12, 16


def random_model(**options) -> tuple[SequentialRecommender, np.ndarray, np.ndarray]:
    torch.manual_seed(0)
    config = ModelConfig(dimensions=16, text_dimensions=TEXT, layers=2, heads=4, max_length=5,
                         experts=3, **options)
    text = np.random.default_rng(1).normal(size=(N_ITEMS, TEXT)).astype(np.float32)
    id_rows = np.array([0, 1, 2, 0, 3, 4, 5, 0, 6, 7, 8, 9])
    model = SequentialRecommender(config, torch.from_numpy(text), torch.from_numpy(id_rows))
    with torch.no_grad():  # non-trivial values everywhere, not just the initialisation
        for parameter in model.parameters():
            parameter.add_(0.1 * torch.randn_like(parameter))
        if model.ids is not None:
            model.ids.weight[0].zero_()
    return model.eval(), text, id_rows


@pytest.mark.parametrize("options", [{}, {"use_text": False}, {"use_ids": False}])
def test_numpy_forward_equals_torch(options):
    model, text, id_rows = random_model(**options)
    encoder = NumpyEncoder(
        model.config, model.export(), {1000 + i: int(r) for i, r in enumerate(id_rows) if r}
    )
    rng = np.random.default_rng(2)
    # Shorter, equal to and longer than max_length (5): only the newest 5 count.
    sequences = [rng.integers(0, N_ITEMS, size=n) for n in (1, 3, 5, 8)]
    kinds = [rng.integers(1, len(EVENT_TYPES) + 1, size=len(s)) for s in sequences]
    with torch.no_grad():
        expected = model.shopper_vectors(
            torch.from_numpy(pad_left(sequences, 5, -1)), torch.from_numpy(pad_left(kinds, 5, 0))
        ).numpy()
        expected_items = model.item_vectors(torch.arange(N_ITEMS)).numpy()
    text_or_none = text if model.config.use_text else None
    for row, (items, types) in enumerate(zip(sequences, kinds)):
        got = encoder.shopper_vector(
            [1000 + i for i in items], [EVENT_TYPES[t - 1] for t in types],
            None if text_or_none is None else text[items],
        )
        np.testing.assert_allclose(got, expected[row], atol=2e-5)
    got_items = encoder.item_vectors([1000 + i for i in range(N_ITEMS)], text_or_none)
    np.testing.assert_allclose(got_items, expected_items, atol=2e-5)


def test_no_events_no_vector_and_mismatched_lengths_are_errors():
    model, text, _ = random_model()
    encoder = NumpyEncoder(model.config, model.export(), {})
    assert encoder.shopper_vector([], [], text[:0]) is None
    with pytest.raises(ValueError, match="2 products but 1 event types"):
        encoder.shopper_vector([1, 2], ["view"], text[:2])
    with pytest.raises(ValueError, match="text vectors of shape"):
        encoder.item_vectors([1, 2], text[:3])


SERVE_WITHOUT_TORCH = """
import sys
import numpy as np
from datetime import UTC, datetime
from saleor_personalization.engine.events import Event
from saleor_personalization.engine.learned import load
import saleor_personalization.engine.evaluation
model = load(sys.argv[1]).ranking_model()
text = {p: np.ones(16, np.float32) * (p % 5 - 2) for p in range(100, 104)}
events = [Event("s", p, "view", datetime(2025, 1, p - 99, tzinfo=UTC)) for p in range(100, 103)]
vector = model.shopper_vector(events, text)
items = model.item_vectors(list(text), np.stack(list(text.values())))
assert vector is not None and items.shape == (4, model.dimensions) == (4, 32)
print(",".join(sorted(m for m in sys.modules if m.split(".")[0] == "torch")))
"""


def test_serving_never_imports_torch(tmp_path):
    model, _, id_rows = random_model()
    trained = TrainedModel(
        config=tiny_config(), weights=model.export(),
        id_rows={100 + i: int(r) for i, r in enumerate(id_rows) if r}, metrics={},
    )
    folder = save(trained, tmp_path / "model")
    result = subprocess.run(
        [sys.executable, "-c", SERVE_WITHOUT_TORCH, str(folder)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
