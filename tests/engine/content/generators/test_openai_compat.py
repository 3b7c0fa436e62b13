"""The OpenAI-compatible backend against a stand-in HTTP server on 127.0.0.1 speaking
/v1/chat/completions: success, and every failure as one GeneratorError (the real
server, llama-cpp-python's, is in test_openai_llama_cpp.py)."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from saleor_personalization.engine.content.generators import GeneratorError, make_generator
from saleor_personalization.engine.content.prompts import ChatPrompt

PROMPT = ChatPrompt("You edit descriptions.", "Rewrite: A tee.")


class Handler(BaseHTTPRequestHandler):
    requests: list[dict] = []
    release = threading.Event()
    flaky_left = {"count": 0}

    def log_message(self, *args):
        pass

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        payload = json.loads(self.rfile.read(length))
        Handler.requests.append({"path": self.path, "auth": self.headers.get("Authorization"),
                                 **payload})
        model = payload["model"]
        if self.headers.get("Authorization") == "Bearer wrong-key":
            return self._send(401, b'{"error": {"message": "Invalid API key", "type": "auth"}}')
        if model == "slow":
            Handler.release.wait(10)
        if model == "boom":
            return self._send(500, b'{"error": {"message": "internal"}}')
        if model == "flaky" and Handler.flaky_left["count"] > 0:
            Handler.flaky_left["count"] -= 1
            return self._send(503, b'{"error": {"message": "busy"}}')
        if model == "garbage":
            return self._send(200, b"this is not json")
        if model == "nochoices":
            return self._send(200, b'{"id": "x", "object": "chat.completion", "choices": []}')
        text = f"A soft tee. ({payload['messages'][-1]['content'][:8]})"
        body = {"id": "c1", "object": "chat.completion", "created": 0, "model": model,
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": text}}]}
        return self._send(200, json.dumps(body).encode())


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    Handler.release.set()
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def fresh():
    Handler.requests.clear()
    Handler.release.clear()
    yield
    Handler.release.set()


def generator(base_url, model="ok", **options):
    options.setdefault("max_retries", 0)
    return make_generator("openai", base_url=base_url, model=model, api_key="secret", **options)


def test_success_returns_n_texts_per_prompt_and_sends_the_chat(server):
    out = generator(server).generate([PROMPT, PROMPT], n=2, max_new_tokens=50,
                                     temperature=0.3, seed=4)
    assert out == [["A soft tee. (Rewrite:)"] * 2] * 2
    first = Handler.requests[0]
    assert first["path"] == "/v1/chat/completions"
    assert first["auth"] == "Bearer secret"
    assert first["messages"] == PROMPT.messages()
    assert (first["max_tokens"], first["temperature"], first["seed"]) == (50, 0.3, 4)
    assert [r["seed"] for r in Handler.requests] == [4, 5, 4, 5]


def test_a_refused_key_is_one_clear_error(server):
    gen = make_generator("openai", base_url=server, model="ok", api_key="wrong-key", max_retries=0)
    with pytest.raises(GeneratorError, match=r"refused the API key \(HTTP 401\)"):
        gen.generate([PROMPT])


def test_a_timeout_is_one_clear_error(server):
    with pytest.raises(GeneratorError, match=r"no answer within 0.3 s"):
        generator(server, "slow", timeout=0.3).generate([PROMPT])


def test_a_server_error_is_one_clear_error(server):
    with pytest.raises(GeneratorError, match=r"answered HTTP 500"):
        generator(server, "boom").generate([PROMPT])


def test_transient_errors_are_retried(server):
    Handler.flaky_left["count"] = 1
    assert generator(server, "flaky", max_retries=2).generate([PROMPT]) == [["A soft tee. (Rewrite:)"]]
    assert len(Handler.requests) == 2


@pytest.mark.parametrize("model", ["garbage", "nochoices"])
def test_a_malformed_reply_is_one_clear_error(server, model):
    with pytest.raises(GeneratorError, match="malformed reply"):
        generator(server, model).generate([PROMPT])


def test_a_wrong_url_is_one_clear_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(GeneratorError, match=r"cannot connect \(check the base URL\)"):
        generator(f"http://127.0.0.1:{port}/v1", timeout=2).generate([PROMPT])


def test_settings_are_validated_up_front():
    with pytest.raises(ValueError, match="base URL"):
        make_generator("openai", base_url="", model="m")
    with pytest.raises(ValueError, match="choose one of local, openai"):
        make_generator("vllm")
