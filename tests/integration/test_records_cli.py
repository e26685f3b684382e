"""The registers through the real command line: evidence, indicators, follow-ups,
the incident's own fields, attack metrics and playbooks (issue #5's acceptance).

Each area shares one incident per module (made with the interactive KDF); tests
that need a pristine incident make their own.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from warroom.device import load_device
from warroom.session import Session

DAY_MS = 86_400_000


# -- helpers -------------------------------------------------------------------


def ok(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 0, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.stdout


def failed(proc: subprocess.CompletedProcess[str], needle: str) -> str:
    """Exit 2, no traceback, and `needle` in what stderr says."""
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert needle in proc.stderr, proc.stderr
    return proc.stderr


def js(proc: subprocess.CompletedProcess[str]) -> Any:
    return json.loads(ok(proc))


def event_count(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT count(*) FROM events").fetchone()[0]
    finally:
        conn.close()


def iso_ms(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def unlocked(cli, path: Path, passphrase: str) -> Session:
    """The incident opened in this process, as the Cli's device."""
    return Session.unlock(path, passphrase, device=load_device(cli.config_dir))


def new_incident(cli, directory: Path, *args: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "inc.db"
    ok(cli("init", path, "--kdf", "interactive", "--codename", "amber-heron", *args))
    return path


@pytest.fixture(scope="module")
def mcli(cli_factory, tmp_path_factory: pytest.TempPathFactory):
    """One Cli (config dir, passphrase file) for the module's shared incidents."""
    return cli_factory(tmp_path_factory.mktemp("records"))


# -- evidence ------------------------------------------------------------------

# Runs the real command line (warroom.cli.main, as `python -m warroom` does) with
# tracemalloc on, and reports the peak of Python's heap on stderr's last line.
TRACED_MAIN = """
import sys, tracemalloc
tracemalloc.start()
from warroom.cli import main
try:
    main(sys.argv[1:])
    code = 0
except SystemExit as exit:
    code = exit.code
sys.stderr.write(f"\\nPEAK {tracemalloc.get_traced_memory()[1]}\\n")
sys.exit(code)
"""


def traced(cli, *args: str | os.PathLike[str]) -> tuple[str, int]:
    """stdout and the peak traced memory (bytes) of one CLI run."""
    proc = cli.popen(["-c", TRACED_MAIN, *map(str, args)])
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, (out, err)
    last = err.strip().splitlines()[-1]
    assert last.startswith("PEAK "), err
    return out, int(last.split()[1])


@pytest.fixture(scope="module")
def ev_incident(mcli, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return new_incident(mcli, tmp_path_factory.mktemp("evidence"))


def evidence_items(cli, path: Path) -> dict[str, dict[str, Any]]:
    return {row["id"]: row for row in js(cli("evidence", "list", path, "--format", "json"))}


def test_evidence_hash_of_a_50_mb_file_is_sha256sum_and_streamed(
    mcli, ev_incident: Path, tmp_path: Path
) -> None:
    sha256sum = shutil.which("sha256sum")
    if sha256sum is None:
        pytest.skip("no sha256sum binary")
    image = tmp_path / "ledger-disk-7f3a.img"
    with image.open("wb") as fh:
        for _ in range(50):
            fh.write(os.urandom(1 << 20))
    expected = subprocess.run(
        [sha256sum, image], capture_output=True, text=True, check=True
    ).stdout.split()[0]

    # Peak RSS cannot tell: unlocking runs Argon2id with 64 MiB, which hides a
    # 50 MB read. Python's own heap can: the same command with and without the file.
    out, base_peak = traced(
        mcli, "evidence", "add", ev_incident, "--description", "baseline",
        "--kind", "other", "--location", "L",
    )  # fmt: skip
    out, file_peak = traced(
        mcli, "evidence", "add", ev_incident, "--file", image,
        "--kind", "disk-image", "--location", "vault 7, shelf 2",
    )  # fmt: skip
    evidence_id, printed = out.split()
    assert printed == expected
    assert file_peak - base_peak < 8 << 20, (base_peak, file_peak)

    item = evidence_items(mcli, ev_incident)[evidence_id]
    assert item["sha256"] == expected
    assert item["size"] == 50 << 20
    assert item["item"] == image.name  # --description defaults to the file's name
    assert item["kind"] == "disk-image"
    assert item["location"] == "vault 7, shelf 2"
    assert item["source"] == str(image.resolve())
    assert item["read_only"] is True
    image.unlink()  # pytest keeps the last runs' temporary dirs: not 50 MB of them


def test_evidence_description_only_defaults_and_custody(mcli, ev_incident: Path) -> None:
    out = ok(
        mcli(
            "evidence", "add", ev_incident, "--description", "Memory dump of db-replica-2",
            "--kind", "memory-dump", "--location", "vault shelf 2",
        )
    )  # fmt: skip
    evidence_id, digest = out.split()
    assert digest == "-"
    ok(mcli("evidence", "note", ev_incident, evidence_id, "Handed to Dana for analysis"))
    ok(
        mcli(
            "evidence", "note", ev_incident, evidence_id, "Moved to the safe",
            "--location", "safe 3",
        )
    )  # fmt: skip

    item = evidence_items(mcli, ev_incident)[evidence_id]
    assert item["sha256"] == "" and item["size"] is None and item["source"] == ""
    assert item["item"] == "Memory dump of db-replica-2"
    collected = iso_ms(item["collected_at"])
    assert iso_ms(item["retain_until"]) == collected + 90 * DAY_MS
    assert [n["text"] for n in item["custody"]] == [
        "Handed to Dana for analysis",
        "Moved to the safe",
    ]
    assert item["location"] == "safe 3"
    assert all(n["by"] and n["at"] for n in item["custody"])

    text = ok(mcli("evidence", ev_incident))  # `evidence PATH` lists
    block = text[text.index(evidence_id) :]
    assert "Handed to Dana for analysis" in block and "Moved to the safe" in block
    assert f"retain until {item['retain_until'][:10]}" in block
    # The custody notes are timeline entries too.
    timeline = js(mcli("timeline", ev_incident, "--format", "json"))
    assert any(
        r["system"] and evidence_id in r["text"] and "Moved to the safe" in r["text"]
        for r in timeline
    )


def test_evidence_retention_can_be_set(mcli, ev_incident: Path) -> None:
    out = ok(
        mcli(
            "evidence", "add", ev_incident, "--description", "Proxy logs",
            "--kind", "log-export", "--location", "s3", "--retain-days", "365",
        )
    )  # fmt: skip
    item = evidence_items(mcli, ev_incident)[out.split()[0]]
    assert iso_ms(item["retain_until"]) - iso_ms(item["collected_at"]) == 365 * DAY_MS


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (("--file", "missing.img"), "missing.img: no such file"),
        (("--file", "."), ".: is a directory, not a file"),
        ((), "give --file F (to hash it) or --description T"),
        (("--description", "x", "--sha256", "abc"), "sha256 must be 64 hexadecimal digits"),
    ],
    ids=["missing-file", "directory", "neither", "malformed-sha256"],
)
def test_evidence_add_refuses_bad_input(
    mcli, ev_incident: Path, extra: tuple[str, ...], needle: str
) -> None:
    before = event_count(ev_incident)
    stderr = failed(
        mcli("evidence", "add", ev_incident, *extra, "--kind", "other", "--location", "L"),
        needle,
    )
    assert stderr.startswith("warroom: ") and stderr.count("\n") == 1, stderr
    assert event_count(ev_incident) == before


def test_evidence_file_names_reach_the_terminal_without_controls(
    mcli, ev_incident: Path, tmp_path: Path
) -> None:
    name = "disk\x1b]0;pwned\x07\u202egmi.exe"
    image = tmp_path / name
    image.write_bytes(b"evidence\n")
    proc = mcli(
        "evidence", "add", ev_incident, "--file", image, "--sha256", "1" * 64,
        "--kind", "other", "--location", "L",
    )  # fmt: skip
    failed(proc, "SHA-256 is")
    proc = mcli(
        "evidence", "add", ev_incident, "--file", image, "--kind", "other", "--location", "L"
    )
    ok(proc)
    proc_missing = mcli(
        "evidence", "add", ev_incident, "--file", tmp_path / f"gone{name}",
        "--kind", "other", "--location", "L",
    )  # fmt: skip
    failed(proc_missing, "no such file")
    listed = ok(mcli("evidence", "list", ev_incident))
    assert "disk]0;pwnedgmi.exe" in listed
    for text in (proc.stdout, proc.stderr, proc_missing.stderr, listed):
        assert not any(c in text for c in ("\x1b", "\x07", "\u202e")), repr(text)


def test_evidence_sha256_mismatch_is_refused(mcli, ev_incident: Path, tmp_path: Path) -> None:
    image = tmp_path / "small.img"
    image.write_bytes(b"not what you expected\n")
    actual = hashlib.sha256(image.read_bytes()).hexdigest()
    before = event_count(ev_incident)
    failed(
        mcli(
            "evidence", "add", ev_incident, "--file", image, "--sha256", "0" * 64,
            "--kind", "other", "--location", "L",
        ),
        f"SHA-256 is {actual}, not the {'0' * 64} given",
    )  # fmt: skip
    assert event_count(ev_incident) == before
    # The right one, in capitals, is taken.
    out = ok(
        mcli(
            "evidence", "add", ev_incident, "--file", image, "--sha256", actual.upper(),
            "--kind", "other", "--location", "L",
        )
    )  # fmt: skip
    assert out.split()[1] == actual


def test_evidence_is_encrypted_at_rest(mcli, ev_incident: Path, tmp_path: Path, settle) -> None:
    cli, incident = mcli, ev_incident
    secret_dir = tmp_path / "case-7f3a-quarry"
    secret_dir.mkdir()
    image = secret_dir / "payroll-server-disk.img"
    image.write_bytes(b"\x00" * 4096)
    out = ok(
        cli(
            "evidence", "add", incident, "--file", image,
            "--description", "Disk of the payroll server PAYROLL-SRV-09",
            "--kind", "disk-image", "--location", "Vault Ophelia-17",
        )
    )  # fmt: skip
    ok(cli("evidence", "note", incident, out.split()[0], "Examined by Quentin Marlowe"))
    settle(incident)
    raw = incident.read_bytes()
    for secret in (
        "case-7f3a-quarry",
        "payroll-server-disk",
        "PAYROLL-SRV-09",
        "Ophelia-17",
        "Quentin Marlowe",
    ):
        assert secret.encode() not in raw, secret
        assert secret.encode("utf-16-le") not in raw, secret
    assert b"disk-image" not in raw


# -- indicators ----------------------------------------------------------------

NOTES = [
    "Outbound from db-replica-2 to 203.0.113.57:443 and from 198.51.100.23.",
    "IPv6 peer [2001:db8:0:0::1]:8443 and fe80::1%eth0; also 2001:DB8::dead:beef.",
    "C2 names: evil-cdn.example.com, login.micros0ft-support.net, defanged bad[.]example[.]org",
    "Dropper sha256 9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08, "
    "md5 d41d8cd98f00b204e9800998ecf8427e, sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709.",
    "Stage 2 from hxxps://files.evil-cdn.example.com/stage2.bin?id=7 and http://203.0.113.99/x.sh",
    "Runs nginx 1.25.3, openssl 3.0.13, kernel 5.15.0.91, version 10.2.3.4 of the agent, v1.2.3.",
    "At 2024-05-01T10:32:01Z (10:32:01 UTC; 2024-05-01 10:32:01.123+00:00) the alert fired.",
    "Netmask 255.255.255.0, listening on 0.0.0.0:8080; see app.py.",
]
EXPECTED = {
    "203.0.113.57": "ipv4",
    "198.51.100.23": "ipv4",
    "2001:db8::1": "ipv6",
    "fe80::1": "ipv6",
    "2001:db8::dead:beef": "ipv6",
    "evil-cdn.example.com": "domain",
    "login.micros0ft-support.net": "domain",
    "bad.example.org": "domain",
    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08": "sha256",
    "d41d8cd98f00b204e9800998ecf8427e": "md5",
    "da39a3ee5e6b4b0d3255bfef95601890afd80709": "sha1",
    "https://files.evil-cdn.example.com/stage2.bin?id=7": "url",
    "http://203.0.113.99/x.sh": "url",
}


@pytest.fixture(scope="module")
def ioc_incident(mcli, tmp_path_factory: pytest.TempPathFactory, passphrase: str) -> Path:
    path = new_incident(mcli, tmp_path_factory.mktemp("iocs"), "--playbook", "none")
    ok(mcli("note", path, NOTES[0]))
    with unlocked(mcli, path, passphrase) as session:  # the rest in one go: faster
        for text in NOTES[1:]:
            session.add_note(text)
    return path


def iocs_json(cli, path: Path) -> dict[str, dict[str, Any]]:
    rows = js(cli("iocs", path, "--format", "json"))
    values = [r["value"] for r in rows]
    assert len(values) == len(set(values)), values  # each once
    return {r["value"]: r for r in rows}


def test_iocs_found_in_notes_and_versions_and_times_ignored(mcli, ioc_incident: Path) -> None:
    # Module order: this runs before anything is confirmed or dismissed.
    rows = iocs_json(mcli, ioc_incident)
    assert {v: r["type"] for v, r in rows.items()} == EXPECTED
    assert {r["status"] for r in rows.values()} == {"new"}
    assert all(r["first_seen"] and len(r["entries"]) == 1 for r in rows.values())
    text = ok(mcli("iocs", "list", ioc_incident))
    assert len(text.splitlines()) == len(EXPECTED)
    assert ok(mcli("iocs", ioc_incident, "--format", "blocklist")) == ""  # nothing confirmed


def test_iocs_confirm_and_dismiss(mcli, ioc_incident: Path) -> None:
    # Values as typed in a chat: defanged, in capitals; the register's form is found.
    out = ok(mcli("iocs", "confirm", ioc_incident, "203.0.113[.]57", "--note", "exfil endpoint"))
    assert out.strip() == "203.0.113.57 (ipv4): confirmed"
    ok(
        mcli(
            "iocs", "confirm", ioc_incident, "hxxps://files.evil-cdn[.]example.com/stage2.bin?id=7"
        )
    )
    ok(mcli("iocs", "confirm", ioc_incident, "EVIL-CDN.example.com"))
    ok(mcli("iocs", "confirm", ioc_incident, "2001:db8::dead:beef"))
    ok(
        mcli(
            "iocs",
            "confirm",
            ioc_incident,
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        )
    )  # noqa: E501
    ok(mcli("iocs", "dismiss", ioc_incident, "198.51.100.23", "--note", "our scanner"))
    # Confirmed first, then dismissed: the last verdict stands.
    ok(mcli("iocs", "confirm", ioc_incident, "bad.example.org"))
    ok(mcli("iocs", "dismiss", ioc_incident, "bad.example.org"))

    rows = iocs_json(mcli, ioc_incident)
    status = {v: r["status"] for v, r in rows.items()}
    assert status == {
        **dict.fromkeys(EXPECTED, "new"),
        "203.0.113.57": "confirmed",
        "https://files.evil-cdn.example.com/stage2.bin?id=7": "confirmed",
        "evil-cdn.example.com": "confirmed",
        "2001:db8::dead:beef": "confirmed",
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08": "confirmed",
        "198.51.100.23": "dismissed",
        "bad.example.org": "dismissed",
    }
    assert rows["203.0.113.57"]["note"] == "exfil endpoint"
    assert rows["203.0.113.57"]["by"] and rows["203.0.113.57"]["at"]

    system = [r["text"] for r in js(mcli("timeline", ioc_incident, "--format", "json"))]
    for line in (
        "Indicator 203.0.113.57 confirmed",
        "Indicator 198.51.100.23 dismissed",
        "Indicator bad.example.org confirmed",
        "Indicator bad.example.org dismissed",
    ):
        assert line in system

    # The blocklist: confirmed network indicators only, in order; never a hash.
    confirmed = [
        "203.0.113.57",
        "2001:db8::dead:beef",
        "evil-cdn.example.com",
        "https://files.evil-cdn.example.com/stage2.bin?id=7",
    ]
    blocklist = ok(mcli("iocs", ioc_incident, "--format", "blocklist"))
    assert blocklist.splitlines() == confirmed
    with_new = ok(mcli("iocs", ioc_incident, "--format", "blocklist", "--include-new")).split()
    assert set(confirmed) < set(with_new)
    assert {"2001:db8::1", "login.micros0ft-support.net", "http://203.0.113.99/x.sh"} < set(
        with_new
    )
    for never in ("198.51.100.23", "bad.example.org"):
        assert never not in blocklist.split() and never not in with_new
    assert not any(len(v) in (32, 40, 64) and "." not in v for v in with_new)  # no hashes


def test_iocs_csv_parses_back_and_neutralises_formulas(mcli, ioc_incident: Path) -> None:
    ok(
        mcli(
            "iocs", "confirm", ioc_incident, "login.micros0ft-support.net",
            "--note", '=HYPERLINK("http://x","click"), then\nmore',
        )
    )  # fmt: skip
    text = ok(mcli("iocs", ioc_incident, "--format", "csv"))
    table = list(csv.DictReader(io.StringIO(text, newline="")))
    by_value = {row["value"]: row for row in table}
    rows = iocs_json(mcli, ioc_incident)
    assert by_value.keys() == rows.keys()
    for value, row in by_value.items():
        assert row["type"] == rows[value]["type"]
        assert row["status"] == rows[value]["status"]
        assert (row["entries"].split(";") if row["entries"] else []) == rows[value]["entries"]
    assert by_value["login.micros0ft-support.net"]["note"] == (
        "'" + '=HYPERLINK("http://x","click"), then\nmore'
    )
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in table for cell in row.values())


def test_iocs_of_a_struck_entry_disappear(mcli, ioc_incident: Path, passphrase: str) -> None:
    note = "Typo, ignore: 192.0.2.201 and typo-host.example.net"
    entry_id = ok(mcli("note", ioc_incident, note)).strip()
    rows = iocs_json(mcli, ioc_incident)
    assert rows["192.0.2.201"]["entries"] == [entry_id]
    assert "typo-host.example.net" in rows
    with unlocked(mcli, ioc_incident, passphrase) as session:  # no CLI command strikes
        session.strike_entry(entry_id, "wrong host")
    rows = iocs_json(mcli, ioc_incident)
    assert "192.0.2.201" not in rows and "typo-host.example.net" not in rows
    assert "203.0.113.57" in rows


def test_iocs_a_bidi_override_never_reaches_the_blocklist(mcli, ioc_incident: Path) -> None:
    note = "Get http://files.evil-cdn.example.com/inv\u202etxt.exe now"
    entry_id = ok(mcli("note", ioc_incident, note)).strip()
    rows = iocs_json(mcli, ioc_incident)  # the override ends the URL
    assert rows["http://files.evil-cdn.example.com/inv"]["entries"] == [entry_id]
    out = ok(mcli("iocs", "confirm", ioc_incident, "http://files.evil-cdn.example.com/inv"))
    assert out == "http://files.evil-cdn.example.com/inv (url): confirmed\n"
    blocklist = ok(mcli("iocs", ioc_incident, "--format", "blocklist", "--include-new"))
    assert "http://files.evil-cdn.example.com/inv" in blocklist.splitlines()
    listed = ok(mcli("iocs", ioc_incident))
    for text in (blocklist, listed, ok(mcli("iocs", ioc_incident, "--format", "csv"))):
        assert "\u202e" not in text


@pytest.mark.parametrize(
    "value",
    ["not-an-indicator", "1.2.3", "203.0.113.5 and 203.0.113.6"],
)
def test_iocs_confirm_of_a_non_indicator_is_refused(mcli, ioc_incident: Path, value: str) -> None:
    before = event_count(ioc_incident)
    failed(mcli("iocs", "confirm", ioc_incident, value), "is not an IP address, domain")
    assert event_count(ioc_incident) == before


# -- follow-ups ----------------------------------------------------------------


@pytest.fixture(scope="module")
def fu_incident(mcli, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return new_incident(mcli, tmp_path_factory.mktemp("followups"), "--playbook", "none")


def test_followups_add_set_list(mcli, fu_incident: Path) -> None:
    cli, incident = mcli, fu_incident
    first = ok(
        cli(
            "followup", "add", incident, "Move svc-backup to short-lived certificates",
            "--owner", "Sam Okafor", "--due", "2027-01-15",
        )
    ).strip()  # fmt: skip
    second = ok(
        cli(
            "followup", "add", incident, "Alert on pg_dump outside the backup window",
            "--kind", "preventive", "--owner", "Dana Ortiz", "--due", "20270201",
        )
    ).strip()  # fmt: skip
    third = ok(cli("followup", "add", incident, "Keep replicas off the internet")).strip()
    ok(cli("followup", "set", incident, second, "--status", "done"))
    ok(cli("followup", "set", incident, third, "--owner", "Jo Kim", "--kind", "preventive"))

    listed = js(cli("followup", "list", incident, "--format", "json"))
    ids = [r["id"] for r in listed]
    assert ids.index(first) < ids.index(second) < ids.index(third)  # as they were added
    rows = {r["id"]: r for r in listed}
    assert {k: rows[first][k] for k in ("title", "kind", "owner", "due", "status")} == {
        "title": "Move svc-backup to short-lived certificates",
        "kind": "corrective",
        "owner": "Sam Okafor",
        "due": "2027-01-15",
        "status": "open",
    }
    # A date in ISO's basic form is kept in the one written form.
    assert (rows[second]["kind"], rows[second]["due"]) == ("preventive", "2027-02-01")
    assert rows[second]["status"] == "done"
    assert (rows[third]["owner"], rows[third]["kind"], rows[third]["due"]) == (
        "Jo Kim",
        "preventive",
        "",
    )
    assert all(r["added_by"] and r["added_at"].endswith("Z") for r in rows.values())

    lines = {line.split()[0]: line for line in ok(cli("followup", incident)).splitlines()}
    text = [lines[first], lines[second], lines[third]]
    assert text[0].startswith(first) and "open" in text[0] and "Sam Okafor" in text[0]
    assert "due 2027-01-15" in text[0]
    assert text[1].startswith(second) and "done" in text[1]
    assert text[2].startswith(third) and "due -" in text[2]

    timeline = [r["text"] for r in js(cli("timeline", incident, "--format", "json"))]
    assert "Follow-up 'Alert on pg_dump outside the backup window': done" in timeline


@pytest.mark.parametrize("due", ["2027-02-30", "15/01/2027"])
def test_followup_bad_due_date(mcli, fu_incident: Path, due: str) -> None:
    cli, incident = mcli, fu_incident
    before = event_count(incident)
    failed(cli("followup", "add", incident, "Rotate", "--due", due), "due must be a date")
    assert event_count(incident) == before


def test_followup_set_errors(mcli, fu_incident: Path) -> None:
    cli, incident = mcli, fu_incident
    fid = ok(cli("followup", "add", incident, "Rotate the keys")).strip()
    before = event_count(incident)
    failed(cli("followup", "set", incident, fid), "nothing to change")
    failed(cli("followup", "set", incident, "f000000", "--status", "done"), "no follow-up")
    failed(cli("followup", "set", incident, fid, "--due", "2027-02-30"), "due must be a date")
    failed(cli("followup", "set", incident, fid, "--status", "finished"), "finished")
    assert event_count(incident) == before


# -- the incident's own fields -------------------------------------------------


def show(cli, path: Path) -> dict[str, Any]:
    return js(cli("show", path, "--format", "json"))


@pytest.fixture(scope="module")
def inc_incident(mcli, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return new_incident(mcli, tmp_path_factory.mktemp("fields"), "--playbook", "none")


def test_incident_fields_and_resolving(mcli, inc_incident: Path) -> None:
    cli, incident = mcli, inc_incident
    for field, value in (
        ("summary", "Replica credentials abused to export data."),
        ("impact", "Customer names and emails copied."),
        ("root-cause", "A backup key with shell access on an internet-facing replica."),
        ("resolution", "Key revoked, replica rebuilt."),
    ):
        ok(cli("incident", "set", incident, field, value))
    assert ok(cli("incident", "set", incident, "severity", "SEV1")) == "severity: 1\n"
    ok(cli("incident", "set", incident, "severity", "3"))
    ok(cli("incident", "set", incident, "status", "contained"))

    inc = show(cli, incident)["incident"]
    assert inc["summary"] == "Replica credentials abused to export data."
    assert inc["impact"] == "Customer names and emails copied."
    assert inc["root_cause"] == "A backup key with shell access on an internet-facing replica."
    assert inc["resolution"] == "Key revoked, replica rebuilt."
    assert (inc["severity"], inc["status"]) == (3, "contained")
    assert inc["resolved_at"] is None and inc["review_due"] is None

    out = ok(cli("incident", "set", incident, "status", "resolved"))
    data = show(cli, incident)
    inc = data["incident"]
    assert inc["status"] == "resolved"
    assert inc["review_due"] - inc["resolved_at"] == 14 * DAY_MS
    resolved = datetime.fromtimestamp(inc["resolved_at"] / 1000, UTC)
    assert abs(datetime.now(UTC) - resolved) < timedelta(minutes=5)
    review_day = (resolved + timedelta(days=14)).date().isoformat()
    assert f"review due {review_day}" in out
    texts = [r["text"] for r in data["timeline"] if r["system"]]
    assert "Incident updated: status -> contained" in texts
    assert "Incident updated: status -> resolved" in texts
    assert "Incident updated: severity -> 1" in texts

    # Closing keeps the time it was resolved; reopening clears it.
    ok(cli("incident", "set", incident, "status", "closed"))
    assert show(cli, incident)["incident"]["resolved_at"] == inc["resolved_at"]
    ok(cli("incident", "set", incident, "status", "investigating"))
    inc = show(cli, incident)["incident"]
    assert inc["resolved_at"] is None and inc["review_due"] is None


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("severity", "SEV5", "severity must be 1, 2, 3 or 4"),
        ("severity", "high", "severity must be 1, 2, 3 or 4"),
        ("status", "done", "status must be one of"),
        ("colour", "red", "'colour' is not one of"),
        ("declared_at", "0", "'declared_at' is not one of"),
    ],
)
def test_incident_set_refuses_bad_field_or_value(
    mcli, inc_incident: Path, field: str, value: str, needle: str
) -> None:
    cli, incident = mcli, inc_incident
    before = event_count(incident)
    failed(cli("incident", "set", incident, field, value), needle)
    assert event_count(incident) == before


# -- attack metrics ------------------------------------------------------------

# A scripted attack: (phase, when). Times with an offset are converted to UTC;
# a phase marked twice counts from its earliest mark.
ATTACK = [
    ("reconnaissance", "2024-03-01T08:00:00Z"),
    ("initial-access", "2024-03-02T09:15:00Z"),
    ("action", "2024-03-03T12:30:00+02:00"),  # 10:30Z
    ("exfiltration", "2024-03-04T01:00:00Z"),
    ("detected", "2024-03-06T00:00:00Z"),  # a later mark of the same phase
    ("detected", "2024-03-05T14:45:30Z"),
    ("contained", "2024-03-05T13:00:00-05:00"),  # 18:00Z
    ("eradicated", "2024-03-07T09:00:00Z"),
]


def test_metrics_from_a_scripted_attacker_timeline(cli, incident: Path) -> None:
    for phase, at in ATTACK:
        ok(cli("note", incident, f"attacker: {phase}", "--phase", phase, "--at", at))
    # An attacker entry without a phase does not count.
    ok(cli("note", incident, "more scanning", "--kind", "attacker", "--at", "2024-02-01T00:00:00"))

    metrics = js(cli("metrics", incident, "--format", "json"))
    # By hand: detected 03-05 14:45:30 - initial access 03-02 09:15:00 = 3d 5h 30m 30s;
    # contained 03-05 18:00:00 - initial access = 3d 8h 45m; contained - detected =
    # 3h 14m 30s; eradicated 03-07 09:00 - detected = 1d 18h 14m 30s.
    assert metrics == {
        "time_to_detect": 279_030_000,
        "dwell_time": 290_700_000,
        "time_to_contain": 11_670_000,
        "time_to_resolve": 152_070_000,
        "first_activity": 1_709_280_000_000,  # 2024-03-01T08:00:00Z
        "initial_access": 1_709_370_900_000,  # 2024-03-02T09:15:00Z
        "compromise_start": 1_709_370_900_000,
        "detected": 1_709_649_930_000,  # 2024-03-05T14:45:30Z
        "contained": 1_709_661_600_000,  # 2024-03-05T18:00:00Z
        "eradicated": 1_709_802_000_000,  # 2024-03-07T09:00:00Z
        "resolved": 1_709_802_000_000,
        "problems": [],
    }
    assert ok(cli("metrics", incident)).splitlines() == [
        "time to detect   3d 5h 31m",
        "dwell time       3d 8h 45m",
        "time to contain  3h 15m",
        "time to resolve  1d 18h 15m",
    ]
    rows = js(cli("timeline", incident, "--format", "json"))
    assert [r["phase"] for r in rows if r["kind"] == "attacker" and r["phase"]] == [
        "reconnaissance",
        "initial-access",
        "action",
        "exfiltration",
        "detected",
        "contained",
        "detected",
        "eradicated",
    ]


def test_metrics_of_an_incomplete_timeline_and_out_of_order_marks(cli, incident: Path) -> None:
    assert js(cli("metrics", incident, "--format", "json"))["time_to_detect"] is None
    ok(cli("note", incident, "in", "--phase", "initial-access", "--at", "2024-03-02T10:00:00Z"))
    ok(cli("note", incident, "seen", "--phase", "detected", "--at", "2024-03-02T09:00:00Z"))
    proc = cli("metrics", incident, "--format", "json")
    metrics = js(proc)
    assert metrics["time_to_detect"] is None
    assert metrics["problems"] == [
        "detected (2024-03-02T09:00:00Z) is before start of compromise "
        "(2024-03-02T10:00:00Z): no time to detect"
    ]
    text = cli("metrics", incident)
    assert "time to detect   —" in ok(text)
    assert "is before start of compromise" in text.stderr


def test_note_phase_needs_an_attacker_entry(mcli, inc_incident: Path) -> None:
    cli, incident = mcli, inc_incident
    before = event_count(incident)
    failed(cli("note", incident, "x", "--kind", "action", "--phase", "detected"), "attacker")
    failed(cli("note", incident, "x", "--phase", "lateral-movement"), "lateral-movement")
    failed(cli("note", incident, "x", "--phase", "detected", "--at", "yesterday"), "ISO 8601")
    assert event_count(incident) == before
    ok(cli("note", incident, "x", "--kind", "attacker", "--phase", "detected"))
    (row,) = [r for r in js(cli("timeline", incident, "--format", "json")) if r["text"] == "x"]
    assert (row["kind"], row["phase"]) == ("attacker", "detected")


# -- playbooks -----------------------------------------------------------------


def checklist(cli, path: Path) -> list[dict[str, Any]]:
    return show(cli, path)["checklist"]


def test_playbook_list(cli) -> None:
    lines = ok(cli("playbook", "list")).splitlines()
    ids = {line.split()[0]: int(line.split()[1]) for line in lines}
    assert ids == {"ddos": 11, "ir-plan": 10, "outage": 6, "security": 14}


def test_init_with_a_playbook_and_adding_one(cli, tmp_path: Path) -> None:
    path = new_incident(cli, tmp_path / "ir", "--playbook", "ir-plan")
    steps = checklist(cli, path)
    assert [s["id"] for s in steps] == [
        "preparation",
        "detection",
        "breach-determination",
        "evidence-collection",
        "documentation",
        "notification",
        "containment",
        "eradication",
        "recovery",
        "review",
    ]
    assert {s["playbook"] for s in steps} == {"ir-plan"}
    assert all(s["title"] and s["phase"] and s["status"] == "todo" for s in steps)

    assert ok(cli("playbook", "add", path, "ddos")).strip() == "ddos: 11 steps added"
    steps = checklist(cli, path)
    assert len(steps) == 21
    assert [s["playbook"] for s in steps] == ["ir-plan"] * 10 + ["ddos"] * 11
    assert [s["order"] for s in steps] == list(range(21))
    assert ok(cli("playbook", "add", path, "ddos")).strip() == "ddos: 0 steps added"
    assert len(checklist(cli, path)) == 21
    failed(cli("playbook", "add", path, "no-such-book"), "no playbook 'no-such-book'")


def test_default_playbook_by_kind_and_none(cli, tmp_path: Path) -> None:
    security = new_incident(cli, tmp_path / "security")
    steps = checklist(cli, security)
    assert len(steps) == 14 and {s["playbook"] for s in steps} == {"security"}
    delegates = {s["id"]: (s["delegate"], s["delegate_title"]) for s in steps}
    assert delegates["internal-comms"] == ("executive", "VP or Director of Engineering")
    assert delegates["law-enforcement"] == ("executive", "VP or Director of Engineering")
    assert delegates["external-comms"] == ("external-liaison", "Marketing")
    outage = new_incident(cli, tmp_path / "outage", "--kind", "outage")
    assert [s["id"] for s in checklist(cli, outage)] == [
        "detect",
        "engage",
        "investigate",
        "mitigate",
        "recover",
        "postmortem",
    ]
    empty = new_incident(cli, tmp_path / "empty", "--playbook", "none")
    assert checklist(cli, empty) == []


MALFORMED = """\
id = "x"
title = "Our checklist"
kind = "security"

[[steps]]
id = "first"
phase = "contain"
title = "Do the thing"
delegat = "ic"
"""


def test_malformed_user_playbook_names_file_and_line(cli, config_dir: Path, tmp_path: Path) -> None:
    books = config_dir / "playbooks"
    books.mkdir()
    (books / "x.toml").write_text(MALFORMED, encoding="utf-8")
    path = tmp_path / "x.db"
    # No passphrase given at all: the playbook is checked before one is asked for.
    proc = cli("init", path, "--kdf", "interactive", "--playbook", "x", passphrase_file=None)
    stderr = failed(proc, f"{books / 'x.toml'}:9: ")
    assert "delegat" in stderr and "passphrase" not in stderr
    assert not path.exists()

    # `playbook list` shows the good ones and says which file does not load.
    proc = cli("playbook", "list")
    assert proc.returncode == 2
    assert {line.split()[0] for line in proc.stdout.splitlines()} == {
        "ddos",
        "ir-plan",
        "outage",
        "security",
    }
    assert "x.toml:9:" in proc.stderr

    # Fixed, it loads and seeds the checklist.
    (books / "x.toml").write_text(MALFORMED.replace("delegat ", "delegate "), encoding="utf-8")
    path = new_incident(cli, tmp_path / "fixed", "--playbook", "x")
    (step,) = checklist(cli, path)
    assert (step["id"], step["delegate"], step["playbook"]) == ("first", "ic", "x")
