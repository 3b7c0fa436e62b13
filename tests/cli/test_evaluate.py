import json

import pytest
from saleor_personalization.cli.main import main


@pytest.fixture(autouse=True)
def text_vector_cache(tmp_path, monkeypatch):
    """Encoded texts are cached under the test's folder, not the user's home."""
    monkeypatch.setenv("SALEOR_PERSONALIZATION_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "text-vectors"


def write_unisrec(folder, inter_rows):
    folder.mkdir()
    items = ["A1", "A2", "A3", "A4", "A5", "A6"]
    texts = ["red shirt", "blue shirt", "green shirt", "coffee beans", "coffee grinder", "tea"]
    (folder / "Tiny.item2index").write_text("".join(f"{a}\t{i}\n" for i, a in enumerate(items)))
    (folder / "Tiny.user2index").write_text("u1\t0\nu2\t1\nu3\t2\n")
    (folder / "Tiny.text").write_text(
        "item_id:token\ttext:token_seq\n" + "".join(f"{a}\t{t}\n" for a, t in zip(items, texts))
    )
    header = "user_id:token\titem_id_list:token_seq\titem_id:token\n"
    for split in ("train", "valid", "test"):
        (folder / f"Tiny.{split}.inter").write_text(header + "".join(inter_rows))


def test_evaluate_prints_one_json_object_with_every_method(tmp_path, capsys, encoder_config):
    write_unisrec(tmp_path / "tiny", ["0\t0 1\t2\n", "1\t3\t4\n", "2\t0\t1\n"])
    assert main(["evaluate", "--dataset", str(tmp_path / "tiny"), "--k", "2", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["k"] == 2 and result["users"] == 3 and result["items"] == 6
    assert set(result["methods"]) == {"popularity", "itemknn", "content"}
    for metrics in result["methods"].values():
        assert set(metrics) == {
            "recall@2", "ndcg@2", "mrr", "coverage", "cold recall@2", "cold ndcg@2",
            "train seconds", "seconds", "peak MB",
        }
    # Text alone links shirts to shirts and coffee to coffee: every target is found.
    assert result["methods"]["content"]["recall@2"] == 1.0
    assert result["cold_threshold"] == 5 and result["cold_users"] == 3


def test_encoded_texts_are_cached_unless_told_not_to(tmp_path, capsys, encoder_config,
                                                     text_vector_cache):
    write_unisrec(tmp_path / "tiny", ["0\t0 1\t2\n", "1\t3\t4\n"])
    args = ["evaluate", "--dataset", str(tmp_path / "tiny"), "--methods", "content", "--k", "2",
            "--json"]
    assert main([*args, "--no-cache"]) == 0
    assert not text_vector_cache.exists()
    assert main(args) == 0
    assert len(list(text_vector_cache.glob("*.npy"))) == 1


def test_evaluate_writes_a_report(tmp_path, capsys, encoder_config):
    write_unisrec(tmp_path / "tiny", ["0\t0 1\t2\n", "1\t3\t4\n"])
    code = main(["evaluate", "--dataset", str(tmp_path / "tiny"), "--methods", "popularity", "--k", "3",
                 "--report", str(tmp_path / "out")])
    assert code == 0
    assert (tmp_path / "out" / "report.md").read_text().count("popularity") >= 1
    assert (tmp_path / "out" / "metrics.png").stat().st_size > 1000


def test_malformed_dataset_is_a_clear_error_naming_file_and_line(tmp_path, capsys):
    write_unisrec(tmp_path / "tiny", ["0\t0 1\t2\n", "1\tthree\t4\n"])
    assert main(["evaluate", "--dataset", str(tmp_path / "tiny"), "--methods", "popularity"]) == 1
    err = capsys.readouterr().err
    assert "Tiny.test.inter:3:" in err


@pytest.mark.parametrize("methods", [["popularity,itemknn"], ["popularity,", "itemknn"]])
def test_methods_may_be_separated_by_commas(tmp_path, capsys, methods):
    write_unisrec(tmp_path / "tiny", ["0\t0 1\t2\n", "1\t3\t4\n"])
    args = ["--dataset", str(tmp_path / "tiny"), "--k", "2", "--json", "--methods", *methods]
    assert main(["evaluate", *args]) == 0
    assert list(json.loads(capsys.readouterr().out)["methods"]) == ["popularity", "itemknn"]


CHOICES = "choose from popularity, itemknn, content, learned, sasrec-id"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--methods", "magic"], f"unknown method(s) magic; {CHOICES}"),
        (["--methods", "popularity,magic,itemknn"], f"unknown method(s) magic; {CHOICES}"),
        (["--methods", ","], f"unknown method(s) ','; {CHOICES}"),
        (["--methods", "popularity,popularity"], "each method may be named once"),
        (["--k", "0"], "k must be between"),
    ],
)
def test_bad_options_are_clear_errors(tmp_path, capsys, args, message):
    write_unisrec(tmp_path / "tiny", ["0\t0 1\t2\n"])
    assert main(["evaluate", "--dataset", str(tmp_path / "tiny"), *args]) == 1
    assert message in capsys.readouterr().err
