"""The wheel holds the whole program (issue 9, item 7: a package list kept by
hand left warroom.commands, .rules, .export and .screens.widgets out of it).

A wheel is built from a copy of this checkout; it must carry every module and
data file under warroom/, screens/ (as warroom.screens) and data/ (as
warroom.data), and run from a fresh virtualenv. That venv takes the
dependencies from this one (a .pth line), so the test needs no index beyond
what pip's build isolation fetches; `.ci/run` installs the wheel with its
dependencies for real.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = {"warroom": "warroom", "screens": "warroom/screens", "data": "warroom/data"}
"""Each folder of the checkout, and where it lands in the wheel."""
NOT_SOURCES = ("__pycache__", "*.pyc", "*.egg-info", "build", "dist", ".*", "*.db*")
"""Left out of the copy: caches, build output, hidden folders (.git, .venv), incidents."""
BUILD_TIMEOUT = 180
RUN_TIMEOUT = 60
IMPORT_ALL = (
    "import importlib, pkgutil, sys, warroom\n"
    "names = [m.name for m in pkgutil.walk_packages(warroom.__path__, 'warroom.')\n"
    "         if m.name != 'warroom.__main__']\n"
    "files = [importlib.import_module(n).__file__ for n in names]\n"
    "outside = [f for f in files if not f.startswith(sys.argv[1])]\n"
    "print(len(names), outside)\n"
)
"""Prints how many modules there are under warroom, and those not from sys.argv[1]."""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the copy of the checkout, the wheel built from it): building in place would
    leave build/ and *.egg-info in the checkout others are working in."""
    base = tmp_path_factory.mktemp("wheel")
    tree = base / "src"
    shutil.copytree(
        ROOT,
        tree,
        ignore=shutil.ignore_patterns(*NOT_SOURCES, "tests", "benchmarks"),
    )
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet"]
        + ["--wheel-dir", str(base / "dist"), str(tree)],
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
    )
    assert proc.returncode == 0, proc.stderr
    [wheel] = (base / "dist").glob("warroom-*.whl")
    return tree, wheel


def source_files(tree: Path) -> set[str]:
    """Every file of the program in the (copied, so clean) source tree, named as in
    the wheel."""
    files = set()
    for folder, target in SOURCES.items():
        for path in (tree / folder).rglob("*"):
            if path.is_file():
                files.add(f"{target}/{path.relative_to(tree / folder).as_posix()}")
    return files


def test_the_wheel_holds_every_module_and_data_file(built: tuple[Path, Path]) -> None:
    tree, wheel = built
    with zipfile.ZipFile(wheel) as archive:
        program = {n for n in archive.namelist() if not n.startswith("warroom-0.1.0.dist-info/")}
    expected = source_files(tree)
    assert {"warroom/commands/common.py", "warroom/screens/widgets/timeline.py"} <= expected
    assert {"warroom/screens/warroom.tcss", "warroom/data/playbooks/security.toml"} <= expected
    assert program == expected


def test_the_wheel_runs_from_a_fresh_venv(built: tuple[Path, Path], tmp_path: Path) -> None:
    tree, wheel = built
    venv = tmp_path / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)],
        check=True,
        timeout=RUN_TIMEOUT,
    )
    python, warroom = str(venv / "bin" / "python"), str(venv / "bin" / "warroom")
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index"]
        + ["--quiet", str(wheel)],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )
    assert install.returncode == 0, install.stderr
    [site_packages] = (venv / "lib").glob("python3.*/site-packages")
    # The dependencies, from this venv, after the wheel on sys.path; the .pth files
    # there (the editable install of the checkout) are not run from this one.
    (site_packages / "_test_deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    work = tmp_path / "work"
    work.mkdir()
    (work / "pass").write_text("wheel: correct horse battery staple\n")
    (work / "pass").chmod(0o600)  # group- or world-readable draws a warning on stderr

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            args,
            capture_output=True,
            text=True,
            env=env,
            cwd=work,
            stdin=subprocess.DEVNULL,
            timeout=RUN_TIMEOUT,
        )

    version = run(warroom, "--version")
    assert (version.returncode, version.stdout) == (0, "warroom, version 0.1.0\n")
    # Every module imports, from the wheel: none missing, none from the checkout.
    imported = run(python, "-c", IMPORT_ALL, f"{site_packages}/")
    assert imported.returncode == 0, imported.stderr
    modules = [name for name in source_files(tree) if name.endswith(".py")]
    assert imported.stdout == f"{len(modules) - 2} []\n"  # all but warroom/__init__, __main__
    init = run(warroom, "init", "inc.db", "--kdf", "interactive", "--passphrase-file", "pass")
    assert (init.returncode, init.stderr) == (0, "")
    assert init.stdout.endswith(" (security, SEV2) in inc.db: 14 checklist steps.\n")
    note = run(warroom, "note", "inc.db", "from the wheel", "--passphrase-file", "pass")
    assert note.returncode == 0, note.stderr
    verify = run(warroom, "verify", "inc.db", "--passphrase-file", "pass")
    assert (verify.returncode, verify.stdout) == (0, "ok: 16 events from 1 devices verified\n")
