"""Test session set-up: one real PostgreSQL + pgvector and one model per run.

With ``DATABASE_URL`` set the tests use that server; otherwise the embedded
PostgreSQL is started once (pytest-django then creates and drops its own test
database on it). Pure engine tests need neither and run all the same.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

# The Saleor integration suite needs Saleor's Django settings, so it runs in its
# own pytest session (its folder is its own rootdir): `make test-saleor`.
collect_ignore = ["saleor_integration"]
SALEOR_SUITE_LINE = (
    "Saleor integration suite: runs in a Saleor 3.23 environment, next in `make test` where a "
    "Saleor source is at hand (SALEOR_SOURCE=/path/to/saleor folder or .tar.gz), "
    "or alone with `make test-saleor SALEOR_PYTHON=/path/to/saleor/.venv/bin/python`"
)


def pytest_terminal_summary(terminalreporter) -> None:
    terminalreporter.write_line(SALEOR_SUITE_LINE)


def _configure_django() -> None:
    # At import time, not in pytest_configure: conftest files of sub-folders are
    # imported before that hook runs and may import models.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from saleor_personalization.standalone.setup import configure

    configure(migrate=False)


_configure_django()

pytest_plugins = ["saleor_personalization.testing"]


@pytest.fixture(scope="session")
def datasets_dir() -> Path:
    """The shared real datasets, next to the repository (skips where absent)."""
    candidates = [
        Path(os.environ["SHARED_DATASETS"]) if os.environ.get("SHARED_DATASETS") else None,
        REPO_ROOT.parent / "shared" / "datasets",
    ]
    for candidate in candidates:
        if candidate is not None and candidate.is_dir():
            return candidate
    pytest.skip("shared datasets not found (set SHARED_DATASETS to their folder)")
