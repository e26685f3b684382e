"""Issue #10, exports and who wrote what: attacks through the real command line.

- A permissive umask does not make an export readable by others: files 0600, the
  drafts folder 0700.
- A full disk leaves no file behind (none to block the retry); an existing file, or
  a symlink, at --out is never written through.
- A hostile device's draft ids never choose where `export drafts` writes.
- A SIGKILLed export's plaintext staging folder is removed by the next export,
  wherever that one writes; a live export's is left alone.
- `verify-export`: an encrypted email swapped for plain text and re-signed with a
  fresh key never passes, pinned or not; unpinned, nothing is "ok".
- Author and signer: a note written "as" someone else shows the device that wrote
  it, in every human-readable output.

Hostile data is made as a hostile device would make it: through the Session API,
with a device key of its own and the passphrase.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nacl.signing
import pytest

from warroom import events as ev
from warroom.device import Device, load_device, save_name
from warroom.export.manifest import device_signature, manifest_bytes
from warroom.session import Session

SUBJECT = "Attorney Work Project"
CANARY = f"CANARY-{secrets.token_hex(8)}"
STAGING = ".warroom-export-"
IC = "ic@example.com"
ANN = "ann@example.com"
BOB = "bob@partner.net"


def run(
    cli: Any,
    *args: str | os.PathLike[str],
    umask: int | None = None,
    fsize: int | None = None,
    config_dir: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """The real CLI in a subprocess, as `cli` runs it, with a umask or a file-size limit
    (RLIMIT_FSIZE: a disk that fills up at `fsize` bytes; Python ignores SIGXFSZ, so a
    write past it fails with EFBIG, as on a full disk with ENOSPC)."""

    def limits() -> None:
        if umask is not None:
            os.umask(umask)
        if fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    return subprocess.run(
        [sys.executable, "-m", "warroom", *map(str, args)],
        env=cli.env(config_dir=config_dir),
        cwd=cli.cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limits,  # noqa: PLW1509 - pytest runs no threads that fork
    )


def ok(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 0, (proc.returncode, proc.stdout, proc.stderr)
    return proc.stdout


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def staging(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.name.startswith(STAGING))


@pytest.fixture
def gnupghome(tmp_path: Path) -> Path:
    """An empty GnuPG home: chat drafts need no keys, and ~/.gnupg is never read."""
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    return home


def add_chat_drafts(session: Session, ids: list[str | None]) -> list[str]:
    """Approved chat drafts (they need no keys). None makes an ordinary id; any other id
    is written as a hostile device writes it: a validly signed event the facade refuses."""
    made = []
    for n, draft_id in enumerate(ids):
        fields = {"channel": "chat", "topic": f"{SUBJECT}: room {n}",
                  "body": f"{SUBJECT}: {CANARY} {n}"}  # fmt: skip
        if draft_id is None:
            made.append(session.save_draft(None, **fields))
        else:
            session._one(ev.DRAFT_SAVED, {"id": draft_id, "fields": fields, "by": "x"})
            made.append(draft_id)
        session.approve_draft(made[-1])
    return made


TIMELINE_LINE = re.compile(r"\S+  \S+ *  (.*)  \([0-9a-z-]+\)")


def said(text: str) -> set[str]:
    """The "WHO: TEXT" of every line `warroom timeline` prints."""
    found = {TIMELINE_LINE.fullmatch(line) for line in text.splitlines()}
    assert None not in found, text
    return {m[1] for m in found if m}


# -- 1. exports are private: 0600 files, a 0700 folder, whatever the umask ------------


def test_every_export_is_private_under_umask_0(
    cli: Any, incident: Path, tmp_path: Path, passphrase: str, gnupghome: Path
) -> None:
    ok(cli("note", incident, f"db-replica-2 stopped {CANARY}"))
    with Session.unlock(incident, passphrase, device=load_device(cli.config_dir)) as session:
        add_chat_drafts(session, [None, None])
    out = tmp_path / "out"
    out.mkdir()
    ok(run(cli, "export", incident, "postmortem", "--out", out / "pm.md", umask=0))
    for fmt in ("md", "csv", "json"):
        target = out / f"timeline.{fmt}"
        ok(run(cli, "export", incident, "timeline", "--format", fmt, "--out", target, umask=0))
    drafts = out / "drafts"
    ok(run(cli, "export", incident, "drafts", "--out", drafts, "--gnupghome", gnupghome, umask=0))
    written = {p.relative_to(out).as_posix(): mode(p) for p in out.rglob("*")}
    assert written.pop("drafts") == 0o700
    assert set(written) >= {"pm.md", "timeline.md", "timeline.csv", "timeline.json"}
    assert len([n for n in written if n.startswith("drafts/")]) == 4  # 2 chats, manifest, sig
    assert written == dict.fromkeys(written, 0o600)
    for name in ("pm.md", "timeline.md", "timeline.csv", "timeline.json"):
        assert CANARY in (out / name).read_text(encoding="utf-8")  # it is incident text
    assert staging(out) == [] and staging(tmp_path) == []


# -- 1. a full disk leaves nothing half-written; nothing is overwritten ---------------


def test_a_full_disk_leaves_no_file_and_the_retry_works(
    cli: Any, incident: Path, tmp_path: Path, passphrase: str
) -> None:
    with Session.unlock(incident, passphrase, device=load_device(cli.config_dir)) as session:
        session.add_notes([f"note {i}: {CANARY} " + "x" * 400 for i in range(300)])
    out = tmp_path / "reports"
    out.mkdir()
    limit = 48_000  # above SQLite's 32 KiB -shm file, below every export here
    for what, name, extra in (
        ("postmortem", "pm.md", []),
        ("timeline", "timeline.md", ["--format", "md"]),
        ("timeline", "timeline.csv", ["--format", "csv"]),
    ):
        target = out / name
        proc = run(cli, "export", incident, what, "--out", target, *extra, fsize=limit)
        assert proc.returncode == 2, (proc.stdout, proc.stderr)
        assert proc.stderr == f"warroom: cannot write {target}: File too large\n"
        assert not os.path.lexists(target)  # not a 0-byte or a 48,000-byte file
        assert staging(out) == []
        ok(run(cli, "export", incident, what, "--out", target, *extra))  # the retry
        assert target.stat().st_size > limit and mode(target) == 0o600
        assert f"note 299: {CANARY}" in target.read_text(encoding="utf-8")
    assert sorted(p.name for p in out.iterdir()) == ["pm.md", "timeline.csv", "timeline.md"]


def test_an_existing_file_or_symlink_at_out_is_never_written_through(
    cli: Any, incident: Path, tmp_path: Path
) -> None:
    existing = tmp_path / "notes.md"
    existing.write_text("mine\n", encoding="utf-8")
    victim = tmp_path / "victim.txt"  # a symlink to a file that does not exist yet
    link = tmp_path / "link.md"
    link.symlink_to(victim)
    for target in (existing, link):
        for what in ("postmortem", "timeline"):
            proc = run(cli, "export", incident, what, "--out", target)
            assert proc.returncode == 2, (proc.stdout, proc.stderr)
            assert proc.stderr == f"warroom: {target} already exists; refusing to overwrite it\n"
    assert existing.read_text(encoding="utf-8") == "mine\n"
    assert not victim.exists() and link.is_symlink()
    assert "Never overwritten" in re.sub(r"\s+", " ", ok(cli("export", "--help")))


# -- 2. a draft id never chooses where export writes ---------------------------------


def test_hostile_draft_ids_never_choose_where_export_writes(
    cli: Any, incident: Path, tmp_path: Path, passphrase: str, gnupghome: Path
) -> None:
    absolute = f"/tmp/warroom-escaped-{secrets.token_hex(4)}"
    hostile = [
        "../../escaped",
        "../sibling",
        absolute,
        "a/b",
        "..",
        ".hidden",
        "x\\y",
        "manifest.json",
        "d" * 300,
        "Ünï\u202ecode\x1b[31m",
        "ok",
    ]
    # a hostile device: the passphrase and a device key of its own
    mallory = Device(nacl.signing.SigningKey.generate(), "mallory")
    with Session.unlock(incident, passphrase, device=mallory) as session:
        add_chat_drafts(session, hostile)
    deep = tmp_path / "deep"
    out = deep / "er" / "out"
    out.parent.mkdir(parents=True)
    try:
        proc = run(cli, "export", incident, "drafts", "--out", out, "--gnupghome", gnupghome)
        escaped = [p for p in tmp_path.rglob("*") if out not in p.parents and p != out]
        escaped = [p for p in escaped if "escaped" in p.name or "sibling" in p.name]
        assert escaped == [] and not list(Path("/tmp").glob(Path(absolute).name + "*"))
    finally:
        for path in Path("/tmp").glob(Path(absolute).name + "*"):
            path.unlink()
    ok(proc)
    assert "\x1b" not in proc.stdout + proc.stderr and "\u202e" not in proc.stdout  # ids: data
    assert sorted(p.name for p in deep.rglob("*")) == sorted(
        ["er", "out", *(p.name for p in out.iterdir())]
    )
    manifest = json.loads((out / "manifest.json").read_text())
    records = {r["draft"]: r for r in manifest["files"]}
    assert sorted(records) == sorted(hostile)  # the ids are data, kept in the manifest
    names = sorted(r["file"] for r in records.values())
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [*names, "manifest.json", "manifest.json.sig"]
    )
    # derived: the draft's place in the export (ids sorted) and a slug of its id
    assert [n[:3] for n in names] == [f"{i:02d}-" for i in range(1, len(hostile) + 1)]
    for name in names:
        assert re.fullmatch(r"\d{2}-[a-z0-9-]{1,24}\.chat\.txt", name), name
    assert records[".."]["file"] == "01-draft.chat.txt"
    assert records["../../escaped"]["file"] == "02-escaped.chat.txt"
    assert records[absolute]["file"] == f"05-tmp-warroom-escaped-{absolute[-8:-4]}.chat.txt"
    for n, draft_id in enumerate(hostile):  # each file holds its own draft
        body = (out / records[draft_id]["file"]).read_text(encoding="utf-8")
        assert body == f"Topic: {SUBJECT}: room {n}\n\n{SUBJECT}: {CANARY} {n}\n"
    ok(cli("verify-export", out, "--incident", incident))


# -- 3. a killed export's plaintext is removed by the next export ---------------------


def stop_mid_write(proc: subprocess.Popen[str], parent: Path, files: int = 5) -> Path:
    """Wait until `proc` is writing its staging folder in `parent`, then SIGSTOP it: the
    folder holds at least `files` plaintext files and is not renamed yet."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        for path in staging(parent):
            try:
                written = len(os.listdir(path))
            except (FileNotFoundError, NotADirectoryError):
                continue
            if written >= files:
                proc.send_signal(signal.SIGSTOP)
                assert path.is_dir(), "the export finished before it could be stopped"
                return path
        if proc.poll() is not None:
            pytest.fail(f"the export ended before it wrote: {proc.communicate()}")
        time.sleep(0.001)
    pytest.fail("the export never started writing")


def test_a_killed_export_leaves_no_plaintext_once_the_next_export_runs(
    cli: Any, incident: Path, tmp_path: Path, passphrase: str, gnupghome: Path
) -> None:
    with Session.unlock(incident, passphrase, device=load_device(cli.config_dir)) as session:
        add_chat_drafts(session, [None] * 1500)  # ~0.5 s of fsynced writes: time to stop it
    exports = tmp_path / "exports"
    elsewhere = tmp_path / "elsewhere"
    exports.mkdir()
    elsewhere.mkdir()

    def export(out: Path) -> list[str]:
        return ["-m", "warroom", "export", str(incident), "drafts", "--out", str(out),
                "--gnupghome", str(gnupghome)]  # fmt: skip

    first = cli.popen(export(exports / "first"))
    try:
        left = stop_mid_write(first, exports)
        assert mode(left) == 0o700
        plain = [p for p in left.iterdir() if CANARY in p.read_text(encoding="utf-8")]
        assert len(plain) >= 5 and {mode(p) for p in plain} == {0o600}
        # a live (stopped) export's staging is left alone by another export
        ok(run(cli, *export(exports / "second")[2:]))
        assert staging(exports) == [left]
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(timeout=30)
        first.stdout.close()
        first.stderr.close()
    assert first.returncode == -signal.SIGKILL
    assert left.is_dir() and not (exports / "first").exists()  # what the crash left
    # the next export, in another folder, removes it: nothing staged remains anywhere
    ok(run(cli, *export(elsewhere / "third")[2:]))
    assert staging(exports) == [] and staging(elsewhere) == []
    assert sorted(p.name for p in exports.iterdir()) == ["second"]
    for path in tmp_path.rglob("*"):
        if path.is_file() and not {exports / "second", elsewhere / "third"} & set(path.parents):
            assert CANARY.encode() not in path.read_bytes(), path


def test_a_leftover_beside_the_target_is_removed_without_the_registry(
    cli: Any, incident: Path, tmp_path: Path, passphrase: str, gnupghome: Path
) -> None:
    """A crash's leftover that the config dir does not record (another config dir, or
    one lost): the next export into the same folder removes it, by its dead pid."""
    with Session.unlock(incident, passphrase, device=load_device(cli.config_dir)) as session:
        add_chat_drafts(session, [None])
    exports = tmp_path / "exports"
    exports.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    leftover = exports / f"{STAGING}{int(dead.stdout)}-0-{secrets.token_hex(4)}"
    leftover.mkdir(mode=0o700)
    (leftover / "01-x.chat.txt").write_text(CANARY)
    live = exports / f"{STAGING}{os.getpid()}-0-{secrets.token_hex(4)}"  # this process
    live.mkdir(mode=0o700)
    ok(cli("export", incident, "drafts", "--out", exports / "out", "--gnupghome", gnupghome))
    assert staging(exports) == [live]


# -- 4. verify-export: a downgrade never passes; unpinned is never ok ------------------


@dataclass
class Exported:
    cli: Any
    incident: Path
    other: Path
    """Another incident, by the same device."""
    out: Path
    ic_home: Any
    bob_home: Any
    ic: str
    external: str
    """The file name of the email to Bob (outside the company, so encrypted)."""


def _write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def exported(
    cli_factory: Callable[[Path], Any], tmp_path_factory: Any, gpg_env_module
) -> Iterator[Exported]:
    with pytest.MonkeyPatch.context() as mp:  # without --gnupghome: an empty home, never ~
        mp.setenv("GNUPGHOME", str(gpg_env_module().path))
        yield _export(cli_factory, tmp_path_factory.mktemp("verify"), gpg_env_module)


def _export(cli_factory: Callable[[Path], Any], base: Path, gpg_env_module: Any) -> Exported:
    cli = cli_factory(base)
    ic_home, bob_home = gpg_env_module(), gpg_env_module()
    ic = ic_home.gen_key(f"Ivy Chen <{IC}>")
    bob = bob_home.gen_key(f"Bob Partner <{BOB}>")
    bob_home.give(ic_home, bob)
    ic_home.give(bob_home, ic)
    incident, other = base / "inc.db", base / "other.db"
    for path in (incident, other):
        ok(cli("init", path, "--kdf", "interactive", "--codename", "amber-heron"))
    ids = []
    for n, to in enumerate((f"Bob Partner <{BOB}>", ANN)):
        body = f"{CANARY}: the window is 02:00-04:10 UTC.\n"
        draft = {"channel": "email", "from": f"Ivy Chen <{IC}>", "to": [to],
                 "subject": SUBJECT, "body": body}  # fmt: skip
        ids.append(ok(cli("draft", "add", incident, _write(base / f"d{n}.json", draft))).strip())
        ok(cli("draft", "approve", incident, ids[-1], "--gnupghome", ic_home.path))
    out = base / "out"
    ok(cli("export", incident, "drafts", "--out", out, "--gnupghome", ic_home.path,
           "--sign-key", ic))  # fmt: skip
    records = json.loads((out / "manifest.json").read_text())["files"]
    external = next(r["file"] for r in records if r["draft"] == ids[0])
    return Exported(cli, incident, other, out, ic_home, bob_home, ic, external)


def forge(folder: Path, change: Callable[[dict[str, Any], Path], None]) -> str:
    """Edit an export as someone with the folder but not the IC's keys: `change`, then
    the GPG signature dropped and the manifest re-signed by a fresh device key."""
    data = json.loads((folder / "manifest.json").read_text())
    change(data, folder)
    forger = Device(nacl.signing.SigningKey.generate(), "Mallory")
    data["device"] = forger.public_key.hex()
    data["gpg_sign_key"] = ""
    (folder / "manifest.json.asc").unlink(missing_ok=True)
    raw = manifest_bytes(data)
    (folder / "manifest.json").write_bytes(raw)
    (folder / "manifest.json.sig").write_bytes(device_signature(forger, raw))
    return forger.public_key.hex()


PLAIN_TO_BOB = (
    f"From: Ivy Chen <{IC}>\r\nTo: Bob Partner <{BOB}>\r\nSubject: {SUBJECT}\r\n"
    f"Content-Type: text/plain; charset=utf-8\r\n\r\n{CANARY}: the window is 02:00-04:10 UTC.\r\n"
)


@pytest.mark.parametrize("hide", ["nothing", "the To header", "the manifest's deliver_to"])
def test_an_encrypted_email_downgraded_to_plain_text_and_re_signed_never_passes(
    exported: Exported, tmp_path: Path, hide: str
) -> None:
    folder = tmp_path / "copy"
    shutil.copytree(exported.out, folder)
    name = exported.external
    plain = PLAIN_TO_BOB
    if hide == "the To header":
        plain = plain.replace(f"To: Bob Partner <{BOB}>\r\n", "")

    def downgrade(data: dict[str, Any], folder: Path) -> None:
        (folder / name).write_text(plain, encoding="utf-8", newline="")
        for item in data["files"]:
            if item["file"] == name:
                item["sha256"] = hashlib.sha256((folder / name).read_bytes()).hexdigest()
                item |= {"form": "plain", "encrypted_to": [], "signed_by": ""}
                if hide == "the manifest's deliver_to":
                    item["deliver_to"] = []

    forger = forge(folder, downgrade)
    downgraded = (
        f"warroom: {name}: for {BOB}, outside the internal domains, and not PGP/MIME encrypted\n"
    )
    unpinned = f"warroom: manifest.json.sig: signed by device {forger[:16]}, which nothing pins"
    cli = exported.cli
    for args in ([], ["--gnupghome", exported.bob_home.path]):
        proc = cli("verify-export", folder, *args)
        assert proc.returncode == 1, (proc.stdout, proc.stderr)
        assert proc.stdout == ""
        assert downgraded in proc.stderr and unpinned in proc.stderr
        assert proc.stderr.endswith(f"warroom: {folder}: export does not verify (2 problems)\n")
    # pinned to the forger's own key: the signature holds, the downgrade still fails
    proc = cli("verify-export", folder, "--device-key", forger)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr == downgraded + f"warroom: {folder}: export does not verify (1 problems)\n"
    # pinned to the incident or the IC's GPG key: the forger is not either
    proc = cli("verify-export", folder, "--incident", exported.incident)
    assert proc.returncode == 1
    assert f"signed by {forger[:16]}, not a device of amber-heron" in proc.stderr
    proc = cli("verify-export", folder, "--expect-gpg", exported.ic,
               "--gnupghome", exported.bob_home.path)  # fmt: skip
    assert proc.returncode == 1 and "expected a GPG signature" in proc.stderr


def test_verify_export_is_ok_only_with_the_signer_pinned(exported: Exported) -> None:
    cli, out = exported.cli, exported.out
    device = json.loads((out / "manifest.json").read_text())["device"]
    bob = ["--gnupghome", exported.bob_home.path]
    # every check holds, but nothing says whose signature to expect: not ok
    for args in (bob, ["--gnupghome", exported.ic_home.path]):
        proc = cli("verify-export", out, *args)
        assert proc.returncode == 1 and proc.stdout == ""
        assert proc.stderr == (
            f"warroom: manifest.json.sig: signed by device {device[:16]}, which nothing pins "
            "(anyone can re-sign an edited export): pass --device-key, --expect-gpg or "
            f"--incident PATH\nwarroom: {out}: export does not verify (1 problems)\n"
        )
    gpg = f"; GPG signature by {exported.ic}"
    pins = {
        "--device-key": ([device, *bob], f"{gpg}; pinned by the device key given"),
        "--expect-gpg": ([exported.ic, *bob], f"{gpg}; pinned by GPG key {exported.ic}"),
        "--incident": (
            [exported.incident, *bob],
            f" ({load_device(cli.config_dir).name}){gpg}; pinned by a device of amber-heron",
        ),
    }
    for option, (args, tail) in pins.items():
        proc = cli("verify-export", out, option, *args)
        assert proc.returncode == 0, (option, proc.stderr)
        assert proc.stdout == f"ok: 2 files; manifest signed by device {device[:16]}{tail}\n"
    # another incident of the same device: the export is not from it
    proc = cli("verify-export", out, "--incident", exported.other, *bob)
    assert proc.returncode == 1
    assert "warroom: manifest.json: exported from another incident than amber-heron" in (
        proc.stderr
    )
    # usage errors: exit 2, one line
    proc = cli("verify-export", out, "--device-key", "abc")
    assert (proc.returncode, proc.stderr) == (
        2,
        "warroom: --device-key takes a device's public key: 64 hex digits\n",
    )
    wrong = exported.incident.parent / "wrong-passphrase.txt"
    wrong.write_text("not the passphrase\n")
    wrong.chmod(0o600)
    proc = cli("verify-export", out, "--incident", exported.incident, passphrase_file=wrong)
    assert (proc.returncode, proc.stderr) == (2, "warroom: wrong passphrase\n")


# -- 5. author and signer ---------------------------------------------------------------


@pytest.fixture
def two_devices(cli: Any, tmp_path: Path) -> tuple[Path, Path]:
    """Ann's config dir (the test's own, named "Ann Lee") and Bob's ("bob-laptop")."""
    save_name(cli.config_dir, "Ann Lee")
    bob = tmp_path / "bob-config"
    bob.mkdir(mode=0o700)
    save_name(bob, "bob-laptop")
    return cli.config_dir, bob


def test_a_note_by_someone_else_shows_the_device_that_wrote_it(
    cli: Any, tmp_path: Path, passphrase: str, two_devices: tuple[Path, Path]
) -> None:
    _, bob = two_devices
    path = tmp_path / "inc.db"
    ok(cli("init", path, "--kdf", "interactive", "--playbook", "none", "--codename", "amber-heron"))
    ok(cli("note", path, "Takedown approved", "--author", "Ann Lee", config_dir=bob))
    ok(cli("note", path, "I approved the takedown"))
    ok(cli("note", path, "Bob here", config_dir=bob))

    assert said(ok(cli("timeline", path))) >= {
        "Ann Lee, via bob-laptop: Takedown approved",
        "Ann Lee: I approved the takedown",
        "bob-laptop: Bob here",
    }
    rows = json.loads(ok(cli("timeline", path, "--format", "json")))
    signed = {r["text"]: (r["author"], r["signer"]) for r in rows}
    assert signed["Takedown approved"] == ("Ann Lee", "bob-laptop")
    assert signed["I approved the takedown"] == ("Ann Lee", "Ann Lee")
    table = list(csv.DictReader(io.StringIO(ok(cli("timeline", path, "--format", "csv")))))
    assert {r["text"]: (r["author"], r["signer"]) for r in table} == signed
    md = ok(cli("export", path, "timeline", "--format", "md"))
    assert " | note | Ann Lee, via bob-laptop | Takedown approved |\n" in md
    assert " | note | Ann Lee | I approved the takedown |\n" in md
    out = tmp_path / "pm.md"
    ok(cli("export", path, "postmortem", "--out", out))
    assert md in out.read_text(encoding="utf-8")


def test_a_hostile_device_cannot_take_a_name_that_another_device_has(
    cli: Any, tmp_path: Path, passphrase: str, two_devices: tuple[Path, Path]
) -> None:
    ann_dir, bob_dir = two_devices
    path = tmp_path / "inc.db"
    ok(cli("init", path, "--kdf", "interactive", "--playbook", "none", "--codename", "amber-heron"))
    ok(cli("note", path, "Ann's own note"))
    ok(cli("note", path, "Bob's first note", config_dir=bob_dir))
    bob = load_device(bob_dir)
    mallory = Device(nacl.signing.SigningKey.generate(), "mallory")
    # Bob's device writes "as" Ann: its name is the one it recorded first
    with Session.unlock(path, passphrase, device=bob) as session, session.acting_as("Ann Lee"):
        session.add_note("Bob writing as Ann")
    # a new device whose very first event claims Ann's name: both devices show their keys
    with Session.unlock(path, passphrase, device=mallory) as session, session.acting_as("Ann Lee"):
        session.add_note("Mallory writing as Ann")
    ann = load_device(ann_dir).public_key.hex()[:8]
    evil = mallory.public_key.hex()[:8]
    lines = said(ok(cli("timeline", path)))
    assert lines >= {
        f"Ann Lee, via Ann Lee ({ann}): Ann's own note",
        "bob-laptop: Bob's first note",
        "Ann Lee, via bob-laptop: Bob writing as Ann",
        f"Ann Lee, via Ann Lee ({evil}): Mallory writing as Ann",
    }
    assert not [line for line in lines if line.startswith("Ann Lee: ")]
