"""The generator interface and its one error type."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from ..prompts import ChatPrompt

BACKENDS = ("local", "openai")


class GeneratorError(RuntimeError):
    """A generator could not answer: the message says why, in one line a merchant or
    an operator can act on (wrong URL, refused key, timeout, model missing)."""


@runtime_checkable
class Generator(Protocol):
    """Turns chat prompts into texts.

    ``name`` is the backend ("local", "openai"), ``model`` what it runs; both are
    recorded with every proposal. ``generate`` returns, for each prompt, ``n`` texts.
    """

    name: str
    model: str

    def generate(self, prompts: list[ChatPrompt], *, n: int = 1, max_new_tokens: int = 256,
                 temperature: float = 0.7, seed: int | None = None) -> list[list[str]]:
        ...


def make_generator(backend: str, **options: Any) -> Generator:
    """A generator by backend name ("local" or "openai") with its options
    (see :class:`.local.LocalGenerator` and :class:`.openai_compat.OpenAICompatGenerator`)."""
    if backend == "local":
        from .local import LocalGenerator

        return LocalGenerator(**options)
    if backend == "openai":
        from .openai_compat import OpenAICompatGenerator

        return OpenAICompatGenerator(**options)
    raise ValueError(f"unknown generator backend {backend!r}: choose one of {', '.join(BACKENDS)}")
