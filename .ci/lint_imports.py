"""Check the import contracts in pyproject.toml on the package as the wheel lays it out.

import-linter reads the files under a package's folder. In the checkout, and in
an editable install, `screens/` becomes `warroom.screens` (and `data/`
`warroom.data`) only through setup.py's mapping, which import-linter cannot
see: run on the checkout, it would check the core and never the UI. So the
Python files of each folder in setup.py's ROOTS are copied to a temporary folder
where they sit as in the wheel (warroom/, warroom/screens/, warroom/data/), and
`lint-imports` (the one next to this Python) runs there in a fresh process.

Usage: .venv/bin/python .ci/lint_imports.py [lint-imports options]
Exit status: lint-imports' (0 when every contract is kept).
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def roots() -> dict[str, str]:
    """setup.py's ROOTS (package name -> folder), read without running setup.py."""
    tree = ast.parse((ROOT / "setup.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and [t.id for t in node.targets] == ["ROOTS"]:
            return ast.literal_eval(node.value)
    raise SystemExit("lint_imports: no ROOTS in setup.py")


def lay_out(target: Path) -> int:
    """Copy every package's .py files into `target` as the wheel has them; returns
    how many files were copied."""
    copied = 0
    for package, folder in roots().items():
        for source in sorted((ROOT / folder).rglob("*.py")):
            if "__pycache__" in source.parts:
                continue
            dest = target.joinpath(*package.split("."), source.relative_to(ROOT / folder))
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, dest)
            copied += 1
    shutil.copyfile(ROOT / "pyproject.toml", target / "pyproject.toml")
    return copied


def main(argv: list[str]) -> int:
    lint_imports = Path(sys.executable).parent / "lint-imports"
    with tempfile.TemporaryDirectory(prefix="warroom-layers-") as scratch:
        files = lay_out(Path(scratch))
        print(f"lint_imports: {files} Python files laid out as in the wheel", flush=True)
        command = [str(lint_imports), "--no-cache", "--no-logo", *argv]
        return subprocess.run(command, cwd=scratch, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
