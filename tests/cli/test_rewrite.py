import json

import pytest
from saleor_personalization.cli import rewrite as rewrite_cli
from saleor_personalization.cli.main import main
from saleor_personalization.engine.content.generators import GeneratorError

PRODUCT = {"name": "Northline Tee", "category": ["Apparel", "T-Shirts"],
           "attributes": {"Color": ["White", "Black"], "Material": "Organic cotton"},
           "description": "A crew neck tee knitted from 180 gsm organic cotton. "
                          "It keeps its shape after 40 °C washes.",
           "language": "en"}


class Echo:
    name, model = "echo", "echo-1"

    def __init__(self, fail=False):
        self.fail = fail

    def generate(self, prompts, *, n=1, **_):
        if self.fail:
            raise GeneratorError("http://127.0.0.1:9/v1 (m): cannot connect (check the base URL)")
        texts = []
        for prompt in prompts:
            text = prompt.metadata.get("sentence") or (
                "The Northline Tee is a crew neck tee in White and Black, knitted from 180 gsm "
                "organic cotton. It keeps its shape after 40 °C washes.")
            texts.append([text] * n)
        return texts


@pytest.fixture
def product_file(tmp_path):
    path = tmp_path / "product.json"
    path.write_text(json.dumps(PRODUCT), encoding="utf-8")
    return str(path)


def test_rewrite_prints_candidates_with_verdicts_as_json(product_file, capsys, monkeypatch):
    monkeypatch.setattr("saleor_personalization.engine.content.generators.make_generator",
                        lambda backend, **options: Echo())
    assert main(["rewrite", "--product-json", product_file, "--candidates", "1", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["backend"], result["model"]) == ("echo", "echo-1")
    assert result["prompt_version"]
    assert any(c["is_proposal"] and c["accepted"] for c in result["candidates"])


def test_rewrite_human_output(product_file, capsys, monkeypatch):
    monkeypatch.setattr("saleor_personalization.engine.content.generators.make_generator",
                        lambda backend, **options: Echo())
    assert main(["rewrite", "--product-json", product_file, "--no-sentence-edits"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Northline Tee: current score")
    assert "PROPOSAL" in out and "1 proposal(s) of 1 candidate(s)" in out


def test_a_generator_failure_is_one_line(product_file, capsys, monkeypatch):
    monkeypatch.setattr("saleor_personalization.engine.content.generators.make_generator",
                        lambda backend, **options: Echo(fail=True))
    assert main(["rewrite", "--product-json", product_file]) == 1
    err = capsys.readouterr().err
    assert err == "error: generator: http://127.0.0.1:9/v1 (m): cannot connect (check the base URL)\n"


def test_openai_backend_needs_url_and_model(product_file, capsys):
    assert main(["rewrite", "--product-json", product_file, "--backend", "openai"]) == 1
    assert "needs --base-url and --model" in capsys.readouterr().err


def test_an_unreadable_product_exits_2(tmp_path, capsys):
    bad = tmp_path / "p.json"
    bad.write_text("[]")
    assert main(["rewrite", "--product-json", str(bad)]) == 2
    assert 'expected an object with at least a "name"' in capsys.readouterr().err


def test_product_json_may_hold_editorjs(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps({**PRODUCT, "description": {"blocks": [
        {"type": "paragraph", "data": {"text": "Soft <b>tee</b>."}}]}}))
    facts = rewrite_cli.load_product(path)
    assert facts.description == "Soft tee."
    assert facts.category == "Apparel > T-Shirts"
    assert facts.attributes["Material"] == ["Organic cotton"]
