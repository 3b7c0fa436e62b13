"""The local transformers backend for real: the packaged SmolLM2-135M-Instruct GGUF,
converted once into a cache folder, loaded once per session."""

from __future__ import annotations

import re

import pytest
from saleor_personalization.engine.content.generators import GeneratorError, local, make_generator
from saleor_personalization.engine.content.prompts import ChatPrompt

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def smollm():
    pytest.importorskip("gguf", reason="the local backend needs the gguf package")
    try:
        local.packaged_gguf()
    except GeneratorError as exc:
        pytest.skip(str(exc))
    generator = make_generator("local")
    local.load()  # the one load of the session
    return generator


def test_it_generates_n_texts_per_prompt(smollm):
    prompts = [ChatPrompt("You write short product copy.", "Describe a cotton tee in one sentence."),
               ChatPrompt("You write short product copy.", "Describe a wool hat in one sentence.",
                          prefix="This wool hat is")]
    out = smollm.generate(prompts, n=2, max_new_tokens=6, temperature=0.7, seed=3)
    assert len(out) == 2 and all(len(texts) == 2 for texts in out)
    assert all(isinstance(t, str) and t for texts in out for t in texts)
    assert all(t.startswith("This wool hat is") and len(t) > len("This wool hat is")
               for t in out[1])
    assert smollm.name == "local" and smollm.model == local.DEFAULT_MODEL


def test_greedy_generation_is_repeatable(smollm):
    prompt = ChatPrompt("You write short product copy.", "Describe a cotton tee.")
    first = smollm.generate([prompt], n=2, max_new_tokens=6, temperature=0.0)
    again = smollm.generate([prompt], n=1, max_new_tokens=6, temperature=0.0)
    assert first[0][0] == first[0][1] == again[0][0]


def test_only_numbers_of_the_source_can_be_written(smollm):
    prompt = ChatPrompt(
        "You copy numbers exactly.",
        "Repeat these numbers separated by spaces: 4913942 30 2024 77 180",
        source="The fabric weighs 180 gsm.",
    )
    [[text]] = smollm.generate([prompt], max_new_tokens=14, temperature=0.0)
    runs = re.findall(r"\d+", text)
    # Every number written is 180; only the last may be cut short by max_new_tokens.
    assert all(run == "180" for run in runs[:-1]) and all("180".startswith(r) for r in runs), text
    unconstrained = make_generator("local", restrict_numbers=False)
    [[free]] = unconstrained.generate([prompt], max_new_tokens=14, temperature=0.0)
    assert any(not "180".startswith(run) for run in re.findall(r"\d+", free)), free


def test_the_converted_model_is_cached_and_loaded_once(smollm):
    gguf = local.packaged_gguf()
    folder = local.converted_dir(gguf, local.default_cache_dir())
    assert (folder / "config.json").is_file()
    assert "quantization_config" not in (folder / "config.json").read_text()
    first = local.load()
    assert local.load()[1] is first[1]


def test_a_missing_model_is_a_generator_error():
    with pytest.raises(GeneratorError, match="GGUF file not found"):
        make_generator("local", model="/nonexistent/model.gguf").generate(
            [ChatPrompt("s", "u")], max_new_tokens=1)
