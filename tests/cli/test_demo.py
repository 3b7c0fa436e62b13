import pytest
from saleor_personalization.cli.main import main


@pytest.mark.django_db
def test_demo_prints_explained_recommendations_similar_products_and_updates(capsys, encoder_config):
    assert main(["demo", "-k", "3", "--no-content"]) == 0
    out = capsys.readouterr().out
    assert "60 products embedded with sentence-transformers/all-MiniLM-L6-v2 (384 dimensions)" in out
    assert "Because you viewed" in out
    assert "Popular in default-channel" in out
    assert "Similar to Summit 2-Person Backpacking Tent:" in out
    assert "What changes after new events" in out
    # Products sold only in channel-pln never appear in default-channel lists.
    for pln_only in ("Tatra", "Kraków Roastery", "Bolesławiec"):
        section = out.split("== Recommendations in default-channel ==")[1].split("== Similar")[0]
        assert pln_only not in section


def test_bad_arguments_exit_with_usage(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "-k", "many"])
    assert exit_info.value.code == 2
    assert "invalid int value" in capsys.readouterr().err


def test_an_unreachable_database_is_a_clear_error(capsys, monkeypatch):
    from django.db import connection

    def refuse(*_args, **_kwargs):
        from django.db import OperationalError

        raise OperationalError('connection to server at "127.0.0.1", port 1 failed')

    monkeypatch.setattr(connection, "ensure_connection", refuse)
    assert main(["demo"]) == 1
    assert "error: database: connection to server" in capsys.readouterr().err
