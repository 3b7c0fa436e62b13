"""The plugin's configuration: Saleor's name/value list → one typed, frozen dataclass.

Every setting is described once here (type, label, help text), for the
dashboard's plugin page and for error messages: the dashboard shows a save error
only as a message, without pointing at the field, so each message starts with
the setting's label.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from ..engine.encoder import DEFAULT_MODEL

PLUGIN_ID = "saleor.personalization"
GENERATOR_BACKENDS = ("local", "openai")
MAX_CANDIDATES = 8
MAX_ATTRIBUTION_DAYS = 90
# Active from installation: dashboard 3.23 lists only active plugins, so an inactive
# one could be found only by its URL. "Recommendations" switches serving off instead.
ACTIVE_BY_DEFAULT = True


class ConfigError(ValueError):
    """Invalid settings: ``errors`` maps each field name to a message naming its label."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = dict(errors)


@dataclass(frozen=True)
class PersonalizationConfig:
    recommendations_enabled: bool = True
    anonymous_tracking: bool = True
    require_in_stock: bool = True
    exclude_purchased: bool = True
    exclude_viewed: bool = False
    diversity: float = 0.1
    embedding_model: str = DEFAULT_MODEL
    content_enabled: bool = True
    auto_promote: bool = False
    generator_backend: str = "local"
    generator_model: str = ""
    generator_url: str = ""
    generator_api_key: str = ""
    brand_voice: str = ""
    rewrite_candidates: int = 2
    experiment_attribution_days: int = 7

    def as_task_kwargs(self) -> dict[str, Any]:
        """A plain dict for Celery task arguments."""
        return asdict(self)


@dataclass(frozen=True)
class Setting:
    """How one setting appears on the dashboard's plugin page."""

    type: str  # the name of a Saleor ConfigurationTypeField constant
    label: str
    help_text: str


# Saleor's dashboard lists all text fields before all switches, whatever the order
# here, so each label starts with its section.
SETTINGS: dict[str, Setting] = {
    "recommendations_enabled": Setting(
        "BOOLEAN",
        "Recommendations: show to shoppers",
        "Show 'similar products' on product pages and 'recommended for you' lists "
        "wherever your storefront asks for them. Switched off, those lists are empty; "
        "what shoppers do is still learned and the catalog stays indexed, so the lists "
        "are ready when you switch back on.",
    ),
    "anonymous_tracking": Setting(
        "BOOLEAN",
        "Recommendations: personalize for guests",
        "Learn from what signed-out visitors look at, so their lists fit them before "
        "they sign in or buy. Guests are known only by a random code their browser keeps, "
        "never by name or e-mail.",
    ),
    "require_in_stock": Setting(
        "BOOLEAN",
        "Recommendations: only products in stock",
        "Leave out products that are out of stock in the channel's warehouses.",
    ),
    "exclude_purchased": Setting(
        "BOOLEAN",
        "Recommendations: hide products already bought",
        "Do not recommend a product to a shopper who has already bought it.",
    ),
    "exclude_viewed": Setting(
        "BOOLEAN",
        "Recommendations: hide products already viewed",
        "Never show a shopper a product they already looked at or put in the cart. Off, "
        "a few of those come back at the end of a list as reminders (at most one in "
        "five), since shoppers comparing products like to find them again.",
    ),
    "diversity": Setting(
        "STRING",
        "Recommendations: variety (0 to 1)",
        "0 shows the closest matches only; higher values mix in more kinds of product "
        "(0.1 suits most shops).",
    ),
    "embedding_model": Setting(
        "STRING",
        "Recommendations: language model",
        "The model that reads your product names, descriptions and attributes. Keep the "
        "default unless your developer installed another (a model name or a folder on "
        "the server). After a change the whole catalog is read again in the background; "
        "the current lists stay live until the new ones are ready.",
    ),
    "content_enabled": Setting(
        "BOOLEAN",
        "Content: optimize descriptions",
        "Score every product description against what your shoppers look for, and let "
        "staff ask for better descriptions. Nothing reaches shoppers before it is approved.",
    ),
    "auto_promote": Setting(
        "BOOLEAN",
        "Content: approve proposals automatically",
        "Put a proposed description live without staff review when it passes every fact "
        "check and scores better than the current one. The previous text is kept and can "
        "be put back.",
    ),
    "generator_backend": Setting(
        "STRING",
        "Content: writing model",
        "'local' runs the small model that ships with the plugin on your workers; "
        "'openai' uses a chat-completions server (OpenAI, vLLM, Ollama, llama.cpp) at the "
        "server address below.",
    ),
    "generator_model": Setting(
        "STRING",
        "Content: writing model name",
        "For 'local': empty for the bundled model, or a model name or folder your "
        "developer installed. For 'openai': the model name the server offers (required).",
    ),
    "generator_url": Setting(
        "STRING",
        "Content: writing server address",
        "The server's API address for 'openai', e.g. https://api.openai.com/v1 or "
        "http://localhost:8000/v1.",
    ),
    "generator_api_key": Setting(
        "SECRET",
        "Content: writing server key",
        "The API key of the writing server, if it needs one.",
    ),
    "brand_voice": Setting(
        "MULTILINE",
        "Content: brand voice",
        "How your shop speaks, in a sentence or two (e.g. 'warm and plain, no jargon'). "
        "Every proposed description follows it.",
    ),
    "rewrite_candidates": Setting(
        "STRING",
        "Content: drafts per product (1 to 8)",
        "How many drafts the model writes for each product; only drafts that keep every "
        "fact and score better become proposals. More drafts take longer.",
    ),
    "experiment_attribution_days": Setting(
        "STRING",
        "Content: experiment attribution window (days, 1 to 90)",
        "While a description experiment runs, an add-to-cart or purchase of the product "
        "counts for the description a shopper saw if it happens within this many days of "
        "their first view. Applies to experiments started after the change.",
    ),
    "index_status": Setting(
        "OUTPUT",
        "Recommendations: catalog status",
        "How many products the recommendations know, whether any are waiting to be "
        "read again. Updated each time this page opens.",
    ),
    "last_problem": Setting(
        "OUTPUT",
        "Recommendations: last problem",
        "The last error of a background job (reading the catalog or changed products), "
        "with its time; empty once that job has run without one.",
    ),
}

OUTPUT_SETTINGS = frozenset(name for name, s in SETTINGS.items() if s.type == "OUTPUT")
# Whole-number settings and their highest value (the lowest is 1).
_WHOLE_NUMBERS = {
    "rewrite_candidates": MAX_CANDIDATES,
    "experiment_attribution_days": MAX_ATTRIBUTION_DAYS,
}
_BOOLEAN_FIELDS = {f.name for f in fields(PersonalizationConfig) if f.type in ("bool", bool)}


def default_configuration() -> list[dict[str, Any]]:
    """Saleor's DEFAULT_CONFIGURATION list for the defaults above."""
    defaults = asdict(PersonalizationConfig())
    return [{"name": name, "value": _to_raw(defaults.get(name, ""))} for name in SETTINGS]


def _to_raw(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    return str(value)


def label(name: str) -> str:
    setting = SETTINGS.get(name)
    return setting.label if setting else name


def parse_config(
    items: Iterable[Mapping[str, Any]],
    check_model: Callable[[str], str | None] | None = None,
) -> PersonalizationConfig:
    """Turn Saleor's ``[{"name": ..., "value": ...}]`` into a validated config.

    ``check_model`` returns why a model cannot be loaded (None when it can); it is
    given at save time only. Raises :class:`ConfigError` listing every invalid field.
    """
    raw = {item["name"]: item.get("value") for item in items if "name" in item}
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for name in (f.name for f in fields(PersonalizationConfig)):
        if name not in raw or raw[name] is None:
            continue
        value = raw[name]
        if name in _BOOLEAN_FIELDS:
            parsed = _boolean(value)
            if parsed is None:
                problems[name] = f"expected on or off, got {value!r}"
            else:
                values[name] = parsed
        elif name in _WHOLE_NUMBERS:
            try:
                count = int(str(value).strip())
            except (TypeError, ValueError):
                count = 0
            highest = _WHOLE_NUMBERS[name]
            if not 1 <= count <= highest:
                problems[name] = f"expected a whole number from 1 to {highest}, got {value!r}"
            else:
                values[name] = count
        elif name == "diversity":
            try:
                number = float(value)
            except (TypeError, ValueError):
                number = float("nan")
            if not 0.0 <= number <= 1.0:
                problems[name] = f"expected a number from 0 to 1, got {value!r}"
            else:
                values[name] = number
        else:
            values[name] = str(value).strip()
            if name == "generator_backend":
                values[name] = values[name].lower() or "local"
    problems.update(_generator_problems(values, raw))
    model = values.get("embedding_model")
    if model is not None and not model:
        problems["embedding_model"] = "name a model, or leave the default " + DEFAULT_MODEL
    elif model and check_model is not None and "embedding_model" not in problems:
        problem = check_model(model)
        if problem:
            problems["embedding_model"] = problem
    if problems:
        raise ConfigError({name: f"{label(name)}: {message}" for name, message in problems.items()})
    return PersonalizationConfig(**values)


def _generator_problems(values: Mapping[str, Any], raw: Mapping[str, Any]) -> dict[str, str]:
    backend = values.get("generator_backend", "local")
    if backend not in GENERATOR_BACKENDS:
        return {"generator_backend": f"expected one of {', '.join(GENERATOR_BACKENDS)}, "
                f"got {raw.get('generator_backend')!r}"}
    problems = {}
    url = values.get("generator_url", "")
    if url and not url.startswith(("http://", "https://")):
        problems["generator_url"] = f"expected an http:// or https:// address, got {url!r}"
    if backend == "openai":
        if not url:
            problems["generator_url"] = "the 'openai' writing model needs the server's address"
        if not values.get("generator_model"):
            problems["generator_model"] = "the 'openai' writing model needs a model name"
    return problems


def _boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("false", "0", "no", "off", ""):
        return False
    return None
