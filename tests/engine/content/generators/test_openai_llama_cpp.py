"""The OpenAI-compatible backend against a real OpenAI-compatible server: llama-cpp-python's
server serving the same SmolLM2-135M-Instruct GGUF as the local backend, through the
official ``openai`` client exactly as the plugin calls it.

llama-cpp-python builds llama.cpp from source (10-25 min), so it lives in a virtualenv
of its own, never in the test environment: ``make llama-server-env`` builds
``.llama-venv`` next to the repository, which these tests then use; or point
``LLAMA_CPP_PYTHON`` at the Python of any environment where
``llama-cpp-python[server]`` is installed. Without either they are skipped with one line.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from saleor_personalization.engine.content import guardrails
from saleor_personalization.engine.content.facts import ProductFacts
from saleor_personalization.engine.content.generators import GeneratorError, local, make_generator
from saleor_personalization.engine.content.prompts import ChatPrompt
from saleor_personalization.engine.content.rewriting import RewriteSettings, propose

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[4]
ENABLE_HINT = ("llama-cpp-python's server is not installed: `make llama-server-env` builds "
               ".llama-venv (compiles llama.cpp, 10-25 min), or set LLAMA_CPP_PYTHON to a Python "
               "with llama-cpp-python[server]")
MODEL_ALIAS = "smollm2-135m-instruct"
API_KEY = "test-key"
START_TIMEOUT_S = 180
PROMPT = ChatPrompt("You write short product copy.", "Describe a cotton tee in one sentence.")
SOURCE = ("A crew neck tee knitted from 180 gsm organic cotton. It keeps its shape after 40 °C "
          "washes. Taped shoulder seams stop the neckline from sagging.")
FACTS = ProductFacts("Northline Tee", "Apparel > T-Shirts",
                     {"Color": ["White", "Black"], "Material": ["Organic cotton"]}, SOURCE, "en")


def llama_python() -> Path | None:
    """``$LLAMA_CPP_PYTHON``, else ``.llama-venv/bin/python`` next to the repository."""
    configured = os.environ.get("LLAMA_CPP_PYTHON")
    if configured:
        return Path(configured)
    default = REPO_ROOT / ".llama-venv" / "bin" / "python"
    return default if default.exists() else None


def _usable_llama_python() -> Path:
    """The Python to run the server with; the whole module is skipped (one line) where
    there is none, and fails where ``LLAMA_CPP_PYTHON`` names a missing one."""
    python = llama_python()
    if python is None:
        pytest.skip(ENABLE_HINT, allow_module_level=True)
    if not python.exists():
        pytest.fail(f"LLAMA_CPP_PYTHON={python} does not exist", pytrace=False)
    probe = subprocess.run([str(python), "-c", "import llama_cpp.server"], capture_output=True,
                           text=True)
    if probe.returncode != 0:
        pytest.skip(f"{python} cannot import llama_cpp.server (a half-built environment?): "
                    f"{ENABLE_HINT}", allow_module_level=True)
    return python


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(url: str) -> bool:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {API_KEY}"})
    try:
        with urllib.request.urlopen(request, timeout=1):
            return True
    except urllib.error.HTTPError:
        return True  # it answered, even if not with 200
    except OSError:
        return False


LLAMA_PYTHON = _usable_llama_python()


@dataclass(frozen=True)
class Server:
    url: str
    process: subprocess.Popen
    log_path: Path

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """A llama-cpp-python server on a free localhost port, serving the packaged GGUF under
    ``MODEL_ALIAS`` with ``API_KEY``; stopped at the end of the session."""
    python = LLAMA_PYTHON
    try:
        gguf = local.packaged_gguf()
    except GeneratorError as exc:
        pytest.skip(str(exc))
    port = _free_port()
    log_path = tmp_path_factory.mktemp("llama-server") / "server.log"
    started = time.monotonic()
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [str(python), "-m", "llama_cpp.server", "--model", str(gguf),
             "--model_alias", MODEL_ALIAS, "--api_key", API_KEY,
             "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048",
             # One thread: on two busy cores, two spinning threads ran ~10x slower.
             "--n_threads", "1"],
            stdout=log, stderr=subprocess.STDOUT)
    try:
        while not _answers(f"http://127.0.0.1:{port}/v1/models"):
            if process.poll() is not None or time.monotonic() - started > START_TIMEOUT_S:
                pytest.fail("llama-cpp-python's server did not come up:\n"
                            + log_path.read_text(errors="replace")[-3000:])
            time.sleep(0.2)
        yield Server(f"http://127.0.0.1:{port}/v1", process, log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def llama_server(server):
    """The server's base URL; a test fails with the server's log if the server died."""
    yield server.url
    if server.process.poll() is not None:
        pytest.fail(f"the server exited ({server.process.returncode}):\n{server.log_tail()}")


def generator(base_url: str, **options):
    options.setdefault("api_key", API_KEY)
    options.setdefault("max_retries", 0)
    options.setdefault("timeout", 120)
    return make_generator("openai", base_url=base_url, model=MODEL_ALIAS, **options)


def test_a_real_chat_completion_comes_back_as_text(llama_server):
    gen = generator(llama_server)
    out = gen.generate([PROMPT, PROMPT], n=2, max_new_tokens=24, temperature=0.7, seed=11)
    assert len(out) == 2 and all(len(texts) == 2 for texts in out)
    assert all(isinstance(t, str) and t.strip() == t and len(t.split()) >= 2
               for texts in out for t in texts)
    # The same seed samples the same text: the server honours the seed the client sends.
    assert out[0] == out[1]
    assert (gen.name, gen.model) == ("openai", MODEL_ALIAS)


def test_greedy_decoding_is_repeatable(llama_server):
    gen = generator(llama_server)
    [[first, second]] = gen.generate([PROMPT], n=2, max_new_tokens=16, temperature=0.0)
    assert first == second


def test_a_refused_key_is_one_clear_error(llama_server):
    with pytest.raises(GeneratorError) as caught:
        generator(llama_server, api_key="wrong-key").generate([PROMPT], max_new_tokens=8)
    assert str(caught.value) == (f"{llama_server} ({MODEL_ALIAS}): "
                                 "the server refused the API key (HTTP 401)")


def test_a_request_over_the_context_window_is_one_clear_error(llama_server):
    # llama.cpp refuses a prompt longer than its context (2048 tokens) with HTTP 400.
    huge = ChatPrompt("You write short product copy.", "organic cotton tee " * 1500)
    with pytest.raises(GeneratorError) as caught:
        generator(llama_server).generate([huge], max_new_tokens=8)
    assert str(caught.value) == f"{llama_server} ({MODEL_ALIAS}): the server answered HTTP 400"


def test_a_wrong_path_is_one_clear_error(llama_server):
    base_url = llama_server.removesuffix("/v1")  # a base URL without /v1
    with pytest.raises(GeneratorError, match=r"or the chat endpoint not found \(HTTP 404\)$"):
        generator(base_url).generate([PROMPT], max_new_tokens=8)


def test_a_timeout_is_one_clear_error(llama_server):
    with pytest.raises(GeneratorError) as caught:
        generator(llama_server, timeout=0.01).generate([PROMPT], max_new_tokens=32)
    assert str(caught.value) == f"{llama_server} ({MODEL_ALIAS}): no answer within 0.01 s"


def test_propose_through_the_server_checks_every_candidate(llama_server):
    gen = generator(llama_server)
    settings = RewriteSettings(candidates=1, openings=1, max_new_tokens=80, sentence_tokens=32,
                               seed=5)
    result = propose(FACTS, SOURCE, generator=gen, settings=settings)
    assert (result.backend, result.model) == ("openai", MODEL_ALIAS)
    assert result.candidates
    assert any(c.origin.startswith("generated") for c in result.candidates)
    context = [FACTS.name, FACTS.category]
    for candidate in result.candidates:
        # Each verdict is the guardrails' own on that text, and only accepted texts that
        # beat the current total are proposals.
        report = guardrails.check(SOURCE, candidate.text, FACTS.attributes, "en",
                                  context=context)
        assert (candidate.report.accepted, candidate.report.violations) == (
            report.accepted, report.violations)
        assert candidate.is_proposal == (
            report.accepted
            and candidate.score.total >= result.current_score.total + settings.min_gain)
    for proposal in result.proposals:
        assert proposal.report.accepted and not proposal.report.violations
