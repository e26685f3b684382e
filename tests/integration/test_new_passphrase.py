"""A passphrase being chosen (a new incident, passwd, an invite's) is 10 characters at
least: the file and the invite travel, and a short passphrase falls to an offline
guess. Refused in one line, exit 2, nothing made or changed; 10 is enough."""

from __future__ import annotations

from pathlib import Path

import pytest
from privatefile import private_file

SHORT = "nine char"  # 9
JUST_ENOUGH = "ten chars!"  # 10


def one_line(proc) -> str:  # noqa: ANN001
    lines = proc.stderr.splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert lines[0].startswith("warroom: the new ") and "at least 10" in lines[0], lines
    return lines[0]


@pytest.mark.parametrize(("text", "made"), [(SHORT, False), (JUST_ENOUGH, True)])
def test_init_takes_a_passphrase_of_ten_characters_and_no_shorter(
    cli, tmp_path: Path, text: str, made: bool
) -> None:
    path = tmp_path / "inc.db"
    pass_file = private_file(tmp_path / "pass", text)
    proc = cli("init", path, "--kdf", "interactive", passphrase_file=pass_file)
    if made:
        assert proc.returncode == 0, proc.stderr
        assert path.exists()
    else:
        assert "is 9 characters" in one_line(proc)
        assert not path.exists() and not list(tmp_path.glob("inc.db*"))


def test_passwd_refuses_a_short_new_passphrase_and_keeps_the_old(
    cli, incident: Path, tmp_path: Path
) -> None:
    before = incident.read_bytes()
    proc = cli("passwd", incident, "--new-passphrase-file", private_file(tmp_path / "n", SHORT))
    one_line(proc)
    assert cli("info", incident).returncode == 0  # the old passphrase still opens it
    assert incident.read_bytes() == before


def test_an_invite_refuses_a_short_invite_passphrase(cli, incident: Path, tmp_path: Path) -> None:
    out = tmp_path / "scribe.invite"
    short = private_file(tmp_path / "invite-pass", SHORT)
    proc = cli("invite", incident, "--out", out, "--invite-passphrase-file", short)
    assert "invite passphrase" in one_line(proc)
    assert not out.exists()
