"""The trainable sequential recommender (torch); training only, never serving.

Item ``i`` is represented as ``adaptor(text_i) + id_embedding[id_row_i]``: a
mixture-of-experts linear adaptor over the frozen text vector (UniSRec's
parametric whitening, one expert per projection) plus, for items with enough
training interactions, a learned id embedding (row 0, all zeros, for the
others). The shopper encoder is a SASRec-style stack of pre-norm causal
self-attention blocks over the item representations plus position (counted
back from the newest event) and event-type embeddings. Product and shopper
vectors are the unit-length item representation and final hidden state.

:mod:`.numpy_encoder` recomputes the same forward pass from :meth:`export`'s
arrays; keep the two in step.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .config import EVENT_TYPES, ModelConfig

#: Added to the scores of masked attention keys (finite: a row of padding stays NaN-free).
MASKED = -1e9


class TextAdaptor(nn.Module):
    """Mixture of whitening projections: ``sum_k softmax(x G)_k (x - b_k) W_k``."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        scale = 1.0 / math.sqrt(config.text_dimensions)
        self.bias = nn.Parameter(torch.zeros(config.experts, config.text_dimensions))
        self.weight = nn.Parameter(
            torch.randn(config.experts, config.text_dimensions, config.dimensions) * scale
        )
        self.gate = nn.Parameter(torch.zeros(config.text_dimensions, config.experts))

    def forward(self, text: torch.Tensor) -> torch.Tensor:
        gates = torch.softmax(text @ self.gate, dim=-1)  # ... x E
        projected = torch.einsum("...t,etd->...ed", text, self.weight) - torch.einsum(
            "et,etd->ed", self.bias, self.weight
        )
        return (gates.unsqueeze(-1) * projected).sum(dim=-2)


class Block(nn.Module):
    """Pre-norm causal self-attention plus a GELU feed-forward layer."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        d = config.dimensions
        self.heads = config.heads
        self.norm1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.out = nn.Linear(d, d)
        self.norm2 = nn.LayerNorm(d)
        self.ff1 = nn.Linear(d, 4 * d)
        self.ff2 = nn.Linear(4 * d, d)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        batch, length, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).split(d, dim=-1)
        shape = (batch, length, self.heads, d // self.heads)
        q, k, v = (t.reshape(shape).transpose(1, 2) for t in (q, k, v))
        scores = q @ k.transpose(-1, -2) / math.sqrt(d // self.heads)
        scores = scores.masked_fill(~mask[:, None], MASKED)
        attended = self.dropout(torch.softmax(scores, dim=-1)) @ v
        x = x + self.dropout(self.out(attended.transpose(1, 2).reshape(batch, length, d)))
        hidden = F.gelu(self.ff1(self.norm2(x)), approximate="tanh")
        return x + self.dropout(self.ff2(hidden))


class SequentialRecommender(nn.Module):
    """Item representations and the causal shopper encoder.

    ``text_vectors`` (n_items x text_dimensions) and ``id_rows`` (n_items, 0 =
    no id embedding) are buffers, not weights: the store supplies text vectors
    at serving time.
    """

    def __init__(
        self, config: ModelConfig, text_vectors: torch.Tensor, id_rows: torch.Tensor
    ) -> None:
        super().__init__()
        self.config = config
        d = config.dimensions
        self.register_buffer("text_vectors", text_vectors.float(), persistent=False)
        self.register_buffer("id_rows", id_rows.long(), persistent=False)
        self.adaptor = TextAdaptor(config) if config.use_text else None
        n_ids = int(id_rows.max().item()) + 1 if len(id_rows) else 1
        self.ids = nn.Embedding(n_ids, d, padding_idx=0) if config.use_ids else None
        if self.ids is not None:
            nn.init.normal_(self.ids.weight, std=0.02)
            with torch.no_grad():
                self.ids.weight[0].zero_()
        self.positions = nn.Embedding(config.max_length, d)
        self.types = nn.Embedding(len(EVENT_TYPES) + 1, d, padding_idx=0)
        nn.init.normal_(self.positions.weight, std=0.02)
        nn.init.normal_(self.types.weight, std=0.02)
        self.input_norm = nn.LayerNorm(d)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.layers))
        self.final_norm = nn.LayerNorm(d)
        self.dropout = nn.Dropout(config.dropout)
        self.text_dropout = nn.Dropout(config.text_dropout)
        self.matches_text = config.use_text and config.text_match
        if self.matches_text:
            self.text_attention = nn.Linear(d, 1)
            self.text_scale = nn.Parameter(torch.ones(()))

    def match_vectors(self, rows: torch.Tensor, representations: torch.Tensor) -> torch.Tensor:
        """Training-time item vectors: unit representation, then the raw text vector."""
        vectors = F.normalize(representations, dim=-1)
        if self.matches_text:
            vectors = torch.cat([vectors, self.text_vectors[rows]], dim=-1)
        return vectors

    def queries(self, items: torch.Tensor, hidden: torch.Tensor) -> torch.Tensor:
        """Training-time shopper vectors at every position (batch x length x width).

        The text part at position ``i`` is the attention-weighted mean of the text
        vectors at positions ``<= i`` (weights from each position's hidden state).
        """
        query = F.normalize(hidden, dim=-1)
        if not self.matches_text:
            return query
        real = items >= 0
        text = self.text_vectors[items.clamp(min=0)] * real.unsqueeze(-1)
        logits = self.text_attention(hidden).squeeze(-1)  # batch x length
        length = items.shape[1]
        causal = torch.ones(length, length, dtype=torch.bool, device=items.device).tril()
        allowed = causal[None] & real[:, None, :]
        weights = torch.softmax(logits[:, None, :].masked_fill(~allowed, MASKED), dim=-1)
        pooled = F.normalize(weights @ text, dim=-1) * self.text_scale
        return torch.cat([query, pooled], dim=-1)

    def item_representations(self, rows: torch.Tensor) -> torch.Tensor:
        """Unnormalised representations of the given item rows."""
        out = torch.zeros(*rows.shape, self.config.dimensions, device=rows.device)
        if self.adaptor is not None:
            out = out + self.adaptor(self.text_dropout(self.text_vectors[rows]))
        if self.ids is not None:
            out = out + self.ids(self.id_rows[rows])
        return out

    def item_vectors(self, rows: torch.Tensor) -> torch.Tensor:
        """Unit-length product vectors, as served."""
        return F.normalize(self.match_vectors(rows, self.item_representations(rows)), dim=-1)

    def encode(
        self, items: torch.Tensor, types: torch.Tensor, representations: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Hidden states (batch x length x d) of left-padded sequences (pad item: -1).

        ``representations`` (batch x length x d) may be given precomputed.
        """
        real = items >= 0
        if representations is None:
            representations = self.item_representations(items.clamp(min=0))
        length = items.shape[1]
        # Position 0 is the newest event, whatever the padding.
        positions = torch.arange(length - 1, -1, -1, device=items.device)
        x = representations * real.unsqueeze(-1) + self.positions(positions) + self.types(types)
        x = self.dropout(self.input_norm(x))
        causal = torch.ones(length, length, dtype=torch.bool, device=items.device).tril()
        mask = causal[None] & real[:, None, :]
        for block in self.blocks:
            x = block(x, mask)
        return self.final_norm(x)

    def shopper_vectors(self, items: torch.Tensor, types: torch.Tensor) -> torch.Tensor:
        """Unit-length shopper vectors from the newest position of each sequence."""
        return F.normalize(self.queries(items, self.encode(items, types))[:, -1], dim=-1)

    def export(self) -> dict[str, np.ndarray]:
        """All weights as float32 numpy arrays, named as :mod:`.numpy_encoder` reads them."""
        return {
            name: tensor.detach().cpu().numpy().astype(np.float32)
            for name, tensor in self.state_dict().items()
        }
