"""constraints.txt agrees with Saleor's lock, so both suites run the same libraries."""

from __future__ import annotations

import os
import re
import tarfile
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def saleor_lock() -> dict:
    source = os.environ.get("SALEOR_SOURCE") or next(
        iter(sorted((REPO.parent / "shared" / "saleor").glob("saleor-3*.tar.gz"))), None
    )
    if not source:
        pytest.skip("no Saleor source to compare with (set SALEOR_SOURCE)")
    source = Path(source)
    if source.is_dir():
        return tomllib.loads((source / "uv.lock").read_text())
    with tarfile.open(source) as archive:
        member = next(m for m in archive.getmembers() if m.name.endswith("/uv.lock") and m.name.count("/") == 1)
        return tomllib.loads(archive.extractfile(member).read().decode())


def our_pins() -> dict[str, str]:
    pins = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)", line.strip())
        if match:
            pins[_canonical(match.group(1))] = match.group(2)
    return pins


def test_every_package_saleor_locks_is_pinned_at_saleors_version():
    locked = {_canonical(p["name"]): p["version"] for p in saleor_lock()["package"] if "version" in p}
    ours = our_pins()
    disagreements = {name: (version, locked[name]) for name, version in ours.items()
                     if name in locked and locked[name] != version}
    assert disagreements == {}
    for core in ("django", "graphene", "graphql-core", "celery", "kombu", "psycopg"):
        assert core in locked
