"""Several real processes writing one incident file at once, and writers killed mid-stream."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import pytest

from warroom.device import load_device

NOTES_PER_WORKER = 250
WORKERS = 4

WORKER = r"""
import os, sys, time
from pathlib import Path

from warroom.session import Session

path, pass_file, go, label, count, mode = sys.argv[1:7]
count = int(count)  # 0: until killed
passphrase = Path(pass_file).read_text(encoding="utf-8").splitlines()[0]
session = Session.unlock(path, passphrase)
print("ready", flush=True)
deadline = time.monotonic() + 60
while not os.path.exists(go):
    if time.monotonic() > deadline:
        sys.exit("worker: no go signal")
    time.sleep(0.0005)
i = 0
while count == 0 or i < count:
    if mode == "batch":
        ids = session.add_notes([f"{label} batch {i} note {j}" for j in range(20)])
        print("\n".join(ids), flush=True)
    else:
        print(session.add_note(f"{label} note {i}"), flush=True)
    i += 1
session.close()
"""


@pytest.fixture
def worker_script(tmp_path: Path) -> Path:
    path = tmp_path / "worker.py"
    path.write_text(WORKER, encoding="utf-8")
    return path


@pytest.fixture
def outage(cli, tmp_path: Path) -> Path:
    """An incident with no checklist: its only timeline entry is the declaration."""
    path = tmp_path / "incident" / "inc.db"
    path.parent.mkdir()
    proc = cli(
        "init",
        path,
        "--kdf",
        "interactive",
        "--kind",
        "outage",
        "--codename",
        "amber",
        "--playbook",
        "none",
    )
    assert proc.returncode == 0, proc.stderr
    return path


@pytest.fixture
def reap():
    """Kill, at teardown, any worker a failed test left running."""
    procs: list[subprocess.Popen[str]] = []
    yield procs.append
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


def start_worker(
    cli,
    reap,
    script: Path,
    path: Path,
    go: Path,
    label: str,
    count: int,
    *,
    mode: str = "note",
    config_dir: Path | None = None,
) -> subprocess.Popen[str]:
    proc = cli.popen(
        [script, path, cli.passphrase_file, go, label, str(count), mode], config_dir=config_dir
    )
    reap(proc)
    return proc


def wait_ready(proc: subprocess.Popen[str]) -> None:
    line = proc.stdout.readline()
    if line != "ready\n":
        proc.kill()
        _, err = proc.communicate()
        pytest.fail(f"worker did not start: {line!r} {err}")


def timeline(cli, path: Path) -> list[dict]:
    proc = cli("timeline", path, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    return json.loads(proc.stdout)


def assert_verifies(cli, path: Path, events: int | None = None) -> None:
    proc = cli("verify", path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    if events is not None:
        assert proc.stdout.startswith(f"ok: {events} events"), proc.stdout


@pytest.mark.parametrize(
    "devices",
    [
        pytest.param((0, 1, 2, 3), id="own-device-each"),
        pytest.param((0, 0, 1, 2), id="two-share-a-device"),
    ],
)
def test_concurrent_writers(cli, reap, worker_script: Path, outage: Path, tmp_path: Path, devices):
    configs = [tmp_path / f"config-w{d}" for d in devices]
    keys = [load_device(c).public_key for c in configs]  # made here: the race is another test
    go = tmp_path / "go"
    workers = [
        start_worker(
            cli, reap, worker_script, outage, go, f"w{i}", NOTES_PER_WORKER, config_dir=config
        )
        for i, config in enumerate(configs)
    ]
    for proc in workers:
        wait_ready(proc)
    go.touch()

    printed: dict[str, list[str]] = {}
    for i, proc in enumerate(workers):
        out, err = proc.communicate(timeout=90)
        assert proc.returncode == 0, err
        assert err == ""
        printed[f"w{i}"] = out.split()
        assert len(printed[f"w{i}"]) == NOTES_PER_WORKER

    total = WORKERS * NOTES_PER_WORKER
    assert_verifies(cli, outage, events=1 + total)

    rows = timeline(cli, outage)
    notes = [row for row in rows if row["kind"] == "note"]
    assert len(notes) == total
    ids = [row["id"] for row in notes]
    assert len(set(ids)) == total
    assert set(ids) == {i for got in printed.values() for i in got}
    texts = {row["text"] for row in notes}
    assert texts == {f"w{w} note {i}" for w in range(WORKERS) for i in range(NOTES_PER_WORKER)}
    # Each note is signed by the device of the process that wrote it.
    by_text = {row["text"]: row["device"] for row in notes}
    for w, key in enumerate(keys):
        assert {by_text[f"w{w} note {i}"] for i in range(NOTES_PER_WORKER)} == {key.hex()}

    proc = cli("info", outage, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    per_device = {d["id"]: d["events"] for d in json.loads(proc.stdout)["devices"]}
    for key in set(keys):
        assert per_device[key.hex()[:16]] == NOTES_PER_WORKER * keys.count(key)


@pytest.mark.parametrize("mode", ["note", "batch"])
def test_sigkill_mid_stream_loses_nothing_acknowledged(
    cli, reap, worker_script: Path, outage: Path, tmp_path: Path, mode: str
):
    acknowledged: set[str] = set()
    for round_, kill_after in enumerate((5, 50, 173)):
        go = tmp_path / f"go{round_}"
        go.touch()
        proc = start_worker(cli, reap, worker_script, outage, go, f"r{round_}", 0, mode=mode)
        wait_ready(proc)
        got = []
        while len(got) < kill_after:
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
            got.append(line.strip())
        proc.send_signal(signal.SIGKILL)
        rest, _ = proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        # Whatever reached the pipe was printed after its commit returned.
        acknowledged |= set(got) | set(rest.split())

        assert_verifies(cli, outage)
        notes = {row["id"]: row for row in timeline(cli, outage) if row["kind"] == "note"}
        missing = acknowledged - set(notes)
        assert not missing, f"round {round_}: {len(missing)} acknowledged notes lost"
        if mode == "batch":
            # A batch is one transaction: a kill leaves all of it or none.
            batched = [row for row in notes.values() if " batch " in row["text"]]
            assert len(batched) % 20 == 0, len(batched)
        # The file still takes writes after the crash.
        after = cli("note", outage, f"after kill {round_}")
        assert after.returncode == 0, after.stderr
        acknowledged.add(after.stdout.strip())


KEY_RACE = r"""
import sys
from pathlib import Path

from warroom.device import load_device

base, rounds = Path(sys.argv[1]), int(sys.argv[2])
print("ready", flush=True)
for r in range(rounds):
    go = base / f"go{r}"
    while not go.exists():
        pass
    try:
        out = load_device(base / f"config{r}").public_key.hex()
    except Exception as exc:
        out = f"ERR {type(exc).__name__}: {exc}"
    print(out, flush=True)
"""


def test_first_use_by_simultaneous_processes_makes_one_device(cli, reap, tmp_path: Path):
    script = tmp_path / "key_race.py"
    script.write_text(KEY_RACE, encoding="utf-8")
    base = tmp_path / "race"
    base.mkdir()
    rounds = 150
    procs = [cli.popen([script, base, str(rounds)]) for _ in range(4)]
    for proc in procs:
        reap(proc)
        wait_ready(proc)
    failures = []
    for r in range(rounds):
        (base / f"go{r}").touch()
        keys = [proc.stdout.readline().strip() for proc in procs]
        errors = [k for k in keys if not k or k.startswith("ERR")]
        if errors or len(set(keys)) != 1:
            failures.append((r, keys))
    for proc in procs:
        proc.communicate(timeout=30)
    assert not failures, f"{len(failures)} of {rounds} rounds failed, e.g. {failures[0]}"
