"""Any OpenAI-compatible chat-completions server (vLLM, Ollama, llama.cpp's server,
OpenAI) through the official ``openai`` client.

Every failure (wrong URL, refused key, timeout, server error, malformed reply) becomes
one :class:`GeneratorError` with a one-line message; the client retries transient
errors itself (``max_retries``).
"""

from __future__ import annotations

import logging
from typing import Any

from ..prompts import ChatPrompt
from .base import GeneratorError

logger = logging.getLogger(__name__)


class OpenAICompatGenerator:
    """Chat completions from ``base_url`` with ``model``."""

    name = "openai"

    def __init__(self, *, base_url: str, model: str, api_key: str = "", timeout: float = 60.0,
                 max_retries: int = 2) -> None:
        if not base_url:
            raise ValueError("the OpenAI-compatible backend needs a base URL")
        if not model:
            raise ValueError("the OpenAI-compatible backend needs a model name")
        self.base_url = base_url
        self.model = model
        self._api_key = api_key
        self.timeout = timeout
        self.max_retries = max_retries
        self._client: Any = None

    def _get_client(self) -> Any:
        if self._client is None:
            try:
                import openai
            except ModuleNotFoundError as exc:
                raise GeneratorError("the OpenAI-compatible backend needs: pip install openai") from exc
            self._client = openai.OpenAI(
                base_url=self.base_url, api_key=self._api_key or "not-needed",
                timeout=self.timeout, max_retries=self.max_retries,
            )
        return self._client

    def generate(self, prompts: list[ChatPrompt], *, n: int = 1, max_new_tokens: int = 256,
                 temperature: float = 0.7, seed: int | None = None) -> list[list[str]]:
        """``n`` completions per prompt (one request each, so servers without ``n``
        support work too)."""
        return [[self._complete(p, max_new_tokens, temperature, None if seed is None else seed + i)
                 for i in range(n)] for p in prompts]

    def _complete(self, prompt: ChatPrompt, max_tokens: int, temperature: float,
                  seed: int | None) -> str:
        import openai

        client = self._get_client()
        options: dict[str, Any] = {"seed": seed} if seed is not None else {}
        try:
            reply = client.chat.completions.create(
                model=self.model, messages=prompt.messages(), max_tokens=max_tokens,
                temperature=temperature, **options,
            )
        except openai.AuthenticationError as exc:
            raise self._error(f"the server refused the API key (HTTP {exc.status_code})", exc)
        except openai.PermissionDeniedError as exc:
            raise self._error(f"the API key may not use this model (HTTP {exc.status_code})", exc)
        except openai.NotFoundError as exc:
            raise self._error(f"model {self.model!r} or the chat endpoint not found (HTTP 404)", exc)
        except openai.APITimeoutError as exc:
            raise self._error(f"no answer within {self.timeout:g} s", exc)
        except openai.APIConnectionError as exc:
            raise self._error("cannot connect (check the base URL)", exc)
        except openai.APIStatusError as exc:
            raise self._error(f"the server answered HTTP {exc.status_code}", exc)
        except (openai.APIResponseValidationError, openai.APIError, ValueError, TypeError) as exc:
            raise self._error("malformed reply", exc)
        return self._text(reply)

    def _text(self, reply: Any) -> str:
        choices = getattr(reply, "choices", None)
        if not isinstance(choices, list) or not choices:
            raise self._error("malformed reply: no choices", None)
        message = getattr(choices[0], "message", None)
        content = getattr(message, "content", None)
        if not isinstance(content, str):
            raise self._error("malformed reply: no message content", None)
        return content.strip()

    def _error(self, what: str, exc: Exception | None) -> GeneratorError:
        logger.warning("openai-compatible generator failed: %s", what,
                       extra={"base_url": self.base_url, "model": self.model,
                              "error": repr(exc) if exc else None})
        return GeneratorError(f"{self.base_url} ({self.model}): {what}")
