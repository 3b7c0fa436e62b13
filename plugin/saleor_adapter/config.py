"""The plugin's configuration: Saleor's name/value list → one typed, frozen dataclass."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any
from urllib.parse import urlsplit

from ..engine.encoder import DEFAULT_MODEL

PLUGIN_ID = "saleor.personalization"

GENERATOR_BACKENDS = ("transformers", "openai")
DEFAULT_GENERATOR_MODEL = "SmolLM2-135M-Instruct"


class ConfigError(ValueError):
    """Invalid settings, keyed by field name."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))
        self.errors = dict(errors)


@dataclass(frozen=True)
class PersonalizationConfig:
    recommendations_enabled: bool = True
    anonymous_tracking: bool = True
    require_in_stock: bool = True
    exclude_purchased: bool = True
    diversity: float = 0.1
    embedding_model: str = DEFAULT_MODEL
    content_optimization_enabled: bool = False
    auto_promote_winners: bool = False
    generator_backend: str = "transformers"
    generator_model: str = DEFAULT_GENERATOR_MODEL
    generator_server_url: str = ""
    generator_api_key: str = ""
    brand_voice: str = ""

    def as_task_kwargs(self) -> dict[str, Any]:
        """A plain dict for Celery task arguments (no secrets)."""
        data = asdict(self)
        data.pop("generator_api_key")
        return data


_BOOLEAN_FIELDS = {f.name for f in fields(PersonalizationConfig) if f.type in ("bool", bool)}


def default_configuration() -> list[dict[str, Any]]:
    """Saleor's DEFAULT_CONFIGURATION list for the defaults above."""
    defaults = PersonalizationConfig()
    return [
        {"name": f.name, "value": _to_raw(getattr(defaults, f.name))}
        for f in fields(PersonalizationConfig)
    ]


def _to_raw(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    return str(value)


def parse_config(items: Iterable[Mapping[str, Any]]) -> PersonalizationConfig:
    """Turn Saleor's ``[{"name": ..., "value": ...}]`` into a validated config.

    Raises :class:`ConfigError` listing every invalid field.
    """
    raw = {item["name"]: item.get("value") for item in items if "name" in item}
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in (f.name for f in fields(PersonalizationConfig)):
        if name not in raw or raw[name] is None:
            continue
        value = raw[name]
        if name in _BOOLEAN_FIELDS:
            parsed = _boolean(value)
            if parsed is None:
                errors[name] = f"expected true or false, got {value!r}"
            else:
                values[name] = parsed
        elif name == "diversity":
            try:
                number = float(value)
            except (TypeError, ValueError):
                number = float("nan")
            if not 0.0 <= number <= 1.0:
                errors[name] = f"expected a number from 0 to 1, got {value!r}"
            else:
                values[name] = number
        else:
            values[name] = str(value).strip()
    errors.update(_check(values))
    if errors:
        raise ConfigError(errors)
    return PersonalizationConfig(**values)


def _boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("false", "0", "no", "off", ""):
        return False
    return None


def _check(values: Mapping[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if "embedding_model" in values and not values["embedding_model"]:
        errors["embedding_model"] = "name a sentence-transformers model or a local folder"
    backend = values.get("generator_backend", PersonalizationConfig.generator_backend)
    if backend not in GENERATOR_BACKENDS:
        errors["generator_backend"] = (
            f"expected one of {', '.join(GENERATOR_BACKENDS)}, got {backend!r}"
        )
    url = values.get("generator_server_url", "")
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            errors["generator_server_url"] = f"expected an http(s) URL, got {url!r}"
    elif backend == "openai":
        errors["generator_server_url"] = "required when generator_backend is openai"
    if "generator_model" in values and not values["generator_model"]:
        errors["generator_model"] = "name the generator model"
    return errors
