"""Progress on stderr for long work: quiet for a second, then a line a second at most.
The bundle commands once handed their progress to a context manager by mistake, and
every call did nothing: the commands are driven here too, with the second made zero."""

from __future__ import annotations

from pathlib import Path

import pytest

from warroom.commands import bundle as bundle_command
from warroom.commands import progress
from warroom.commands.progress import RowsProgress, sync_progress
from warroom.session import Session

PASSPHRASE = "progress: correct horse battery"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_quiet_for_a_second_then_a_line_a_second_at_most(capsys) -> None:
    clock = Clock()
    said = RowsProgress("sealed", 100_000, clock=clock)
    for done, at in ((1000, 100.5), (2000, 100.99), (3000, 101.0), (4000, 101.5), (5000, 102.0)):
        clock.now = at
        said(done)
    assert capsys.readouterr().err.splitlines() == [
        "warroom: sealed 3,000 of 100,000 rows",
        "warroom: sealed 5,000 of 100,000 rows",
    ]


def test_a_sync_says_pushed_and_pulled_apart(capsys, monkeypatch) -> None:
    monkeypatch.setattr(progress, "QUIET_S", 0.0)
    monkeypatch.setattr(progress, "EVERY_S", 0.0)
    said = sync_progress()
    said("push", 1000)
    said("pull", 2000)
    said("forks", 1)  # anything else the exchange may report is not a count of rows
    assert capsys.readouterr().err.splitlines() == [
        "warroom: pushed 1,000 rows",
        "warroom: pulled 2,000 rows",
    ]


@pytest.fixture
def incident(tmp_path: Path, isolated_config: Path) -> tuple[Path, Path]:
    path = tmp_path / "inc.db"
    with Session.create(path, PASSPHRASE, kdf="interactive") as session:
        for i in range(30):
            session.add_note(f"note {i}")
    pass_file = tmp_path / "pass"
    pass_file.write_text(PASSPHRASE + "\n")
    pass_file.chmod(0o600)
    return path, pass_file


def test_bundle_export_and_import_say_their_progress(
    incident: tuple[Path, Path], tmp_path: Path, capsys, monkeypatch
) -> None:
    monkeypatch.setattr(progress, "QUIET_S", 0.0)
    monkeypatch.setattr(progress, "EVERY_S", 0.0)
    path, pass_file = incident
    out = tmp_path / "all.wrb"
    bundle_command.export(path, out, None, None, pass_file)
    err = capsys.readouterr().err
    assert "warroom: sealed " in err and " of " in err, err
    bundle_command.import_bundle(path, out, pass_file)
    assert "warroom: opened " in capsys.readouterr().err
