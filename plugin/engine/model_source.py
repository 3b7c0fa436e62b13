"""Can a model be loaded here? Answered cheaply, without reading its weights.

Used when staff save a model name, so a typo is refused at once instead of
failing later in a background job nobody watches.
"""

from __future__ import annotations

import os
import re

from .encoder import resolve_model_path

_HUB_NAME = re.compile(r"^[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?$")
_MODEL_FILES = ("modules.json", "config.json", "config_sentence_transformers.json")


def model_problem(model: str, timeout: float = 5.0) -> str | None:
    """Why ``model`` (a name or a local folder) cannot be loaded here, or None when it can.

    A folder must hold a model's configuration; a hub name must be in the local
    model cache or, when the hub may be reached, exist there.
    """
    model = model.strip()
    if not model:
        return "name a model or a folder"
    path = resolve_model_path(model)
    if os.path.isdir(path):
        if any(os.path.isfile(os.path.join(path, name)) for name in _MODEL_FILES):
            return None
        return f"the folder {path} holds no model (no modules.json or config.json)"
    if model.startswith(("/", "./", "../", "~")) or model.count("/") > 1:
        return f"no folder {path} on this server"
    if not _HUB_NAME.match(model):
        return f"{model!r} is neither a folder on this server nor a model name like org/model"
    return _hub_problem(model, timeout)


def _hub_problem(name: str, timeout: float) -> str | None:
    try:
        import huggingface_hub
        from huggingface_hub import constants, errors
    except ModuleNotFoundError:  # pragma: no cover - sentence-transformers requires it
        return "the huggingface_hub package is missing: pip install huggingface_hub"
    for filename in _MODEL_FILES:
        if isinstance(huggingface_hub.try_to_load_from_cache(name, filename), str):
            return None
    if constants.HF_HUB_OFFLINE:
        return (
            f"{name} is not in this server's model cache and downloads are off "
            "(HF_HUB_OFFLINE): install it on the server or give its folder"
        )
    try:
        huggingface_hub.model_info(name, timeout=timeout)
    except errors.RepositoryNotFoundError:
        return f"the model hub has no model named {name}"
    except errors.GatedRepoError:
        return f"{name} needs an access token on the model hub: give a downloaded folder instead"
    except Exception as error:  # network errors come in many types; all mean "cannot fetch"
        return (
            f"{name} is not in this server's model cache and the model hub could not be "
            f"reached to fetch it ({type(error).__name__}): give a folder on the server"
        )
    return None
