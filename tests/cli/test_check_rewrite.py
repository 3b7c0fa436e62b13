import json

import pytest
from saleor_personalization.cli.main import main
from saleor_personalization.engine.content.editorjs import from_text

SOURCE = "A crew neck tee knitted from 180 gsm organic cotton. It keeps its shape after 40 °C washes."
GOOD = "Knitted from 180 gsm organic cotton, this crew neck tee keeps its shape after 40 °C washes."
BAD = "The best crew neck tee, knitted from 200 gsm organic cotton. It keeps its shape after 40 °C washes."


@pytest.fixture
def files(tmp_path):
    def write(name, content):
        path = tmp_path / name
        path.write_text(content if isinstance(content, str) else json.dumps(content),
                        encoding="utf-8")
        return str(path)
    return write


def test_json_verdict_for_an_accepted_rewrite(files, capsys):
    code = main(["check-rewrite", "--source", files("s.txt", SOURCE),
                 "--candidate", files("c.txt", GOOD), "--json"])
    assert code == 0
    assert json.loads(capsys.readouterr().out) == {"accepted": True, "violations": []}


def test_json_verdict_for_a_rejected_rewrite_exits_zero(files, capsys):
    code = main(["check-rewrite", "--source", files("s.txt", SOURCE),
                 "--candidate", files("c.txt", BAD), "--language", "en", "--json"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["accepted"] is False
    assert {"rule": "changed_fact", "detail": 'number changed: "180 gsm" became "200 gsm"'} in \
        result["violations"]
    assert {"rule": "superlative", "detail": 'superlative not in the source: "best"'} in \
        result["violations"]


def test_editorjs_files_and_attributes(files, capsys):
    source = files("s.json", from_text(SOURCE))
    candidate = files("c.json", from_text(GOOD + " Also in Navy.\n\n- 100% merino"))
    attributes = files("a.json", {"Color": ["Navy", "White"], "Material": "Organic cotton"})
    assert main(["check-rewrite", "--source", source, "--candidate", candidate,
                 "--attributes", attributes, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert {v["rule"] for v in result["violations"]} == {"invented_number", "invented_fact"}


def test_chinese_rewrite_in_the_wrong_language(files, capsys):
    source = files("s.txt", "这款T恤采用180克有机棉，40℃水洗后不变形。")
    assert main(["check-rewrite", "--source", source, "--candidate", files("c.txt", GOOD),
                 "--language", "zh", "--json"]) == 0
    rules = {v["rule"] for v in json.loads(capsys.readouterr().out)["violations"]}
    assert "language" in rules


def test_human_readable_verdict(files, capsys):
    assert main(["check-rewrite", "--source", files("s.txt", SOURCE),
                 "--candidate", files("c.txt", BAD)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("rejected: ")
    assert '  - changed_fact: number changed: "180 gsm" became "200 gsm"' in out
    assert main(["check-rewrite", "--source", files("s.txt", SOURCE),
                 "--candidate", files("c2.txt", GOOD)]) == 0
    assert capsys.readouterr().out.startswith("accepted")


@pytest.mark.parametrize("make_args, message", [
    (lambda f: ["--source", "/nonexistent/s.txt", "--candidate", f("c.txt", GOOD)],
     "/nonexistent/s.txt: cannot read: No such file or directory"),
    (lambda f: ["--source", f("s.json", "{not json"), "--candidate", f("c.txt", GOOD)],
     "s.json: not valid JSON"),
    (lambda f: ["--source", f("s.json", {"no": "blocks"}), "--candidate", f("c.txt", GOOD)],
     "not an Editor.js document"),
    (lambda f: ["--source", f("s.txt", SOURCE), "--candidate", f("c.txt", GOOD),
                "--attributes", f("a.json", "[1, 2]")],
     "expected a JSON object of attribute name to values"),
    (lambda f: ["--source", f("s.txt", SOURCE), "--candidate", f("c.txt", GOOD),
                "--attributes", f("a.json", {"Color": {"x": 1}})],
     "attribute 'Color' must be a value or a list of values"),
])
def test_unreadable_input_exits_2_with_one_line(files, capsys, make_args, message):
    assert main(["check-rewrite", *make_args(files), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: ") and message in captured.err
    assert captured.err.count("\n") == 1
