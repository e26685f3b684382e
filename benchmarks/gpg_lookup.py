"""Key lookups for big drafts: `warroom lint` time and gpg processes by recipient count.

    python benchmarks/gpg_lookup.py [--sizes 10,1000,10000] [--runs 3]

A throwaway GNUPGHOME holds one key (for the first recipient); a JSON email draft has
N distinct recipients at an external domain, so every one of them needs a key lookup.
`python -m warroom lint --gnupghome H draft.json` runs in a subprocess with a `gpg`
shim first on PATH that counts the gpg processes it starts (and execs the real gpg).
Reported: the median wall time of --runs, and gpg processes per run.

Before issue #10 warroom ran `gpg --list-keys *ADDRESS` once per address, every
address in gpg's argv: ~40 s for 10,000 recipients on the issue's machine. Since, gpg
lists the whole keyring once per command and addresses are matched in-process.
Figures on a shared 2-core machine (the second gpg process is python-gnupg's version
probe, `--list-config`):

    recipients   before: lint   gpg processes    after: lint   gpg processes
            10        0.14 s             11           0.18 s               2
         1,000        3.81 s          1,001           0.20 s               2
        10,000       32.43 s         10,001           0.40 s               2
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SHIM = """#!/bin/sh
printf x >> "{count}"
exec "{gpg}" "$@"
"""


def make_home(base: Path) -> Path:
    home = Path(tempfile.mkdtemp(prefix="wb", dir="/tmp"))  # short: gpg-agent's socket path
    home.chmod(0o700)
    subprocess.run(
        ["gpg", "--homedir", str(home), "--batch", "--pinentry-mode", "loopback",
         "--passphrase", "", "--quick-gen-key", "Rcpt 0 <r0@outside.example>",
         "future-default", "default", "1y"],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return home


def make_draft(base: Path, n: int) -> Path:
    draft = {
        "channel": "email",
        "from": "Ivy <ic@example.com>",
        "to": [f"r{i}@outside.example" for i in range(n)],
        "subject": "Attorney Work Project",
        "body": "The bridge is in room 4.",
    }
    path = base / f"draft-{n}.json"
    path.write_text(json.dumps(draft), encoding="utf-8")
    return path


def run_lint(
    home: Path, draft: Path, shim_dir: Path, count: Path, env: dict[str, str]
) -> tuple[float, int]:
    count.write_text("")
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "warroom", "lint", "--gnupghome", str(home), "--json", str(draft)],
        env={**env, "PATH": f"{shim_dir}{os.pathsep}{env.get('PATH', '')}"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    elapsed = time.monotonic() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"lint failed ({proc.returncode}): {proc.stderr.strip()}")
    return elapsed, len(count.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10,1000,10000")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    real_gpg = shutil.which("gpg")
    if real_gpg is None:
        raise SystemExit("gpg is not installed")
    with tempfile.TemporaryDirectory(prefix="warroom-bench-") as tmp:
        base = Path(tmp)
        home = make_home(base)
        shim_dir = base / "shim"
        shim_dir.mkdir()
        count = base / "count"
        shim = shim_dir / "gpg"
        shim.write_text(SHIM.format(count=count, gpg=real_gpg))
        shim.chmod(0o755)
        env = {**os.environ, "WARROOM_CONFIG_DIR": str(base / "config")}
        try:
            print(f"{'recipients':>10}  {'lint (median)':>13}  {'gpg processes':>13}")
            for n in (int(s) for s in args.sizes.split(",")):
                draft = make_draft(base, n)
                run_lint(home, draft, shim_dir, count, env)  # warm: bytecode, trustdb
                runs = [run_lint(home, draft, shim_dir, count, env) for _ in range(args.runs)]
                median = statistics.median(t for t, _ in runs)
                print(f"{n:>10}  {median:>12.2f}s  {runs[0][1]:>13}", flush=True)
        finally:
            subprocess.run(
                ["gpgconf", "--homedir", str(home), "--kill", "all"], capture_output=True
            )
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
