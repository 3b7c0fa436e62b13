import os

import pytest

from saleor_personalization.cli.main import main


@pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="uses the embedded server")
def test_db_url_and_start_print_the_embedded_url(capsys):
    assert main(["db", "start"]) == 0
    started = capsys.readouterr().out.strip()
    assert main(["db", "url"]) == 0
    assert capsys.readouterr().out.strip() == started
    assert started.startswith("postgresql://")
