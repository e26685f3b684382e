"""The house rules: the core never imports the UI; `screens` has no bare name."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import warroom


def core_modules() -> list[str]:
    return [
        m.name
        for m in pkgutil.walk_packages(warroom.__path__, "warroom.")
        if not m.name.startswith(("warroom.screens", "warroom.__main__"))
    ]


def test_core_modules_are_found() -> None:
    names = core_modules()
    assert {"warroom.session", "warroom.store", "warroom.crypto", "warroom.cli"} <= set(names)


def test_core_never_imports_textual() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {core_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'textual'"
        " or m.startswith('warroom.screens'))\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_screens_is_not_importable_by_bare_name() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import screens"], capture_output=True, text=True, cwd="/"
    )
    assert result.returncode != 0
    assert "ModuleNotFoundError" in result.stderr


def test_screens_is_installed_as_warroom_screens() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import warroom.screens, warroom.data"],
        capture_output=True,
        text=True,
        cwd="/",
    )
    assert result.returncode == 0, result.stderr


def test_screens_has_no_bare_name_in_the_test_process() -> None:
    # `python -m pytest` from the repo root would put it on sys.path; run `pytest`.
    import importlib.util

    assert importlib.util.find_spec("screens") is None
