"""Decoding constraints for the local backend, as one transformers LogitsProcessor.

- repetition penalty and no repeated n-grams, over the generated tokens only (the
  library's own versions also count the prompt, which forbids copying the merchant's
  wording: the very thing a small model should do);
- numbers: a digit may only be written where the digits so far spell the start of a
  number in that row's source, and a number, once started, must be finished, so a
  model cannot write "30 minutes", "18 mm" or "#4913942" unless the source has them.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import torch


class DecodingConstraints:
    """Applied to the scores of every generation step."""

    def __init__(self, tokenizer: Any, prompt_len: int, *,
                 allowed_numbers: list[set[str]] | None,
                 repetition_penalty: float = 1.15, no_repeat_ngram_size: int = 4) -> None:
        self.prompt_len = prompt_len
        self.penalty = repetition_penalty
        self.ngram = no_repeat_ngram_size
        self.allowed = allowed_numbers
        self.tokenizer = tokenizer
        self.digit_tokens = _digit_tokens(tokenizer) if allowed_numbers is not None else {}
        self._allowed_after = lru_cache(maxsize=4096)(self._allowed_digits)

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        generated = input_ids[:, self.prompt_len:]
        if generated.shape[1] and self.penalty != 1.0:
            values = torch.gather(scores, 1, generated)
            values = torch.where(values > 0, values / self.penalty, values * self.penalty)
            scores.scatter_(1, generated, values)
        for row in range(scores.shape[0]):
            tokens = generated[row].tolist()
            if self.ngram and len(tokens) >= self.ngram:
                banned = _repeated_ngram_tokens(tokens, self.ngram)
                if banned:
                    scores[row, list(banned)] = -float("inf")
            if self.allowed is not None and self.digit_tokens:
                tail = self._digit_tail(tokens)
                numbers = frozenset(self.allowed[row % len(self.allowed)])
                allowed = self._allowed_after(tail, numbers)
                if tail and tail not in numbers:
                    # Mid-number ("18" of "180"): only the digits that continue it.
                    keep = [tid for tid, text in self.digit_tokens.items() if text in allowed]
                    kept = scores[row, keep].clone()
                    if keep and torch.isfinite(kept).any():
                        scores[row, :] = -float("inf")
                        scores[row, keep] = kept
                        continue
                blocked = [tid for tid, text in self.digit_tokens.items() if text not in allowed]
                if blocked:
                    scores[row, blocked] = -float("inf")
        return scores

    def _digit_tail(self, tokens: list[int]) -> str:
        tail = ""
        for token in reversed(tokens[-12:]):
            text = self.digit_tokens.get(token)
            if text is None:
                break
            tail = text + tail
        return tail

    def _allowed_digits(self, tail: str, numbers: frozenset[str]) -> frozenset[str]:
        """The digit tokens that may follow ``tail`` (the digits just written)."""
        allowed = set()
        for text in self.digit_tokens.values():
            prefix = tail + text
            if any(number.startswith(prefix) for number in numbers):
                allowed.add(text)
        return frozenset(allowed)


def _repeated_ngram_tokens(tokens: list[int], n: int) -> set[int]:
    prefix = tuple(tokens[-(n - 1):])
    banned = set()
    for i in range(len(tokens) - n + 1):
        if tuple(tokens[i:i + n - 1]) == prefix:
            banned.add(tokens[i + n - 1])
    return banned


_DIGIT_TOKENS: dict[int, dict[int, str]] = {}


def _digit_tokens(tokenizer: Any) -> dict[int, str]:
    """Tokens made only of ASCII digits, after an optional word-start mark (SmolLM2
    has one per digit); computed once per tokenizer."""
    key = id(tokenizer)
    if key not in _DIGIT_TOKENS:
        found = {}
        for piece, token_id in tokenizer.get_vocab().items():
            text = piece.lstrip("Ġ▁ ")
            if text and text.isascii() and text.isdigit():
                found[token_id] = text
        _DIGIT_TOKENS[key] = found
    return _DIGIT_TOKENS[key]
