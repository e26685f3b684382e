"""The layers of the house: the import contracts in pyproject.toml hold, and would
catch a breach (import-linter, through `.ci/lint_imports.py`, which lays the tree
out as the wheel does so that `warroom.screens` is seen); and, at run time, the
rules and the crypto load no session, ledger or store (the static contracts cannot
see a deferred import; a fresh interpreter can)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUNNER = ROOT / ".ci" / "lint_imports.py"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
TIMEOUT = 120


def runner() -> ModuleType:
    spec = importlib.util.spec_from_file_location("lint_imports", RUNNER)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_import_contracts_are_kept() -> None:
    proc = subprocess.run(
        [sys.executable, str(RUNNER)], capture_output=True, text=True, timeout=TIMEOUT
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout, proc.stdout


def test_the_layout_is_the_wheels(tmp_path: Path) -> None:
    copied = runner().lay_out(tmp_path)
    assert (tmp_path / "warroom" / "screens" / "app.py").is_file()
    assert (tmp_path / "warroom" / "data" / "__init__.py").is_file()
    assert (tmp_path / "warroom" / "rules" / "policy.py").is_file()
    assert not (tmp_path / "screens").exists()
    sources = [
        p
        for folder in ("warroom", "screens", "data")
        for p in (ROOT / folder).rglob("*.py")
        if "__pycache__" not in p.parts
    ]
    assert copied == len(sources)


BREACHES = {
    "the core imports the UI": (
        "warroom/sanitize.py",
        "from warroom.screens import safe",
        "warroom.sanitize -> warroom.screens.safe",
    ),
    "the core imports Textual": (
        "warroom/timefmt.py",
        "import textual",
        "warroom.timefmt -> textual",
    ),
    "a rule imports the session": (
        "warroom/rules/model.py",
        "from warroom import session",
        "warroom.rules is not allowed to import warroom.session",
    ),
    "the ledger imports an export": (
        "warroom/ledger.py",
        "from warroom.export import drafts",
        "warroom.ledger is not allowed to import warroom.export",
    ),
    "a cycle in the rules": (
        "warroom/rules/addresses.py",
        "from warroom.rules import policy",
        "No cycles are allowed in warroom.rules",
    ),
    "the indicators import an export": (
        "warroom/indicators.py",
        "from warroom.export import tabular as _",
        "No cycles are allowed in warroom.",
    ),
}


@pytest.mark.parametrize("breach", sorted(BREACHES))
def test_a_breach_breaks_a_contract(breach: str, tmp_path: Path) -> None:
    file, line, said = BREACHES[breach]
    runner().lay_out(tmp_path)
    path = tmp_path / file
    if not path.exists():
        pytest.skip(f"{file} is not in this tree")
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
    proc = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert proc.returncode != 0, proc.stdout
    assert said in proc.stdout, proc.stdout


def test_the_rules_and_the_crypto_load_no_session_at_run_time() -> None:
    code = (
        "import sys\n"
        "import warroom.rules, warroom.rules.lint, warroom.rules.policy, warroom.crypto\n"
        "from warroom.rules.policy import default_policy\n"
        "default_policy()\n"
        "bad = ('warroom.session', 'warroom.ledger', 'warroom.store', 'warroom.state',\n"
        "       'warroom.export', 'sqlite3', 'sqlite_utils', 'gnupg', 'textual')\n"
        "print(sorted(m for m in sys.modules if m.startswith(bad)))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=TIMEOUT
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "[]\n"
