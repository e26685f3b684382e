"""Bundles (warroom/sync/bundle.py, `warroom bundle export|import`, `warroom vector`):
two replicas apart converge through bundles carried both ways; a damaged, cut,
reordered or foreign bundle is refused with nothing written; a fork raises the
alarm on both sides. The CLI runs as real processes; the format is also tested
in-process, byte by byte."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import stat
from pathlib import Path

import pytest

from warroom import crypto
from warroom.device import load_device
from warroom.ledger import BUNDLE_KEY
from warroom.session import Session
from warroom.store import Row
from warroom.sync import bundle, intake

CANARY = "CANARY-7f3a-plane-notes"
HEADER = 8 + 1 + 16 + 16
BLOCK_HEAD = 5


# -- helpers -------------------------------------------------------------------


def events(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT count(*) FROM events").fetchone()[0]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def blocks(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of each block of a bundle."""
    out, at = [], HEADER
    while at < len(data):
        length = int.from_bytes(data[at + 1 : at + BLOCK_HEAD], "big")
        out.append((at, at + BLOCK_HEAD + length))
        at += BLOCK_HEAD + length
    return out


@pytest.fixture
def device_b(tmp_path: Path) -> Path:
    directory = tmp_path / "config-b"
    directory.mkdir(mode=0o700)
    return directory


@pytest.fixture
def pair(incident: Path, settle, tmp_path: Path) -> tuple[Path, Path]:  # noqa: ANN001
    """A (the incident) and B, a copy of it carried to another machine."""
    settle(incident)
    b = tmp_path / "b" / "inc.db"
    b.parent.mkdir()
    shutil.copy(incident, b)
    return incident, b


def ok(proc) -> str:  # noqa: ANN001
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def refused(proc) -> str:  # noqa: ANN001
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    return proc.stderr


def carry(cli, here: Path, there: Path, *, here_config=None, there_config=None, name="x"):  # noqa: ANN001, ANN201
    """One way: `vector THERE`, export HERE --for it, import into THERE."""
    vec = there.parent / f"{name}.vec"
    vec.write_text(ok(cli("vector", there, config_dir=there_config)), encoding="utf-8")
    out = here.parent / f"{name}.wrb"
    ok(cli("bundle", "export", here, out, "--for", vec, config_dir=here_config))
    return out, cli("bundle", "import", there, out, config_dir=there_config)


def first_step(cli, path: Path) -> str:  # noqa: ANN001
    return json.loads(ok(cli("show", path, "--format", "json")))["checklist"][0]["id"]


def many_notes(path: Path, passphrase: str, config: Path, count: int, word: str) -> None:
    with Session.unlock(path, passphrase, device=load_device(config), fold=False) as s:
        s.add_notes([f"{word} {i}" for i in range(count)])


# -- through the CLI -----------------------------------------------------------


def test_two_replicas_apart_converge_through_bundles_both_ways(
    cli, pair: tuple[Path, Path], device_b: Path
) -> None:
    a, b = pair
    step = first_step(cli, a)
    for i in range(3):
        ok(cli("note", a, f"{CANARY} ann {i}"))
    ok(cli("step", "set", a, step, "done"))
    for i in range(2):
        ok(cli("note", b, f"bo {i}", config_dir=device_b))
    ok(cli("step", "set", b, step, "doing", config_dir=device_b))  # the same step, apart

    out, proc = carry(cli, a, b, there_config=device_b, name="a-to-b")
    assert ok(proc).startswith(f"imported {out} into {b}: 4 new rows")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert CANARY.encode() not in out.read_bytes()
    back, proc = carry(cli, b, a, here_config=device_b, name="b-to-a")
    assert ok(proc).startswith(f"imported {back} into {a}: 3 new rows")

    for command in (("show", "--format", "json"), ("timeline", "--format", "json")):
        mine = ok(cli(command[0], a, *command[1:]))
        theirs = ok(cli(command[0], b, *command[1:], config_dir=device_b))
        assert mine == theirs
        assert CANARY in mine

    before = (events(b), digest(b))  # importing again is a no-op
    again = ok(cli("bundle", "import", b, out, config_dir=device_b))
    assert "0 new rows, 4 already here" in again
    assert events(b) == before[0]
    assert ok(cli("verify", a)) and ok(cli("verify", b, config_dir=device_b))


def test_since_and_for_export_only_what_is_missing(
    cli, pair: tuple[Path, Path], device_b: Path, passphrase: str
) -> None:
    a, b = pair
    vec = a.parent / "then.vec"
    vec.write_text(ok(cli("vector", a)), encoding="utf-8")
    many_notes(a, passphrase, cli.config_dir, 7, "later")

    inline = vec.read_text(encoding="utf-8")
    for how in (("--since", inline), ("--since", f"@{vec}"), ("--for", vec)):
        out = a.parent / f"since-{len(list(a.parent.glob('since-*')))}.wrb"
        assert ": 7 rows," in ok(cli("bundle", "export", a, out, *how))
    piped = a.parent / "piped.wrb"
    proc = cli("bundle", "export", a, piped, "--since", "-", input=inline)
    assert ": 7 rows," in ok(proc)
    bare = json.dumps({k: v[0] for k, v in json.loads(inline)["vector"].items()})
    assert ": 8 rows," in ok(cli("bundle", "export", a, a.parent / "bare.wrb", "--since", bare))

    taken = ok(cli("bundle", "import", b, piped, config_dir=device_b))
    assert "7 new rows, 0 already here" in taken
    now = b.parent / "now.vec"
    now.write_text(ok(cli("vector", b, config_dir=device_b)), encoding="utf-8")
    assert ": 0 rows," in ok(cli("bundle", "export", a, a.parent / "none.wrb", "--for", now))
    full = a.parent / "full.wrb"
    assert f": {events(a)} rows," in ok(cli("bundle", "export", a, full))
    assert "0 new rows" in ok(cli("bundle", "import", b, full, config_dir=device_b))


def test_a_damaged_cut_or_reordered_bundle_is_refused_with_nothing_written(
    cli, pair: tuple[Path, Path], device_b: Path, passphrase: str, settle, tmp_path: Path
) -> None:  # noqa: ANN001
    a, b = pair
    many_notes(a, passphrase, cli.config_dir, 2500, "many")  # three blocks
    good = tmp_path / "good.wrb"
    ok(cli("bundle", "export", a, good))
    data = good.read_bytes()
    spans = blocks(data)
    assert len(spans) == 3
    (s0, e0), (s1, e1), (s2, e2) = spans

    def flip(at: int) -> bytes:
        return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]

    cases = {
        "magic": (flip(0), "not a warroom bundle"),
        "version": (flip(8), "format"),
        "incident id": (flip(12), "bundle of incident"),
        "nonce": (flip(30), "does not open"),
        "a block's flag": (flip(s0), "block 0"),
        "a block's length": (flip(s1 + 4), "block 1"),
        "a byte in block 0": (flip(s0 + 200), "block 0 does not open"),
        "a byte in the last block": (flip(e2 - 1), "block 2 does not open"),
        "cut in the header": (data[:20], "not a warroom bundle"),
        "cut after the header": (data[:HEADER], "last block is missing"),
        "cut in a block": (data[: s1 + 100], "truncated in block 1"),
        "cut at a block boundary": (data[:e0], "last block is missing"),
        "cut before the last block": (data[:e1], "last block is missing"),
        "cut one byte short": (data[:-1], "truncated in block 2"),
        "a block dropped": (data[:s1] + data[s2:], "block 1 does not open"),
        "two blocks swapped": (data[:s0] + data[s1:e1] + data[s0:e0] + data[s2:], "block 0"),
        "a byte after the end": (data + b"\x00", "after the last block"),
    }
    settle(b)
    before = (events(b), digest(b))
    for name, (bad, says) in cases.items():
        path = tmp_path / f"bad-{name.replace(' ', '-')}.wrb"
        path.write_bytes(bad)
        message = refused(cli("bundle", "import", b, path, config_dir=device_b))
        assert says in message, (name, message)
        assert "nothing was written" in message, (name, message)
        settle(b)
        assert (events(b), digest(b)) == before, name
    assert "2,500 new rows" in ok(cli("bundle", "import", b, good, config_dir=device_b))


def test_a_row_that_does_not_check_refuses_the_whole_bundle(
    cli, pair: tuple[Path, Path], device_b: Path, passphrase: str, settle
) -> None:  # noqa: ANN001
    """Well sealed, but one row's signature is bad: no row of it is written."""
    a, b = pair
    many_notes(a, passphrase, cli.config_dir, 5, "signed")
    with Session.unlock(a, passphrase, device=load_device(cli.config_dir), fold=False) as s:
        rows = s.store.rows()
        last = rows[-1]
        rows[-1] = Row(last.device, last.seq, last.prev, last.box, bytes(64))
        out = io.BytesIO()
        key = s.ledger.derive(BUNDLE_KEY)
        bundle.write(out, key, bundle.new_header(s.header.incident_id), rows)
    forged = a.parent / "forged.wrb"
    forged.write_bytes(out.getvalue())
    settle(b)
    before = (events(b), digest(b))
    message = refused(cli("bundle", "import", b, forged, config_dir=device_b))
    assert "bad signature" in message and "nothing was written" in message
    settle(b)
    assert (events(b), digest(b)) == before


def test_a_fork_raises_the_alarm_on_both_sides(cli, pair: tuple[Path, Path]) -> None:
    """One device writes different notes at one seq in each of two copies (two in A,
    one in B): after bundles both ways, both keep the other's row and both say so."""
    a, b = pair
    ok(cli("note", a, "written in a"))
    ok(cli("note", a, "and more in a"))
    ok(cli("note", b, "written in b"))
    _, proc = carry(cli, a, b, name="a-to-b")
    assert proc.returncode == 1 and "FORK ALARM" in proc.stderr, proc.stderr
    assert "1 kept as fork evidence" in proc.stdout
    _, proc = carry(cli, b, a, name="b-to-a")
    assert proc.returncode == 1 and "FORK ALARM" in proc.stderr, proc.stderr
    for path in (a, b):
        proc = cli("verify", path)
        assert proc.returncode == 1 and "fork" in proc.stderr, proc.stderr
    full = a.parent / "full.wrb"  # every row: A's second note is past the fork in B
    ok(cli("bundle", "export", a, full))
    proc = cli("bundle", "import", b, full)
    assert proc.returncode == 1 and "FORK ALARM" in proc.stderr, proc.stderr
    assert "0 new rows" in proc.stdout and "1 past a fork left out" in proc.stdout


def test_strict_intake_writes_nothing_when_one_row_fails(
    cli, pair: tuple[Path, Path], device_b: Path, passphrase: str
) -> None:
    a, b = pair
    many_notes(b, passphrase, device_b, 3, "bo")
    with Session.unlock(b, passphrase, device=load_device(device_b), fold=False) as s:
        mine = [row for row in s.store.rows() if row.device == s.device.public_key]
        first, _, third = mine
        iid = s.header.incident_id
    with Session.unlock(a, passphrase, device=load_device(cli.config_dir), fold=False) as s:
        before = s.store.count()
        with pytest.raises(intake.Refused) as refusal:
            intake.take(s.store, iid, [first, third], strict=True)  # a gap
        assert [p.seq for p in refusal.value.rejected] == [3]
        assert s.store.count() == before
        assert len(intake.take(s.store, iid, [first], strict=True).added) == 1


def test_a_bundle_of_another_incident_or_not_a_bundle_is_refused(
    cli, pair: tuple[Path, Path], tmp_path: Path, settle
) -> None:  # noqa: ANN001
    a, _ = pair
    other = tmp_path / "other.db"
    ok(cli("init", other, "--kdf", "interactive", "--codename", "slate-owl"))
    theirs = tmp_path / "other.wrb"
    ok(cli("bundle", "export", other, theirs))
    other_id = json.loads(ok(cli("vector", other)))["incident"]
    settle(a)
    before = (events(a), digest(a))
    message = refused(cli("bundle", "import", a, theirs))
    assert f"bundle of incident {other_id}" in message
    assert "not a warroom bundle" in refused(cli("bundle", "import", a, cli.passphrase_file))
    mine = tmp_path / "mine.wrb"
    ok(cli("bundle", "export", a, mine))
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not the passphrase\n", encoding="utf-8")
    wrong.chmod(0o600)
    assert "wrong passphrase" in refused(cli("bundle", "import", a, mine, passphrase_file=wrong))
    vec = json.loads(ok(cli("vector", other)))
    assert other_id in refused(
        cli("bundle", "export", a, tmp_path / "x.wrb", "--since", json.dumps(vec))
    )
    assert "already exists" in refused(cli("bundle", "export", a, mine))
    settle(a)
    assert (events(a), digest(a)) == before


def test_vector_needs_no_passphrase(cli, incident: Path) -> None:
    document = json.loads(ok(cli("vector", incident, passphrase_file=None)))
    assert set(document) == {"incident", "vector"}
    ((seq, head),) = document["vector"].values()
    assert seq == 15 and len(head) == 64


# -- the format, in-process ----------------------------------------------------


def sample_rows(count: int, box: int = 40) -> list[Row]:
    device = bytes(range(32))
    return [Row(device, i + 1, bytes(32), os.urandom(box), bytes(64)) for i in range(count)]


def sealed(rows: list[Row], key: bytes, header: bundle.Header) -> bytes:
    out = io.BytesIO()
    bundle.write(out, key, header, rows)
    return out.getvalue()


def read(data: bytes, key: bytes) -> list[Row]:
    fh = io.BytesIO(data)
    header = bundle.read_header(fh, "test")
    return bundle.read_rows(fh, key, header, "test")


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bundle, "BLOCK_ROWS", 2)


def test_format_round_trip_and_every_change_refused(small_blocks: None) -> None:
    key = crypto.random_bytes(32)
    rows = sample_rows(5)
    data = sealed(rows, key, bundle.new_header(bytes(16)))
    assert read(data, key) == rows
    assert len(blocks(data)) == 3
    for at in range(len(data)):  # every byte, every bit that matters
        bad = data[:at] + bytes([data[at] ^ 0x80]) + data[at + 1 :]
        with pytest.raises(bundle.BundleError):
            read(bad, key)
    for cut in range(len(data)):  # every truncation, block boundaries included
        with pytest.raises(bundle.BundleError):
            read(data[:cut], key)
    with pytest.raises(bundle.BundleError):
        read(data, crypto.random_bytes(32))  # another incident's key


def test_format_the_last_block_is_flagged_and_may_be_empty(small_blocks: None) -> None:
    key = crypto.random_bytes(32)
    header = bundle.new_header(bytes(16))
    empty = sealed([], key, header)
    assert read(empty, key) == [] and len(blocks(empty)) == 1 and empty[HEADER] == 1
    data = sealed(sample_rows(4), key, header)
    spans = blocks(data)
    assert [data[start] for start, _ in spans] == [0, 1]  # only the last says so
    assert len(read(data, key)) == 4


def test_format_a_block_over_the_cap_is_refused_before_it_is_read() -> None:
    key = crypto.random_bytes(32)
    data = sealed(sample_rows(1), key, bundle.new_header(bytes(16)))

    class Counting(io.BytesIO):
        asked = 0

        def read(self, n: int = -1) -> bytes:
            Counting.asked = max(Counting.asked, n)
            return super().read(n)

    huge = data[:HEADER] + bytes([0]) + (bundle.MAX_BLOCK_BYTES + 1).to_bytes(4, "big")
    fh = Counting(huge + data[HEADER + BLOCK_HEAD :])
    header = bundle.read_header(fh, "test")
    Counting.asked = 0
    with pytest.raises(bundle.BundleError, match="bad length"):
        bundle.read_rows(fh, key, header, "test")
    assert Counting.asked <= BLOCK_HEAD


def test_format_a_bundle_over_the_cap_is_refused_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = crypto.random_bytes(32)
    path = tmp_path / "big.wrb"
    path.write_bytes(sealed(sample_rows(50), key, bundle.new_header(bytes(16))))
    monkeypatch.setattr(bundle, "MAX_BUNDLE_BYTES", 1000)
    with path.open("rb") as fh, pytest.raises(bundle.BundleError, match="at most"):
        bundle.read_header(fh, "big")


def test_format_parse_vector_refuses_nonsense() -> None:
    device = "ab" * 32
    assert bundle.parse_vector(json.dumps({device: 3}), "t") == (
        None,
        {bytes.fromhex(device): (3, None)},
    )
    for bad in ("[]", "{", json.dumps({"zz": 1}), json.dumps({device: -1}),
                json.dumps({device: [1, "00"]}), json.dumps({device: [1, 2, 3]}),
                json.dumps({"incident": "00", "vector": {}})):  # fmt: skip
        with pytest.raises(bundle.BundleError):
            bundle.parse_vector(bad, "t")
