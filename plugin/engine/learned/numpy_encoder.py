"""The learned model's forward pass in numpy alone, for serving.

Computes product vectors and a shopper's vector from the exported weights
(:meth:`~.torch_model.SequentialRecommender.export`) exactly as the torch model
does in evaluation mode, without importing torch: a web process or worker can
serve the model with numpy only. One shopper vector over 50 events costs well
under a millisecond.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from .config import ModelConfig, event_type_index

_EPS = 1e-5  # torch.nn.LayerNorm's default


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + _EPS) * weight + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    """GELU, tanh approximation (as ``F.gelu(x, approximate="tanh")``)."""
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))


def _softmax(x: np.ndarray) -> np.ndarray:
    shifted = np.exp(x - x.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def unit(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 1e-12)


def add_content(
    vector: np.ndarray, content: np.ndarray, weight: float, members: int
) -> np.ndarray:
    """``vector`` (unit parts of ``members`` models, their text parts summed at the end)
    with ``weight`` times the content cosine added to each member's score; not
    normalised (the caller does, once).

    A product vector is [unit representation(s), unit text] / sqrt(members + 1), so
    ``x`` added to the text part adds ``x / sqrt(members + 1)`` times the cosine.
    """
    blended = vector.astype(np.float32, copy=True)
    blended[-len(content):] += weight * math.sqrt(2.0) * members * np.asarray(content, np.float32)
    return blended


class NumpyEncoder:
    """Product and shopper vectors from exported weights.

    ``id_rows`` maps product ids to their id-embedding row (products missing
    from it, e.g. new ones, are represented by their text alone).
    """

    def __init__(
        self, config: ModelConfig, weights: Mapping[str, np.ndarray], id_rows: Mapping[int, int]
    ) -> None:
        self.config = config
        self.w = {name: np.asarray(value, dtype=np.float32) for name, value in weights.items()}
        self.id_rows = dict(id_rows)
        if config.use_text:
            adaptor_weight = self.w["adaptor.weight"]
            # (x - b_k) W_k = x W_k - b_k W_k: the second term is constant.
            self._adaptor_shift = np.einsum("et,etd->ed", self.w["adaptor.bias"], adaptor_weight)

    def rows_for(self, product_ids: Sequence[int]) -> np.ndarray:
        """Id-embedding rows of products (0: no id embedding)."""
        return np.array([self.id_rows.get(int(p), 0) for p in product_ids], dtype=np.int64)

    def representations(self, id_rows: np.ndarray, text_vectors: np.ndarray | None) -> np.ndarray:
        """Unnormalised item representations (n x d)."""
        out = np.zeros((len(id_rows), self.config.dimensions), dtype=np.float32)
        if self.config.use_text:
            if text_vectors is None:
                raise ValueError("this model needs the products' text vectors")
            text = np.asarray(text_vectors, dtype=np.float32)
            if text.shape != (len(id_rows), self.config.text_dimensions):
                raise ValueError(
                    f"expected text vectors of shape ({len(id_rows)}, "
                    f"{self.config.text_dimensions}); got {text.shape}"
                )
            gates = _softmax(text @ self.w["adaptor.gate"])
            projected = np.einsum("nt,etd->ned", text, self.w["adaptor.weight"])
            projected -= self._adaptor_shift
            out += (gates[..., None] * projected).sum(axis=1)
        if self.config.use_ids:
            out += self.w["ids.weight"][id_rows]
        return out

    @property
    def matches_text(self) -> bool:
        return self.config.use_text and self.config.text_match

    @property
    def dimensions(self) -> int:
        """Length of product and shopper vectors."""
        extra = self.config.text_dimensions if self.matches_text else 0
        return self.config.dimensions + extra

    def item_vectors(
        self, product_ids: Sequence[int], text_vectors: np.ndarray | None
    ) -> np.ndarray:
        """Unit-length product vectors (zero for a product the model knows nothing of)."""
        vectors = unit(self.representations(self.rows_for(product_ids), text_vectors))
        if self.matches_text:
            vectors = np.concatenate([vectors, np.asarray(text_vectors, np.float32)], axis=1)
        return unit(vectors)

    def shopper_vector(
        self,
        product_ids: Sequence[int],
        event_types: Sequence[str],
        text_vectors: np.ndarray | None,
        content: np.ndarray | None = None,
    ) -> np.ndarray | None:
        """Unit-length vector of a shopper's events (oldest first), or None if empty.

        Only the newest ``max_length`` events count. With ``content`` (a unit text-space
        vector, e.g. the content profile's query) and a text-matching model, every
        product's score gains ``content_weight`` times its text's cosine with it.
        """
        if len(product_ids) != len(event_types):
            raise ValueError(f"{len(product_ids)} products but {len(event_types)} event types")
        if not len(product_ids):
            return None
        keep = slice(max(0, len(product_ids) - self.config.max_length), None)
        rows = self.rows_for(list(product_ids)[keep])
        types = np.array([event_type_index(t) for t in list(event_types)[keep]], dtype=np.int64)
        text = None if text_vectors is None else np.asarray(text_vectors)[keep]
        hidden = self.encode(self.representations(rows, text), types)
        vector = unit(hidden[-1:])[0]
        if self.matches_text:
            logits = hidden @ self.w["text_attention.weight"][0] + self.w["text_attention.bias"][0]
            pooled = unit((_softmax(logits) @ text)[None])[0] * self.w["text_scale"]
            vector = np.concatenate([vector, pooled])
        vector = unit(vector[None])[0]
        if content is not None and self.matches_text:
            vector = add_content(vector, content, self.config.content_weight, members=1)
            vector = unit(vector[None])[0]
        return vector if vector.any() else None

    def encode(self, representations: np.ndarray, types: np.ndarray) -> np.ndarray:
        """Hidden states (length x d) of one unpadded sequence."""
        w, length, d = self.w, len(types), self.config.dimensions
        heads = self.config.heads
        x = representations + w["positions.weight"][np.arange(length - 1, -1, -1)]
        x = _layer_norm(x + w["types.weight"][types], w["input_norm.weight"], w["input_norm.bias"])
        future = np.triu(np.ones((length, length), dtype=bool), k=1)
        for layer in range(self.config.layers):
            p = f"blocks.{layer}."
            h = _layer_norm(x, w[p + "norm1.weight"], w[p + "norm1.bias"])
            qkv = h @ w[p + "qkv.weight"].T + w[p + "qkv.bias"]
            q, k, v = (
                part.reshape(length, heads, d // heads).transpose(1, 0, 2)
                for part in np.split(qkv, 3, axis=-1)
            )
            scores = q @ k.transpose(0, 2, 1) / math.sqrt(d // heads)
            scores[:, future] = -1e9
            attended = (_softmax(scores) @ v).transpose(1, 0, 2).reshape(length, d)
            x = x + attended @ w[p + "out.weight"].T + w[p + "out.bias"]
            h = _layer_norm(x, w[p + "norm2.weight"], w[p + "norm2.bias"])
            hidden = _gelu(h @ w[p + "ff1.weight"].T + w[p + "ff1.bias"])
            x = x + hidden @ w[p + "ff2.weight"].T + w[p + "ff2.bias"]
        return _layer_norm(x, w["final_norm.weight"], w["final_norm.bias"])
