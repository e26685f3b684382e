"""One process, the incident open twice (the console and its sync or paging worker):
closing a descriptor of a file drops every POSIX lock the process holds on it,
SQLite's included. Then another process closing its own connection thought itself
the last one and deleted the -wal and -shm under the console: the console's next
notes went to a deleted file (lost), and its next sync failed with
SQLITE_IOERR_SHORT_READ. Found in a real terminal (tests/terminal/test_sync_keys.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from warroom.evidence import EvidenceError, sha256_file
from warroom.session import Session
from warroom.store import Store, held_here


def timeline(cli, incident: Path) -> list[str]:  # noqa: ANN001
    proc = cli("timeline", incident, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    return [e["text"] for e in json.loads(proc.stdout)]


@pytest.mark.parametrize("second", ["store", "sibling"])
def test_a_second_open_here_never_lets_another_process_delete_the_wal(
    cli, incident: Path, passphrase: str, second: str
) -> None:
    wal, shm = Path(f"{incident}-wal"), Path(f"{incident}-shm")
    with Session.unlock(incident, passphrase) as console:
        console.add_note("before the second open")
        if second == "store":  # the sync round's own connection
            Store.open(incident).close()
        else:  # the paging worker's
            with console.sibling() as worker:
                worker.add_note("from the worker")
        assert timeline(cli, incident).count("before the second open") == 1
        assert wal.exists() and shm.exists()  # another process's close left them alone

        console.add_note("written after another process closed")
        Store.open(incident).close()  # failed with SQLITE_IOERR_SHORT_READ
        texts = timeline(cli, incident)
        assert texts.count("written after another process closed") == 1, texts
    texts = timeline(cli, incident)
    assert texts.count("written after another process closed") == 1
    assert texts.count("before the second open") == 1
    assert not held_here(incident)


def test_the_open_incident_file_cannot_be_hashed_as_evidence_here(
    incident: Path, passphrase: str, tmp_path: Path
) -> None:
    with Session.unlock(incident, passphrase) as console:
        with pytest.raises(EvidenceError, match="an incident file open here; add a copy"):
            sha256_file(incident)
        assert console.store.count() > 0  # still readable: nothing dropped
    assert len(sha256_file(incident)) == 64  # closed: an incident file like any other
