"""scripts/saleor_env.py: Saleor's lock wins, and an install that moves a locked pin fails."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

import saleor_env  # noqa: E402


def test_saleors_lock_wins_and_ours_fills_in_the_rest():
    lock = ["# exported", "django==5.2.17 ; platform_python_implementation != 'PyPy'", "Click==8.2.1"]
    ours = ["click==8.5.1  # newer", "numpy==2.5.5", "# comment", "torch==2.14.1"]
    assert saleor_env.merge_constraints(lock, ours) == [
        "django==5.2.17 ; platform_python_implementation != 'PyPy'",
        "Click==8.2.1",
        "numpy==2.5.5",
        "torch==2.14.1",
    ]


def test_an_install_that_moved_a_locked_version_is_refused():
    lock = "idna==3.15 ; x\nclick==8.2.1\n"
    saleor_env.verify_lock("idna==3.15\nclick==8.2.1\ntorch==2.14.1\n", lock)
    with pytest.raises(saleor_env.EnvironmentError_, match=r"idna 3.20 \(Saleor locks 3.15\)"):
        saleor_env.verify_lock("idna==3.20\nclick==8.2.1\n", lock)


def test_a_folder_without_a_saleor_tree_is_refused(tmp_path):
    with pytest.raises(saleor_env.EnvironmentError_, match="not a Saleor source tree"):
        saleor_env.unpack(tmp_path, tmp_path / "env")
